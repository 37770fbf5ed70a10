"""Every command line under tools/ and benchmarks/ (tools/cli.py): --help, a bad argument is
one line and exit 2, Ctrl-C ends it quietly with 130."""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tools import cli

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "fixtures" / "raft_2a.log"
RUN_LIMIT_S = 120

# Each command line, as a user types it (after 'python'), with one bad argument and what it says.
COMMANDS = {
    "logview": (
        ["-m", "tools.logview"],
        ["--width", "0"],
        "python -m tools.logview: error: argument --width: expected an integer from 40 to 10000, got '0'",
    ),
    "timeline": (
        ["-m", "tools.timeline"],
        [],
        "python -m tools.timeline: error: the following arguments are required: LOGFILE",
    ),
    "stress": (
        ["-m", "tools.stress"],
        ["-p", "x"],
        "run_tests.sh: error: argument -p/--parallel: expected an integer from 1 to 256, got 'x'",
    ),
    "raft_bench": (
        ["benchmarks/raft_bench.py"],
        ["--callers", "0"],
        "raft_bench.py: error: argument --callers: expected an integer from 1 to 1000, got '0'",
    ),
    "kvraft_bench": (
        ["benchmarks/kvraft_bench.py"],
        ["--seconds", "0"],
        "kvraft_bench.py: error: argument --seconds: expected a number of seconds above 0 and at most 3600, got '0'",
    ),
    "porcupine_bench": (
        ["benchmarks/porcupine_bench.py"],
        ["--timeout", "nan"],
        "porcupine_bench.py: error: argument --timeout: expected a number of seconds above 0 "
        "and at most 3600, got 'nan'",
    ),
    "mr_bench": (
        ["benchmarks/mr_bench.py"],
        ["--workers", "1,,x"],
        "mr_bench.py: error: argument --workers: expected an integer from 1 to 64, got 'x'",
    ),
    "sim_bench": (
        ["benchmarks/sim_bench.py"],
        ["--seeds", "0"],
        "sim_bench.py: error: argument --seeds: expected a positive integer, got '0'",
    ),
}


def python(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT_S,
        stdin=subprocess.DEVNULL,
        check=False,
        **kwargs,
    )


@pytest.mark.parametrize("name", COMMANDS)
def test_help(name: str) -> None:
    proc = python(*COMMANDS[name][0], "--help")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: ") and proc.stderr == ""


@pytest.mark.parametrize("name", COMMANDS)
def test_a_bad_argument_is_one_line_and_exit_2(name: str) -> None:
    command, bad, message = COMMANDS[name]
    proc = python(*command, *bad)
    assert proc.returncode == 2
    assert proc.stderr == f"{message} (see --help)\n"


def test_sim_bench_profile_says_where_the_cpu_went() -> None:
    proc = python("benchmarks/sim_bench.py", "--seeds", "2", "-k", "backup_2b", "--profile")
    assert proc.returncode == 0, proc.stderr
    report = proc.stdout.partition("where the CPU went: ")[2]
    samples = int(report.split()[0])
    assert samples > 0, proc.stdout
    shares = re.findall(r"^ *([0-9.]+)%  runtime/sim.py$", report, re.MULTILINE)
    assert len(shares) == 1 and 0 < float(shares[0]) <= 100, report  # the simulator's own code, by file
    assert re.search(r"^ *[0-9.]+%  runtime/sim.py:_switch$", report, re.MULTILINE), report


# --------------------------------------------------------------------------- the types


def test_int_in_names_its_range() -> None:
    assert cli.int_in(1, 5)("5") == 5
    for parse, text, wanted in (
        (cli.int_in(1, 5), "6", "an integer from 1 to 5"),
        (cli.int_in(1), "0", "a positive integer"),
        (cli.int_in(0), "-1", "a non-negative integer"),
        (cli.int_in(3), "2", "an integer >= 3"),
        (cli.int_in(1), "1.0", "a positive integer"),
    ):
        with pytest.raises(argparse.ArgumentTypeError, match=f"^expected {wanted}, got '{text}'$"):
            parse(text)


