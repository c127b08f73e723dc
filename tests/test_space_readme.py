"""A Space's README.md front matter read as huggingface_hub reads it, and its problems reported
at the line where they are: through the CLI, against the test Hub."""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import HfApi

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import WRITE_TOKEN
from tests.helpers_git import hfsync

CONFIG = '[[targets]]\nname = "space"\nrepo = "user/demo"\ncreate = true\n'
FRONT = "---\ntitle: Demo\nsdk: gradio\napp_file: app.py\n---\n# Demo\n"


def test_a_readme_starting_with_a_byte_order_mark_is_read_as_the_client_reads_it(
    make_repo, hub: TestHub, env: dict[str, str]
) -> None:
    from huggingface_hub import metadata_load

    readme = b"\xef\xbb\xbf" + FRONT.encode()
    repo = make_repo({"hfsync.toml": CONFIG, "README.md": readme, "app.py": "print(1)\n"})
    assert metadata_load(repo / "README.md") == {
        "title": "Demo",
        "sdk": "gradio",
        "app_file": "app.py",
    }
    check = hfsync(repo, "check")
    assert check.returncode == 0, check.stderr
    done = hfsync(repo, "run")
    assert done.returncode == 0, done.stderr
    api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)
    assert "README.md" in api.list_repo_files("user/demo", repo_type="space")


def test_a_yaml_error_is_reported_at_its_line_with_the_yaml_error(
    make_repo, hub: TestHub, env: dict[str, str], tmp_path: Path
) -> None:
    readme = "---\ntitle: Demo\nsdk: gradio\napp_file: app.py\nemoji: a: b\n---\n# Demo\n"
    repo = make_repo({"hfsync.toml": CONFIG, "README.md": readme, "app.py": "print(1)\n"})
    done = hfsync(repo, "run")
    assert done.returncode == 2, done.stderr
    assert (
        "  README.md:5: invalid YAML in the front matter: mapping values are not allowed here "
        "[space-config];"
    ) in done.stderr
    assert "README.md:1:" not in done.stderr

    # The line counts from the top of the file: blank lines before the block count too.
    (repo / "README.md").write_text("\n\n" + readme)
    check = hfsync(repo, "check")
    assert check.returncode == 2
    assert "README.md:7: invalid YAML in the front matter" in check.stderr

    (repo / "README.md").write_text("# Demo\nno front matter\n")
    check = hfsync(repo, "check")
    assert check.returncode == 2
    assert "README.md:1: README.md has no YAML front matter (between '---' lines)" in check.stderr
