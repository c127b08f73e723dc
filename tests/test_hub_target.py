"""Hub-only behaviour, through the real huggingface_hub client against the test Hub:
request budgets, LFS, Space builds, races and every error a user can act on."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, HfApi

from hfsync.core.errors import RemoteError, RemoteMovedError, SourceError
from hfsync.core.snapshot import LocalFile
from hfsync.engine.sync import run_sync
from hfsync.engine.sync_values import SyncOptions, SyncResult
from hfsync.local.hashindex import git_blob_sha1
from hfsync.local.source import Source, read_source
from hfsync.remotes import Change
from hfsync.remotes.hub import HubRemote
from hfsync.remotes.hub_limits import CommitLimits, split_change
from hfsync.remotes.target import Target
from hfsync.testing.hub import BUILD_ERROR_MARKER, TestHub
from hfsync.testing.hub.fixtures import READ_TOKEN, WRITE_TOKEN
from tests.conftest import open_first_target
from tests.helpers_git import git, hfsync, write_files

REPO = "user/demo"
BIG = bytes(range(256)) * (15 * 4096)  # 15 MiB with NUL bytes: an LFS file


def config(extra: str = "", repo: str = REPO) -> str:
    # These Spaces have no configuration (README.md) on purpose: the tests are about the
    # commit path, and a Space the sync creates would otherwise be refused.
    return (
        f'[[targets]]\nname = "space"\nrepo = "{repo}"\ncreate = true\n'
        f'allow = ["space-config:README.md"]\n{extra}'
    )


def sync(repo: Path) -> SyncResult:
    target = open_first_target(repo)
    return run_sync(target, read_source(repo, None, target.scope.includes), SyncOptions())


def test_request_budget_on_a_5000_file_space(make_repo, hub: TestHub, env, tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {f"app/{i // 100}/{i}.py": f"X = {i}\n" for i in range(5000)}
    repo = make_repo({"hfsync.toml": config(), **files})
    sync(repo)  # the first sync (cold, 5000 uploads)

    write_files(repo, {"app/7/700.py": "X = 'changed'\n"})
    hub.control.clear_log()
    result = sync(repo)
    log = hub.control.requests()
    assert result.commit is not None
    assert len([r for r in log if r.method == "POST" and "/commit/" in r.path]) == 1
    assert len(log) <= 8, [(r.method, r.path) for r in log]

    hub.control.clear_log()
    result = sync(repo)
    log = hub.control.requests()
    assert result.commit is None
    assert not [r for r in log if r.method != "GET"], "a no-change run writes nothing"
    assert len(log) <= 4, [(r.method, r.path) for r in log]

    clone = tmp_path / "fresh"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    write_files(clone, {"app/7/700.py": "X = 'changed'\n"})
    hub.control.clear_log()
    assert sync(clone).commit is None
    log = hub.control.requests()
    tree_pages = len([r for r in log if "/tree/" in r.path])
    assert tree_pages >= 5
    assert len(log) <= 4 + tree_pages, [(r.method, r.path) for r in log]


def test_the_tree_a_commit_wrote_is_known_without_asking_the_hub(
    make_repo, hub: TestHub, env, tmp_path: Path
) -> None:
    """After a commit, its tree is cached from the preupload answers (LFS or regular) and the
    bytes sent: no paths-info request; the cache equals the Hub's own listing; a one-file change
    costs the head, the backup, one preupload, one commit and its confirmation."""
    files: dict[str, str | bytes] = {f"app/{i}.py": f"X = {i}\n" for i in range(30)}
    repo = make_repo({"hfsync.toml": config(), "model.bin": BIG, "empty.txt": "", **files})
    hub.control.clear_log()
    first = sync(repo)
    assert first.commit is not None
    assert hub.control.count("POST", "/paths-info/") == 0

    target = open_first_target(repo)
    cached = target.remote.tree(first.commit)
    listed = HubRemote(
        REPO,
        "space",
        "main",
        create=False,
        private=False,
        space_sdk="gradio",
        cache_dir=tmp_path / "no-cache",
    ).tree(first.commit)
    assert cached == listed
    assert cached["model.bin"].is_lfs

    write_files(repo, {"app/7.py": "X = 'changed'\n"})
    hub.control.clear_log()
    assert sync(repo).commit is not None
    calls = [(r.method, r.path.split("/")[-1]) for r in hub.control.requests()]
    assert hub.control.count("POST", "/paths-info/") == 0, calls
    assert hub.control.count("POST", "/preupload/") == 1, calls
    assert len(calls) <= 6, calls

    hub.control.clear_log()
    assert sync(repo).commit is None
    assert len(hub.control.requests()) == 1  # the head: nothing moved


def test_a_no_change_run_asks_only_for_the_head_and_loads_no_client(
    make_repo, hub: TestHub, env
) -> None:
    """The head is read with the one GET the client would make (same route, token header): a
    no-change run makes no other request and never builds the Hub client."""
    repo = make_repo({"hfsync.toml": config(), "app.py": "print(1)\n"})
    sync(repo)
    target = open_first_target(repo)
    hub.control.clear_log()

    result = run_sync(target, read_source(repo, None, target.scope.includes), SyncOptions())

    assert result.commit is None
    requests = hub.control.requests()
    assert [(r.method, r.path) for r in requests] == [("GET", f"/api/spaces/{REPO}/revision/main")]
    assert requests[0].query == "expand=sha"  # the head alone: no list of every file
    assert "api" not in vars(target.remote.client), "the Hub client was made for a no-change run"


def test_the_head_of_a_branch_with_a_slash_is_read_by_its_encoded_name(
    make_repo, hub: TestHub, env
) -> None:
    """The branch in the head's URL is percent-encoded as the client does it ('/' too)."""
    repo = make_repo({"hfsync.toml": config('branch = "dev/x"\n'), "app.py": "print(1)\n"})
    first = sync(repo)
    target = open_first_target(repo)
    hub.control.clear_log()

    assert target.remote.head() == first.commit
    assert [r.path for r in hub.control.requests()] == [f"/api/spaces/{REPO}/revision/dev%2Fx"]