def test_number_in_refuses_zero_infinity_and_nan() -> None:
    parse = cli.number_in(10, "seconds")
    assert parse("0.5") == 0.5 and parse("10") == 10
    for text in ("0", "-1", "10.5", "inf", "nan", "1e400", "x"):
        with pytest.raises(
            argparse.ArgumentTypeError, match=f"^expected a number of seconds above 0 and at most 10, got '{text}'$"
        ):
            parse(text)


def test_number_in_without_a_bound_still_refuses_infinity() -> None:
    parse = cli.number_in(unit="MB")
    assert parse("1e300") == 1e300
    for text in ("0", "inf", "nan"):
        with pytest.raises(argparse.ArgumentTypeError, match=f"^expected a finite number of MB above 0, got '{text}'$"):
            parse(text)


def test_int_list() -> None:
    parse = cli.int_list(1, 4)
    assert parse("1, 2,4,") == [1, 2, 4]
    with pytest.raises(argparse.ArgumentTypeError, match="expected comma-separated integers, got ','"):
        parse(",")
    with pytest.raises(argparse.ArgumentTypeError, match="expected an integer from 1 to 4, got '5'"):
        parse("1,5")


def test_run_exits_with_mains_status_and_130_on_ctrl_c(capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted() -> int:
        raise KeyboardInterrupt

    for main, status in ((lambda: 3, 3), (lambda: None, 0), (interrupted, 130)):
        with pytest.raises(SystemExit) as exc:
            cli.run("prog", main)
        assert exc.value.code == status
    assert capsys.readouterr() == ("", "prog: interrupted\n")


# --------------------------------------------------------------------------- Ctrl-C, for real


def _start(*args: str) -> subprocess.Popen[str]:
    """A command line in its own process group, with SIGINT at its default (a shell's
    background job would ignore it), unbuffered so that its first line says it is running."""
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        text=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _interrupt(proc: subprocess.Popen[str]) -> tuple[str, str]:
    try:
        proc.send_signal(signal.SIGINT)
        return proc.communicate(timeout=RUN_LIMIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("module", ["tools.logview", "tools.timeline"])
def test_ctrl_c_while_reading_the_log(module: str, tmp_path: Path) -> None:
    """Interrupted while it waits for its input: a FIFO nobody writes to yet. Opening the
    FIFO's write end returns once the tool opened the read end, so the tool is in main()."""
    fifo = tmp_path / "log"
    os.mkfifo(fifo)
    proc = _start("-m", module, str(fifo))
    opened, done = threading.Event(), threading.Event()

    def hold_the_write_end() -> None:  # open until the tool is gone, so it never sees the end
        with open(fifo, "w"):
            opened.set()
            done.wait(RUN_LIMIT_S)

    threading.Thread(target=hold_the_write_end, daemon=True).start()
    assert opened.wait(60), "the tool never opened its log"
    try:
        _, stderr = _interrupt(proc)
    finally:
        done.set()
    assert proc.returncode == 130 and stderr == f"{module}: interrupted\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log"]  # no timeline written


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.parametrize(
    ("args", "children"),
    [(["benchmarks/raft_bench.py", "--seconds", "60"], 0), (["benchmarks/mr_bench.py", "--skip-speedup"], 4)],
    ids=["raft", "mr"],
)
def test_ctrl_c_in_a_benchmark_ends_it_and_what_it_started(args: list[str], children: int) -> None:
    """Once it is running (raft: its table header is out; mr: a job's coordinator and its
    three workers are), SIGINT to the benchmark alone, as `kill -INT` would send it."""
    proc = _start(*args)
    assert proc.stdout is not None
    assert proc.stdout.readline(), "it ended before it got going"
    deadline = time.monotonic() + 60
    while len(_children(proc.pid)) < children and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(_children(proc.pid)) >= children
    _, stderr = _interrupt(proc)
    assert proc.returncode == 130 and "Traceback" not in stderr, stderr
    assert _descendants_alive(proc.pid) == []  # nothing it started survived it (mr: the job)


def _descendants_alive(session: int) -> list[str]:
    """Processes of the session _start made that are still running (zombies do not count:
    PID 1 in a container may be slow to reap an orphan)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[3]) == session and fields[0] not in ("Z", "X"):
            alive.append(stat.parent.name)
    return alive
