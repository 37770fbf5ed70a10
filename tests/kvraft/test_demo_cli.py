"""``python -m kvraft``'s command line: bad options are refused at once, --help, quiet Ctrl-C.

Real processes, no sleeps: a Ctrl-C test waits for the demo's first progress line, which
comes after the options are read and the interrupt handler is in place. (The demo's runs
themselves are tested in tests/runtime/test_demo_replay.py.)
"""

from __future__ import annotations

import pytest

from tests.cli_check import REPO, assert_help, assert_interrupted_quietly, assert_refused, run, start

BAD_OPTIONS = [
    (["--peers", "0"], ["--peers", "a positive integer", "0"]),
    (["--peers", "-1"], ["--peers", "a positive integer", "-1"]),
    (["--peers", "two"], ["--peers", "a positive integer", "two"]),
    (["--seconds", "-5"], ["--seconds", "above 0", "-5"]),
    (["--seconds", "0"], ["--seconds", "above 0"]),
    (["--seconds", "inf"], ["--seconds", "finite"]),
    (["--seconds", "nan"], ["--seconds", "finite"]),
    (["--clients", "0"], ["--clients", "a positive integer"]),
    (["--keys", "0"], ["--keys", "a positive integer"]),
    (["--maxraftstate", "0"], ["--maxraftstate", "-1"]),
    (["--maxraftstate", "-2"], ["--maxraftstate", "-2"]),
    (["--check-timeout", "0"], ["--check-timeout", "above 0"]),
    (["--seed", "x"], ["--seed", "invalid int value", "x"]),
    (["--seed"], ["--seed", "expected one argument"]),
    (["--bogus"], ["unrecognized arguments: --bogus"]),
    (["extra"], ["unrecognized arguments: extra"]),
]


@pytest.mark.parametrize("argv, fragments", BAD_OPTIONS, ids=[" ".join(argv) for argv, _ in BAD_OPTIONS])
def test_demo_refuses_bad_option(argv: list[str], fragments: list[str]) -> None:
    done = run(["kvraft", *argv], REPO)
    assert done.returncode == 2, done.stderr  # argparse's usage error
    assert_refused(done, *fragments)
    assert done.stdout == "", "the demo started anyway"


def test_demo_help() -> None:
    done = run(["kvraft", "--help"], REPO)
    assert_help(done, "python -m kvraft")
    for option in ("--seconds", "--clients", "--peers", "--keys", "--maxraftstate", "--seed", "--check-timeout"):
        assert option in done.stdout


@pytest.mark.parametrize("mode", [[], ["--seed", "7"]], ids=["real-time", "simulated"])
def test_demo_ctrl_c_exits_quietly(mode: list[str]) -> None:
    proc = start(["kvraft", "--seconds", "60", "--peers", "3", *mode], REPO)
    try:
        header = proc.stdout.readline()
        assert header.startswith("kvraft: 3 peers"), header + proc.stderr.read()
        proc.stdout.readline()  # the first chaos step: the run is under way
        assert_interrupted_quietly(proc, "kvraft")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