def test_many_uploads_are_preuploaded_in_concurrent_chunks_and_all_land(
    make_repo, hub: TestHub, api: HfApi, env, monkeypatch
) -> None:
    """Over PREUPLOAD_CHUNK uploads, the preupload goes in chunks, two at a time: every file
    still lands with its bytes, an LFS one as LFS, and no chunk is asked twice."""
    from hfsync.remotes import hub_upload as hub_module

    monkeypatch.setattr(hub_module, "PREUPLOAD_CHUNK", 4)
    files: dict[str, str | bytes] = {f"app/{i}.py": f"X = {i}\n" for i in range(17)}
    repo = make_repo({"hfsync.toml": config(), **files, "app/model.bin": BIG})
    hub.control.clear_log()

    result = sync(repo)

    assert result.commit is not None
    assert hub.control.count("POST", "/preupload/") == 5  # 18 uploads in chunks of 4
    listed = {e.path: e for e in api.list_repo_tree(REPO, repo_type="space", recursive=True)}
    assert {path: listed[path].blob_id for path in files} == {
        path: git_blob_sha1(str(text).encode()) for path, text in files.items()
    }
    assert listed["app/model.bin"].lfs is not None


def test_a_file_saved_again_during_the_sync_is_not_sent_unchecked(
    make_repo, hub: TestHub, env, tmp_path: Path
) -> None:
    """Saved between the plan and the checks (as under `watch`): the bytes the checks read are
    not the planned ones, so nothing is sent; the next sync sends the file as it is now, and the
    cached tree says what the Hub holds."""
    repo = make_repo({"hfsync.toml": config(), "app.py": "print(1)\n"})
    sync(repo)
    write_files(repo, {"app.py": "print(2)\n"})
    target = open_first_target(repo)
    source = read_source(repo, None, target.scope.includes)
    dict(source.files)  # listed now (the plan is then made in full from this listing)
    write_files(repo, {"app.py": "print(3)\n"})  # after the source was read, before the upload
    head = target.remote.head()

    with pytest.raises(SourceError, match=r"app\.py changed while hfsync was syncing it"):
        run_sync(target, source, SyncOptions())
    assert target.remote.head() == head

    result = sync(repo)
    assert result.commit is not None
    listed = HubRemote(
        REPO,
        "space",
        "main",
        create=False,
        private=False,
        space_sdk="gradio",
        cache_dir=tmp_path / "no-cache",
    ).tree(result.commit)
    assert target.remote.tree(result.commit) == listed
    assert target.remote.read_file(result.commit, "app.py") == b"print(3)\n"


