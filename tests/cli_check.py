"""Checks the command-line programs share (python -m kvraft, python -m mr.*): bad input is
refused at once with one clear line, --help answers with usage, Ctrl-C ends quietly.

    run(["mr.worker", "--help"], cwd)        the program's CompletedProcess (text, both streams captured)
    start(["kvraft"], cwd)                   a running program, stdout and stderr piped, unbuffered
    assert_refused(done, "--peers", "at least 1")
    assert_help(done, "python -m kvraft")
    assert_interrupted_quietly(proc, "kvraft")   send SIGINT, expect "kvraft: interrupted" and status 130
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# A bad option is refused before any work starts; even on a loaded machine that is well under this.
QUICK_S = 20.0
INTERRUPTED_EXIT = 130  # 128 + SIGINT, as a shell reports a job stopped by Ctrl-C


def program_env(**extra: str) -> dict[str, str]:
    """The environment of a user who installed this checkout (pip install -e .), without debug logs."""
    env = {k: v for k, v in os.environ.items() if k != "PY6824_DEBUG"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    return {**env, **extra}


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        env=env or program_env(),
        capture_output=True,
        text=True,
        timeout=QUICK_S,
    )


def start(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    # Python starts with SIGINT's default disposition only if we do: a shell's background
    # job inherits SIG_IGN, and then Ctrl-C would not reach it at all.
    return subprocess.Popen(
        [sys.executable, "-u", "-m", *args],
        cwd=cwd,
        env=env or program_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def assert_refused(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Non-zero exit, no traceback, and one line that says what is wrong (naming every fragment).

    The line is the only one on stderr, or argparse's "prog: error: ..." after its usage lines.
    """
    assert done.returncode != 0, f"accepted: {done.args}\n{done.stdout}"
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert lines, f"no message from {done.args}"
    message = lines[-1]
    if len(lines) > 1:
        assert lines[0].startswith("usage: ") and ": error: " in message, done.stderr
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def assert_help(done: subprocess.CompletedProcess[str], prog: str) -> None:
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: {prog} "), done.stdout
    assert done.stderr == ""


def assert_interrupted_quietly(proc: subprocess.Popen[str], name: str) -> str:
    """Ctrl-C the running program: it must exit 130 with one line, "<name>: interrupted". Returns its stdout."""
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=QUICK_S)
    assert "Traceback" not in err, err
    assert err == f"{name}: interrupted\n", err
    assert proc.returncode == INTERRUPTED_EXIT, f"exit status {proc.returncode}\n{err}"
    return out
