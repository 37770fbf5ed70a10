"""``python -m shardkv``, the Lab 4 demo: a seeded run replays exactly and moves shards
linearizably; bad options are refused at once; --help; quiet Ctrl-C.

Real processes, as a user runs the demo (a seeded run re-executes itself with a fixed
PYTHONHASHSEED, which an in-process run would skip; and under ``pytest --sim`` this test
is itself simulated, where the demo's own simulator could not run). The seeded runs are
short: about 4 virtual seconds each.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_check import REPO, assert_help, assert_interrupted_quietly, assert_refused, program_env, run, start

SHORT = ["--seconds", "3", "--clients", "3"]
RUN_LIMIT_S = 300  # a seeded run takes a few seconds of wall time, more on a loaded machine


def demo(args: list[str], tmp_path: Path) -> list[str]:
    """The output lines of a demo run that succeeded, but the HTML file's path (a fresh
    temporary name each run: the file itself goes to tmp_path)."""
    done = subprocess.run(
        [sys.executable, "-m", "shardkv", *args],
        cwd=REPO,
        env=program_env(TMPDIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT_S,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return [line for line in done.stdout.splitlines() if not line.startswith("visualization:")]


def figure(lines: list[str], label: str) -> int:
    """The number after 'label: ' on the line that starts with it."""
    line = next(line for line in lines if line.startswith(f"{label}: "))
    return int(line.split()[len(label.split())])


def test_the_same_seed_gives_the_same_run(tmp_path: Path) -> None:
    first = demo([*SHORT, "--seed", "7"], tmp_path)
    again = demo([*SHORT, "--seed", "7"], tmp_path)
    other = demo([*SHORT, "--seed", "8"], tmp_path)
    assert first == again
    assert first != other
    for lines in (first, other):
        assert "linearizability: Ok (linearizable;" in "\n".join(lines), lines
        assert figure(lines, "operations") > 0, lines
        assert figure(lines, "shards moved") > 0, lines
        assert figure(lines, "bytes moved") > 0, lines
        # Configurations as they change: config 1 (group 100 alone), then at least one more.
        configs = [line for line in lines if re.search(r"config \d+, shards 0-9 on( \d+){10}$", line)]
        assert len(configs) >= 2 and "join G100: config 1, shards 0-9 on" + " 100" * 10 in configs[0], lines
    assert len(list(tmp_path.glob("shardkv-*.html"))) == 3


def test_groups_of_one_server(tmp_path: Path) -> None:
    """A group of one is its own majority; a crashed server is its whole group."""
    lines = demo(["--servers", "1", "--seconds", "4", "--clients", "2", "--seed", "4"], tmp_path)
    assert lines[0].startswith("shardkv: 3 groups of 1 servers"), lines
    assert "linearizability: Ok (linearizable;" in "\n".join(lines), lines


BAD_OPTIONS = [
    (["--servers", "0"], ["--servers", "a positive integer", "0"]),
    (["--servers", "two"], ["--servers", "a positive integer", "two"]),
    (["--seconds", "-5"], ["--seconds", "above 0", "-5"]),
    (["--seconds", "nan"], ["--seconds", "finite"]),
    (["--clients", "0"], ["--clients", "a positive integer"]),
    (["--keys", "0"], ["--keys", "a positive integer"]),
    (["--maxraftstate", "0"], ["--maxraftstate", "-1"]),
    (["--check-timeout", "0"], ["--check-timeout", "above 0"]),
    (["--seed", "x"], ["--seed", "invalid int value", "x"]),
    (["--seed"], ["--seed", "expected one argument"]),
    (["--peers", "3"], ["unrecognized arguments: --peers"]),  # kvraft's option; here it is --servers
]


@pytest.mark.parametrize("argv, fragments", BAD_OPTIONS, ids=[" ".join(argv) for argv, _ in BAD_OPTIONS])
def test_demo_refuses_bad_option(argv: list[str], fragments: list[str]) -> None:
    done = run(["shardkv", *argv], REPO)
    assert done.returncode == 2, done.stderr  # argparse's usage error
    assert_refused(done, *fragments)
    assert done.stdout == "", "the demo started anyway"


def test_demo_help() -> None:
    done = run(["shardkv", "--help"], REPO)
    assert_help(done, "python -m shardkv")
    for option in ("--seconds", "--clients", "--servers", "--keys", "--maxraftstate", "--seed", "--check-timeout"):
        assert option in done.stdout


@pytest.mark.parametrize("mode", [[], ["--seed", "7"]], ids=["real-time", "simulated"])
def test_demo_ctrl_c_exits_quietly(mode: list[str]) -> None:
    proc = start(["shardkv", "--seconds", "60", *mode], REPO)
    try:
        header = proc.stdout.readline()
        assert header.startswith("shardkv: 3 groups of 3 servers"), header + proc.stderr.read()
        proc.stdout.readline()  # group 100 has joined: the run is under way
        assert_interrupted_quietly(proc, "shardkv")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