def large_file_requests(hub: TestHub) -> list[str]:
    """Requests about large-file content: the LFS batch API and transfers, or Xet and its CAS."""
    return [
        r.path
        for r in hub.control.requests()
        if "/info/lfs/" in r.path or r.path.startswith(("/_lfs/", "/cas/")) or "/xet-" in r.path
    ]


def test_big_binary_goes_through_lfs_and_is_left_alone_when_unchanged(
    make_repo, hub: TestHub, api: HfApi, env, upload_path: str
) -> None:
    repo = make_repo({"hfsync.toml": config(), "model.bin": BIG, "app.py": "print(1)\n"})
    hub.control.clear_log()
    sync(repo)
    uploads = large_file_requests(hub)
    assert any(path.startswith("/cas/v1/xorbs/") for path in uploads) == (upload_path == "xet")
    assert any(path.startswith("/_lfs/") for path in uploads) == (upload_path == "lfs")
    (entry,) = api.get_paths_info(REPO, ["model.bin"], repo_type="space")
    assert entry.lfs is not None and entry.lfs.size == len(BIG)
    assert (entry.xet_hash is not None) == (upload_path == "xet")

    write_files(repo, {"app.py": "print(2)\n"})
    hub.control.clear_log()
    result = sync(repo)
    assert [op.path for op in result.plan.uploads] == ["app.py"]
    assert large_file_requests(hub) == []  # not uploaded again, not even asked about


def test_rollback_of_an_lfs_file_uploads_no_lfs_content(
    make_repo, hub: TestHub, api: HfApi, env, upload_path: str
) -> None:
    from hfsync.engine.rollback import rollback

    repo = make_repo({"hfsync.toml": config(), "model.bin": BIG})
    sync(repo)
    write_files(repo, {"model.bin": BIG[::-1]})
    backup = sync(repo).backup
    assert backup is not None

    hub.control.clear_log()
    result = rollback(open_first_target(repo), backup)
    assert result.commit is not None
    assert large_file_requests(hub) == []  # copied on the Hub: no content travels
    local = api.hf_hub_download(REPO, "model.bin", repo_type="space")
    assert Path(local).read_bytes() == BIG


def test_failed_build_exits_5_and_rolls_back(make_repo, hub: TestHub, api: HfApi, env) -> None:
    extra = "wait_for_build = true\nrollback_on_failure = true\nbuild_timeout = 30\n"
    repo = make_repo({"hfsync.toml": config(extra), "app.py": "print('ok')\n"})
    first = hfsync(repo, "run", env=env)
    assert first.returncode == 0, first.stderr
    assert "Space is RUNNING" in first.stdout
    good = api.repo_info(REPO, repo_type="space").sha

    write_files(repo, {BUILD_ERROR_MARKER: "broken", "app.py": "print('broken')\n"})
    done = hfsync(repo, "run", env=env)
    assert done.returncode == 5, done.stdout + done.stderr
    assert "BUILD_ERROR" in done.stderr and "rolled back" in done.stderr
    assert "RUNNING again" in done.stderr
    files = {e.path for e in api.list_repo_tree(REPO, repo_type="space", recursive=True)}
    assert BUILD_ERROR_MARKER not in files
    assert api.get_space_runtime(REPO).stage == "RUNNING"
    restored = api.hf_hub_download(REPO, "app.py", repo_type="space", revision="main")
    assert Path(restored).read_text() == "print('ok')\n"
    assert api.repo_info(REPO, repo_type="space").sha != good  # a new commit, history kept


def test_failed_build_without_rollback_exits_5(make_repo, hub: TestHub, env) -> None:
    repo = make_repo({"hfsync.toml": config("wait_for_build = true\n"), "app.py": "x"})
    assert hfsync(repo, "run", env=env).returncode == 0
    hub.control.set_next_build_result(REPO, "RUNTIME_ERROR")
    write_files(repo, {"app.py": "y"})
    done = hfsync(repo, "run", env=env)
    assert done.returncode == 5
    assert "RUNTIME_ERROR" in done.stderr and "hfsync rollback" in done.stderr


