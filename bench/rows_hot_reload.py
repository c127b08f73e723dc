"""The hot-reload row: under `hfsync watch`, a save of `app.py` of a running Gradio 6.1 Space on
the test Hub (its own process on 127.0.0.1) -> the line saying what the replica reloaded,
printed by `watch`; median of `saves` saves, beside the debounce setting that the wait includes.

    python -m bench.rows_hot_reload      # this row alone (about 20 s)
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from bench.measure import phase, summary
from bench.rows_hub import HFSYNC, TOKEN, test_hub
from bench.table import Row, markdown

SPACE = "user/hot-reload"
GOAL_S = 2.0
README = "---\ntitle: Bench\nsdk: gradio\nsdk_version: 6.1.0\napp_file: app.py\n---\n"
CONFIG = (
    f'[[targets]]\nname = "bench"\nrepo = "{SPACE}"\ncreate = true\npaths = ["README.md", "*.py"]\n'
)


def app(n: int) -> str:
    return (
        f'import gradio as gr\n\ndef greet(name):\n    return "Hello {n} " + name\n\n'
        "with gr.Blocks() as demo:\n    gr.Textbox()\n"
    )


def row(work: Path, env: dict[str, str], saves: int = 10, debounce: float = 0.5) -> Row:
    """Save -> `watch` printed what the replica reloaded, for `saves` saves of app.py."""
    root = work / "hot-reload"
    repo = root / "repo"
    repo.mkdir(parents=True)
    for path, text in {"hfsync.toml": CONFIG, "README.md": README, "app.py": app(0)}.items():
        (repo / path).write_text(text)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, env=env, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, env=env, check=True)
    subprocess.run(["git", "commit", "-qm", "bench"], cwd=repo, env=env, check=True)
    log = root / "watch.out"
    latencies: list[float] = []
    with test_hub(root / "hub", env) as url:
        env = env | {"HF_ENDPOINT": url, "HF_TOKEN": TOKEN, "HF_HOME": str(root / "hf-home")}
        command = [*HFSYNC, "watch", "--debounce", str(debounce), "--poll", "0"]
        with log.open("wb") as out:
            watcher = subprocess.Popen(
                command, cwd=repo, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            with phase(f"hot reload: first sync, then {saves} saves"):
                _wait(lambda: "committed" in log.read_text(), "the first sync")
                _wait(lambda: _stage(url) == "RUNNING", "the Space's first build")
                for n in range(1, saves + 1):
                    started = time.perf_counter()
                    (repo / "app.py").write_text(app(n))
                    _wait(lambda n=n: log.read_text().count("replica ") >= n, f"hot reload {n}")
                    latencies.append(time.perf_counter() - started)
        finally:
            watcher.send_signal(signal.SIGINT)
            watcher.wait(timeout=60)
    text = log.read_text()
    if text.count("with hot reload") != saves or "exception at" in text:
        raise RuntimeError(f"hot reload: unexpected watch output:\n{text[-2000:]}")
    times = summary(latencies)
    return Row(
        f"watch: save app.py -> hot reload reported per replica (median of {saves})",
        times,
        "the debounce setting",
        {"median": debounce, "min": debounce, "max": debounce, "runs": 1},
        ratio=times["median"] / debounce,
        goal=f"< {GOAL_S:.0f} s",
        met=times["median"] < GOAL_S,
        extra={"overhead_s": times["median"] - debounce, "debounce_s": debounce},
    )


def _stage(url: str) -> str | None:
    request = urllib.request.Request(
        f"{url}/api/spaces/{SPACE}/runtime", headers={"authorization": f"Bearer {TOKEN}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            stage = json.load(answer).get("stage")
    except OSError:
        return None
    return stage if isinstance(stage, str) else None


def _wait(check: Callable[[], object], what: str, timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    while not check():
        if time.perf_counter() > deadline:
            raise RuntimeError(f"hot reload: {what} did not happen within {timeout:.0f} s")
        time.sleep(0.01)


if __name__ == "__main__":
    from bench.rows_git import environment

    with tempfile.TemporaryDirectory(prefix="hfsync-bench-") as folder:
        print(markdown([row(Path(folder), environment())]))
    sys.exit(0)