class RacingHubRemote(HubRemote):
    """The real Hub remote; someone else commits right before hfsync's first commit."""

    def __init__(self, inner: HubRemote, api: HfApi) -> None:
        self.__dict__.update(inner.__dict__)
        self.other = api
        self.raced = False

    def commit(
        self, parent: str | None, change: Change, source: Source, title: str, body: str
    ) -> str:
        if not self.raced:
            self.raced = True
            add = CommitOperationAdd(path_in_repo="other.txt", path_or_fileobj=b"someone else\n")
            self.other.create_commit(REPO, [add], commit_message="concurrent", repo_type="space")
        return super().commit(parent, change, source, title, body)


def test_a_racing_commit_on_the_hub_is_never_lost(make_repo, hub: TestHub, api: HfApi, env) -> None:
    repo = make_repo({"hfsync.toml": config(), "app.py": "1"})
    sync(repo)
    write_files(repo, {"app.py": "2"})
    target = open_first_target(repo)
    assert isinstance(target.remote, HubRemote)
    target.remote = RacingHubRemote(target.remote, api)
    result = run_sync(target, read_source(repo, None, target.scope.includes), SyncOptions())
    assert result.attempts == 2
    titles = [c.title for c in api.list_repo_commits(REPO, repo_type="space")]
    assert titles[1] == "concurrent" and titles[0].startswith("hfsync:")
    files = {e.path for e in api.list_repo_tree(REPO, repo_type="space")}
    assert "other.txt" in files


def test_stale_parent_is_refused_by_the_hub(make_repo, hub: TestHub, api: HfApi, env) -> None:
    repo = make_repo({"hfsync.toml": config(), "app.py": "1"})
    sync(repo)
    target = open_first_target(repo)
    remote = target.remote
    assert isinstance(remote, HubRemote)
    old = remote.head()
    assert old is not None
    api.create_commit(
        REPO, [CommitOperationAdd("b.txt", b"b")], commit_message="web", repo_type="space"
    )
    source = read_source(repo, None, target.scope.includes)
    local = source.files["app.py"]
    with pytest.raises(RemoteMovedError):
        remote.commit(old, Change(uploads=(("app.py", local),), deletes=()), source, "t", "b")


def test_a_503_on_preupload_is_retried_by_the_client(make_repo, hub: TestHub, env) -> None:
    repo = make_repo({"hfsync.toml": config(), "app.py": "1"})
    hub.control.inject("/preupload/", status=503, times=1)
    assert sync(repo).commit is not None


def test_a_short_rate_limit_is_waited_out(make_repo, hub: TestHub, env) -> None:
    repo = make_repo({"hfsync.toml": config(), "app.py": "1"})
    sync(repo)
    write_files(repo, {"app.py": "2"})
    hub.control.inject("/commit/", method="POST", status=429, retry_after=1)
    assert sync(repo).commit is not None


# -- errors a user can act on: one line, exit 4, the token never shown ---------------------------


def run_cli(repo: Path, hub: TestHub, token: str | None) -> tuple[int, str]:
    env = {"HF_ENDPOINT": hub.url}
    if token is not None:
        env["HF_TOKEN"] = token
    done = hfsync(repo, "run", env=env)
    output = done.stdout + done.stderr
    if token:
        assert token not in output
    # stderr also announces phases ("planning ..."); the error is the lines hfsync: starts
    errors = [line for line in done.stderr.splitlines() if line.startswith("hfsync:")]
    return done.returncode, "\n".join(errors)


@pytest.mark.parametrize(
    ("token", "words"),
    [
        (None, "HF_TOKEN"),
        ("hf_not_a_real_token", "rejected the token"),
        (READ_TOKEN, "write access"),
    ],
    ids=["missing token", "bad token", "read-only token"],
)
def test_token_errors(make_repo, hub: TestHub, token: str | None, words: str) -> None:
    repo = make_repo({"hfsync.toml": config(), "app.py": "1"})
    code, message = run_cli(repo, hub, token)
    assert code == 4
    assert words in message and len(message.splitlines()) == 1


def test_missing_repo_offers_create(make_repo, hub: TestHub) -> None:
    repo = make_repo({"hfsync.toml": config().replace("create = true\n", ""), "app.py": "1"})
    code, message = run_cli(repo, hub, WRITE_TOKEN)
    assert code == 4 and "create = true" in message


def test_missing_branch(make_repo, hub: TestHub, api: HfApi) -> None:
    api.create_repo(REPO, repo_type="space", space_sdk="gradio")
    text = f'[[targets]]\nname = "space"\nrepo = "{REPO}"\nbranch = "dev"\n'
    repo = make_repo({"hfsync.toml": text, "app.py": "1"})
    code, message = run_cli(repo, hub, WRITE_TOKEN)
    assert code == 4 and "branch 'dev' does not exist" in message


def test_long_rate_limit_exits_6_with_the_wait(make_repo, hub: TestHub) -> None:
    repo = make_repo({"hfsync.toml": config(), "app.py": "1"})
    assert run_cli(repo, hub, WRITE_TOKEN)[0] == 0
    write_files(repo, {"app.py": "2"})
    hub.control.inject("/commit/", method="POST", status=429, retry_after=600)
    code, message = run_cli(repo, hub, WRITE_TOKEN)
    assert code == 6 and "600 s" in message


def test_unreachable_hub(make_repo, hub: TestHub) -> None:
    repo = make_repo({"hfsync.toml": config(), "app.py": "1"})
    url = hub.url
    hub.stop()
    done = hfsync(repo, "run", env={"HF_ENDPOINT": url, "HF_TOKEN": WRITE_TOKEN})
    assert done.returncode == 6
    assert "cannot connect" in done.stderr and "after 5 attempts" in done.stderr
    retries = [line for line in done.stderr.splitlines() if "; attempt " in line]
    assert len(retries) == 4  # four retry lines, then the error


def test_split_change_respects_the_limits() -> None:
    def local(size: int) -> LocalFile:
        return LocalFile(path="x", size=size, sha1="0" * 40)

    change = Change(
        uploads=(*((f"f{i}", local(400)) for i in range(5)), ("big", local(20 << 20))),
        deletes=("gone",),
    )
    parts = split_change(change, CommitLimits(lfs_files=1, inline_bytes=1000))
    assert [[p for p, _ in part.uploads] for part in parts] == [
        ["f0", "f1"],
        ["f2", "f3"],
        ["f4", "big"],
    ]
    assert [part.deletes for part in parts] == [("gone",), (), ()]
    assert split_change(change, CommitLimits()) == [change]


def limited_target(repo: Path, inline_bytes: int) -> Target:
    target = open_first_target(repo)
    assert isinstance(target.remote, HubRemote)
    target.remote.limits = CommitLimits(inline_bytes=inline_bytes)
    return target


def test_a_change_over_the_commit_limits_lands_in_pinned_parts(
    make_repo, hub: TestHub, api: HfApi, env
) -> None:
    files: dict[str, str | bytes] = {f"data/{i}.txt": f"{i:0300d}" for i in range(10)}
    repo = make_repo({"hfsync.toml": config('paths = ["data/**"]\n'), **files})
    target = limited_target(repo, inline_bytes=1000)
    result = run_sync(target, read_source(repo, None, target.scope.includes), SyncOptions())

    commits = api.list_repo_commits(REPO, repo_type="space")
    titles = [c.title for c in commits[:4]]
    stem = titles[0].split(" (part")[0]
    assert titles == [f"{stem} (part {n}/4)" for n in (4, 3, 2, 1)]
    assert result.commit == commits[0].commit_id
    again = run_sync(target, read_source(repo, None, target.scope.includes), SyncOptions())
    assert again.commit is None and not again.plan.operations


def test_an_interrupted_multi_part_sync_is_finished_by_the_next_run(
    make_repo, hub: TestHub, api: HfApi, env
) -> None:
    repo = make_repo({"hfsync.toml": config('paths = ["data/**"]\n'), "data/first.txt": "1"})
    sync(repo)
    write_files(repo, {f"data/{i}.txt": f"{i:0300d}" for i in range(6)})
    target = limited_target(repo, inline_bytes=1000)  # two parts of three files
    hub.control.set_commit_rate_limit(1)  # the first part lands, the second is refused
    with pytest.raises(RemoteError, match="429"):
        run_sync(target, read_source(repo, None, target.scope.includes), SyncOptions())
    landed = {e.path for e in api.list_repo_tree(REPO, "data", repo_type="space")}
    assert landed == {"data/first.txt", "data/0.txt", "data/1.txt", "data/2.txt"}

    hub.control.set_commit_rate_limit(None)
    result = run_sync(target, read_source(repo, None, target.scope.includes), SyncOptions())
    assert [op.path for op in result.plan.uploads] == ["data/3.txt", "data/4.txt", "data/5.txt"]
    assert not result.plan.conflicts


@pytest.mark.parametrize(
    ("fault", "posts"),
    [({"drop": True}, 2), ({"drop_after": True}, 1)],
    ids=["lost before the commit: sent again", "lost after the commit: recognised"],
)
def test_a_connection_lost_during_the_commit_makes_exactly_one_commit(
    make_repo,
    hub: TestHub,
    api: HfApi,
    env,
    fault: dict[str, bool],
    posts: int,
    upload_path: str,
) -> None:
    repo = make_repo({"hfsync.toml": config(), "app.py": "1", "w.bin": b"\0one"})
    sync(repo)
    before = len(api.list_repo_commits(REPO, repo_type="space"))
    write_files(repo, {"app.py": "2", "w.bin": b"\0two"})
    hub.control.clear_log()
    hub.control.inject("/commit/", method="POST", **fault)
    result = sync(repo)
    commits = api.list_repo_commits(REPO, repo_type="space")
    assert len(commits) == before + 1  # never twice, never lost
    assert result.commit == commits[0].commit_id and result.attempts == 1
    assert hub.control.count("POST", "/commit/") == posts
    assert sync(repo).commit is None


@pytest.mark.parametrize("fault", [{"status": 503}, {"drop": True}], ids=["503", "dropped"])
def test_a_failed_xorb_upload_is_retried(
    make_repo, hub: TestHub, api: HfApi, env, fault: dict[str, object]
) -> None:
    repo = make_repo({"hfsync.toml": config(), "model.bin": BIG})
    hub.control.inject("^/cas/v1/xorbs/", method="POST", **fault)
    assert sync(repo).commit is not None
    assert [r.fault for r in hub.control.requests("POST", "^/cas/v1/xorbs/")] == [True, False]
    local = api.hf_hub_download(REPO, "model.bin", repo_type="space")
    assert Path(local).read_bytes() == BIG


def test_an_expired_xet_token_fails_the_run_cleanly_and_the_next_run_uploads(
    make_repo, hub: TestHub, api: HfApi
) -> None:
    repo = make_repo({"hfsync.toml": config(), "app.py": "1"})
    assert run_cli(repo, hub, WRITE_TOKEN)[0] == 0
    head = api.repo_info(REPO, repo_type="space").sha
    write_files(repo, {"model.bin": BIG})
    # What the CAS answers once a token has expired; hf_xet does not refresh after a 401.
    expired = {"status": 401, "message": "The Xet access token has expired", "times": 20}
    hub.control.inject("^/cas/v1/xorbs/", method="POST", **expired)
    code, message = run_cli(repo, hub, WRITE_TOKEN)
    last = message.splitlines()[-1]
    assert code == 4 and "Traceback" not in message
    assert "through Xet failed: the Hub refused it (401, /cas/v1/xorbs/" in last
    assert "no commit was made" in last
    assert hub.control.count("POST", "^/cas/v1/xorbs/") == 1  # hf_xet does not retry a 401
    assert api.repo_info(REPO, repo_type="space").sha == head
    hub.control.clear_faults()
    assert run_cli(repo, hub, WRITE_TOKEN)[0] == 0
    assert api.get_paths_info(REPO, ["model.bin"], repo_type="space")[0].xet_hash


def test_short_lived_xet_tokens_are_renewed_during_a_sync(
    make_repo, hub: TestHub, api: HfApi, env
) -> None:
    hub.xet_tokens.lifetime = 20  # hf_xet renews a token that is close to its expiry
    repo = make_repo({"hfsync.toml": config(), "model.bin": BIG})
    assert sync(repo).commit is not None
    assert hub.control.count("GET", "/xet-write-token/") >= 2
