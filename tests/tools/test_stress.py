"""Tests of the stress loop (tools/stress.py, run_tests.sh).

Each test writes a throw-away suite into tmp_path, with its own pytest.ini so it runs under
its own rootdir (not the repo's setup.cfg or tests/conftest.py), and runs
``python -m tools.stress --tests-dir SUITE`` against it as a subprocess, as a user would.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tools import stress

ROOT = Path(__file__).resolve().parents[2]

# Generous: these only bound a broken runner; a healthy run takes a few seconds.
RUN_LIMIT_S = 120

SUITE = """
import os, pathlib, subprocess, time

import pytest

HERE = pathlib.Path(__file__).parent


def test_pass():
    print("PASS-MARKER")


def test_fail():
    print("FAIL-MARKER")
    assert False, "boom"


def test_flaky():
    # Claim the next call number atomically; fail on the second call only.
    n = 1
    while True:
        try:
            os.close(os.open(HERE / f"flaky-{n}", os.O_CREAT | os.O_EXCL))
            break
        except FileExistsError:
            n += 1
    print(f"FLAKY-MARKER call {n}")
    assert n != 2


def test_hang():
    # A grandchild too, so the test can see that the whole process group is killed.
    child = subprocess.Popen(["sleep", "600"])
    (HERE / "hang-pid").write_text(str(child.pid))
    time.sleep(600)


@pytest.mark.skip(reason="disabled, as the course's For2023 tests")
def test_skipped():
    pass


def test_xfailing():
    pytest.xfail("an expected failure is a test that ran")
"""


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    path = tmp_path / "suite"
    path.mkdir()
    (path / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    (path / "test_fx.py").write_text(SUITE)
    return path


def _cmd(suite: Path, *args: str) -> list[str]:
    logs = suite.parent / "logs"
    return [sys.executable, "-m", "tools.stress", "--tests-dir", str(suite), "--log-root", str(logs), *args]


def runner_env(**changes: str) -> dict[str, str]:
    """The runner's environment: ours, with a table wide enough that no test id folds."""
    return {**os.environ, "COLUMNS": "200", **changes}


def run_stress(suite: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _cmd(suite, *args),
        cwd=ROOT,
        env=runner_env(),
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT_S,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def run_dir(suite: Path) -> Path:
    (found,) = (suite.parent / "logs").iterdir()
    return found


def summary(suite: Path) -> dict[str, dict]:
    data = json.loads((run_dir(suite) / "summary.json").read_text())
    return {t["test"]: t for t in data["tests"]} | {"_run": data}


def table_row(stdout: str, test: str) -> list[str]:
    """The cells after the test id in the printed table's row for `test`."""
    for line in stdout.splitlines():
        if test + " " in line and "│" in line:
            return [c.strip() for c in line.split("│")[2:-1]]
    raise AssertionError(f"no table row for {test} in:\n{stdout}")


def is_dead(pid: int) -> bool:
    """Gone or a zombie (PID 1 in a container may never reap a killed orphan)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rpartition(")")[2].split()[0] in ("Z", "X")


def wait_until(predicate: Callable[[], bool], limit_s: float = 30.0) -> bool:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


# --------------------------------------------------------------------------- end to end


def test_all_passing_exits_0_and_keeps_no_logs(suite: Path) -> None:
    proc = run_stress(suite, "-n", "3", "-p", "2", "test_pass")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert table_row(proc.stdout, "test_fx.py::test_pass")[:3] == ["3", "0", "0"]
    assert "stress: 3 passed, 0 failed" in proc.stdout
    s = summary(suite)
    assert s["test_fx.py::test_pass"]["runs"] == 3
    assert list(run_dir(suite).glob("*.log")) == []
    assert not (run_dir(suite) / ".running").exists()


def test_failures_counted_and_their_logs_kept(suite: Path) -> None:
    proc = run_stress(suite, "-n", "2", "flaky", "test_fail")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    logs = run_dir(suite)
    assert str(logs) in proc.stdout
    assert table_row(proc.stdout, "test_fx.py::test_flaky")[:3] == ["2", "1", "0"]
    assert table_row(proc.stdout, "test_fx.py::test_fail")[:3] == ["2", "2", "0"]
    assert "stress: 1 passed, 3 failed" in proc.stdout
    assert "FAIL test_fx.py::test_flaky #2" in proc.stdout
    assert "test_fx.py::test_pass" not in proc.stdout  # only the selected tests ran

    s = summary(suite)
    assert s["test_fx.py::test_flaky"]["failed_iterations"] == [2]
    assert s["test_fx.py::test_fail"]["failed_iterations"] == [1, 2]
    assert sorted(p.name for p in logs.glob("*.log")) == [
        "test_fx.test_fail-1.log",
        "test_fx.test_fail-2.log",
        "test_fx.test_flaky-2.log",
    ]
    flaky = (logs / "test_fx.test_flaky-2.log").read_text()
    assert "# test: test_fx.py::test_flaky" in flaky
    assert "FLAKY-MARKER call 2" in flaky and "1 failed" in flaky
    assert "# result: FAILED (exit 1)" in flaky
    fail = (logs / "test_fx.test_fail-1.log").read_text()
    assert "FAIL-MARKER" in fail and "AssertionError: boom" in fail


def test_timeout_kills_the_process_group_and_keeps_the_log(suite: Path) -> None:
    started = time.monotonic()
    proc = run_stress(suite, "-t", "5", "hang")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert time.monotonic() - started < 60
    assert table_row(proc.stdout, "test_fx.py::test_hang")[:3] == ["1", "1", "1"]
    log = (run_dir(suite) / "test_fx.test_hang-1.log").read_text()
    assert "TIMED OUT after 5 s" in log
    grandchild = int((suite / "hang-pid").read_text())
    assert wait_until(lambda: is_dead(grandchild), 10), "the test's sleep survived the kill"


def test_ctrl_c_kills_children_prints_table_exits_130(suite: Path) -> None:
    runner = subprocess.Popen(
        _cmd(suite, "-n", "3", "-t", "120", "hang"),
        cwd=ROOT,
        env=runner_env(),
        text=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # A shell's background jobs ignore SIGINT; Python only maps it to
        # KeyboardInterrupt when it starts with the default disposition.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert wait_until((suite / "hang-pid").exists, 60), "the hanging test never started"
        grandchild = int((suite / "hang-pid").read_text())
        runner.send_signal(signal.SIGINT)
        stdout, stderr = runner.communicate(timeout=RUN_LIMIT_S)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    assert runner.returncode == 130, stdout + stderr
    assert "Stress results" in stdout and "Interrupted: 3 iteration(s) not completed" in stdout
    assert table_row(stdout, "test_fx.py::test_hang")[:2] == ["0", "0"]
    assert wait_until(lambda: is_dead(grandchild), 10), "the test's sleep survived Ctrl-C"
    assert summary(suite)["_run"]["interrupted"] is True
    assert (run_dir(suite) / "test_fx.test_hang-1.interrupted.log").exists()


def test_skipped_iterations_are_counted_apart_and_left_out_of_the_timings(suite: Path) -> None:
    proc = run_stress(suite, "-n", "2", "skipped", "xfailing", "test_pass")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Runs, Failed, Timed out, Skipped, Mean s, Max s
    assert table_row(proc.stdout, "test_fx.py::test_skipped") == ["2", "0", "0", "2", "-", "-"]
    assert table_row(proc.stdout, "test_fx.py::test_xfailing")[:4] == ["2", "0", "0", "0"]
    assert table_row(proc.stdout, "test_fx.py::test_pass")[:4] == ["2", "0", "0", "0"]
    assert "stress: 4 passed, 0 failed, 2 skipped" in proc.stdout
    s = summary(suite)
    assert (s["test_fx.py::test_skipped"]["skipped"], s["test_fx.py::test_skipped"]["passed"]) == (2, 0)
    assert s["test_fx.py::test_skipped"]["mean_seconds"] is None
    assert s["test_fx.py::test_pass"]["mean_seconds"] > 0
    assert list(run_dir(suite).glob("*")) == [run_dir(suite) / "summary.json"]  # no log, no report left


def test_all_skipped_reads_the_junit_report(tmp_path: Path) -> None:
    report = tmp_path / "r.xml"
    case = '<testcase classname="t" name="{}">{}</testcase>'
    skip, xfail = '<skipped type="pytest.skip" message="r"/>', '<skipped type="pytest.xfail" message="x"/>'
    for cases, expected in (([skip], True), ([skip, skip], True), ([skip, ""], False), ([xfail], False), ([], False)):
        body = "".join(case.format(i, c) for i, c in enumerate(cases))
        report.write_text(f'<testsuites><testsuite name="pytest">{body}</testsuite></testsuites>')
        assert stress.all_skipped(report) is expected, cases
    report.write_text("<testsuites")
    assert not stress.all_skipped(report)
    assert not stress.all_skipped(tmp_path / "none.xml")


def test_node_id_pattern_verbose_and_pytest_args_pass_through(suite: Path) -> None:
    # Without -s pytest would capture a passing test's print; with -v we stream it.
    proc = run_stress(suite, "-v", "test_fx.py::test_pass", "--", "-s")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^\[test_pass#1\] .*PASS-MARKER", proc.stdout, re.M), proc.stdout
    assert summary(suite).keys() == {"test_fx.py::test_pass", "_run"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["-n", "abc"], "argument -n/--iterations: expected an integer from 1 to 100000, got 'abc'"),
        (["-n", "0"], "argument -n/--iterations: expected an integer from 1 to 100000, got '0'"),
        (["-n", "-3"], "argument -n/--iterations: expected an integer from 1 to 100000, got '-3'"),
        (["-n", "1000000000"], "argument -n/--iterations: expected an integer from 1 to 100000, got '1000000000'"),
        (["-p", "0"], "argument -p/--parallel: expected an integer from 1 to 256, got '0'"),
        (["-p", "2.5"], "argument -p/--parallel: expected an integer from 1 to 256, got '2.5'"),
        (["-t", "0"], "argument -t/--timeout: expected a number of seconds above 0 and at most 86400, got '0'"),
        (["-t", "inf"], "argument -t/--timeout: expected a number of seconds above 0 and at most 86400, got 'inf'"),
        (["-t", "nan"], "argument -t/--timeout: expected a number of seconds above 0 and at most 86400, got 'nan'"),
        (["-t", "soon"], "argument -t/--timeout: expected a number of seconds above 0 and at most 86400, got 'soon'"),
        (["--sim", "--batch", "0"], "argument --batch: expected a positive integer, got '0'"),
        (["no_such_test_anywhere"], "no test matches no_such_test_anywhere"),
        (["--debug=VOTE,bogus", "pass"], "argument --debug: unknown topic 'bogus'"),
        (["--debug=", "pass"], "argument --debug: expected topics after --debug="),
    ],
    ids=[
        "bad-flag",
        "non-integer-n",
        "zero-n",
        "negative-n",
        "huge-n",
        "zero-p",
        "fraction-p",
        "zero-t",
        "infinite-t",
        "nan-t",
        "word-t",
        "zero-batch",
        "matches-nothing",
        "bad-debug-topic",
        "empty-debug",
    ],
)
def test_bad_usage_exits_2_with_one_clear_line(suite: Path, args: list[str], message: str) -> None:
    proc = run_stress(suite, *args)
    assert proc.returncode == 2
    assert message in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("run_tests.sh: error: ")
    assert not (suite.parent / "logs").exists()


def test_a_log_root_that_cannot_be_made_is_one_line(suite: Path) -> None:
    (suite.parent / "file").write_text("")
    proc = run_stress(suite, "--log-root", str(suite.parent / "file" / "logs"), "pass")  # the last one counts
    assert proc.returncode == 2
    assert (
        proc.stderr.startswith("run_tests.sh: error: cannot create the log folder: ") and proc.stderr.count("\n") == 1
    ), proc.stderr


def test_run_tests_sh_works_from_any_cwd(suite: Path, tmp_path: Path) -> None:
    env = runner_env(PYTHON=sys.executable)
    proc = subprocess.run(
        [
            str(ROOT / "run_tests.sh"),
            "--display",
            "rich",
            "--tests-dir",
            str(suite),
            "--log-root",
            str(tmp_path / "logs"),
            "pass",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT_S,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Stress results" in proc.stdout and "test_fx.py::test_pass" in proc.stdout


# --------------------------------------------------------------------------- units


def test_parse_args_splits_pytest_args_and_intermixes_patterns() -> None:
    opts = stress.parse_args(["2A", "-n", "5", "2B", "-p", "2", "--", "-s", "-x"])
    assert (opts.patterns, opts.iterations, opts.parallel) == (("2A", "2B"), 5, 2)
    assert opts.pytest_args == ("-s", "-x")


def test_patterns_are_ored_and_paths_recognised() -> None:
    assert stress.keyword_expression(["2A", "not slow"]) == "(2A) or (not slow)"
    assert stress.is_path_pattern("tests/raft")
    assert stress.is_path_pattern("tests/labrpc/test_labrpc.py::test_basic")
    assert not stress.is_path_pattern("labrpc")


def test_build_iteration_is_the_single_source_of_command_and_metadata(tmp_path: Path) -> None:
    opts = stress.Options(iterations=4, timeout=100, tests_dir=tmp_path, pytest_args=("-s",))
    spec = stress.build_iteration(opts, "tests/raft/test_raft.py::test_x[a b]", 3)
    assert spec.argv[1:4] == ("-m", "pytest", "tests/raft/test_raft.py::test_x[a b]")
    assert spec.argv[-1] == "-s"
    assert spec.metadata["iteration"] == "3/4"
    assert "test_x[a b]" in spec.metadata["command"]
    assert spec.log_name == "raft.test_raft.test_x_a_b_-3.log"


def test_eta_and_time_format() -> None:
    assert stress.estimate_eta(10.0, 2, 6) == pytest.approx(20.0)
    assert stress.estimate_eta(10.0, 0, 6) is None
    assert stress.format_seconds(3725) == "1:02:05"
    assert stress.format_seconds(None) == "-:--:--"


# --------------------------------------------------------------------------- --debug and timelines

# Writes debug lines in labrpc/debug.py's format when PY6824_DEBUG is set, as raft would.
DEBUG_SUITE = """
import os, sys


def test_story():
    if os.environ.get("PY6824_DEBUG"):
        # Formatted, as labrpc.debug does: a failure's traceback quotes this source.
        for ms, rest in ((10, 'TEST --  T-   - begin test="Test (X): ' + os.environ["PY6824_DEBUG"] + '"'),
                         (300, "LEAD S0  T1   C became role=candidate"),
                         (301, "LEAD S0  T1   L became role=leader log()"),
                         (350, "TEST --  T-   - cleanup")):
            sys.stderr.write(f"{ms:08d} {rest}\\n")
    assert False, "story over"
"""


@pytest.fixture
def debug_suite(tmp_path: Path) -> Path:
    path = tmp_path / "suite"
    path.mkdir()
    (path / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    (path / "test_story.py").write_text(DEBUG_SUITE)
    return path


def _run_without_debug_env(suite: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PY6824_DEBUG"}
    return subprocess.run(
        _cmd(suite, *args),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT_S,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_debug_flag_logs_uncaptured_and_writes_a_timeline(debug_suite: Path) -> None:
    proc = _run_without_debug_env(debug_suite, "--debug=lead,TEST", "story")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    log = run_dir(debug_suite) / "test_story.test_story-1.log"
    text = log.read_text()
    assert "# debug: LEAD,TEST" in text and "--capture=no" in text
    assert '00000010 TEST --  T-   - begin test="Test (X): LEAD,TEST"' in text
    assert "Captured stderr" not in text  # uncaptured: the lines are where they happened
    page = log.with_suffix(".html").read_text()
    assert 'class="band role-L"' in page and "Test (X): LEAD,TEST" in page


def test_without_debug_lines_no_timeline(debug_suite: Path) -> None:
    proc = _run_without_debug_env(debug_suite, "story")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert [p.name for p in run_dir(debug_suite).iterdir() if p.suffix != ".json"] == ["test_story.test_story-1.log"]


def test_parse_args_debug_forms() -> None:
    bare = stress.parse_args(["--debug", "2A", "-n", "2"])
    assert (bare.debug, bare.patterns) == ("1", ("2A",))  # the pattern is not a topic list
    assert stress.parse_args(["--debug=vote,LEAD", "2A"]).debug == "LEAD,VOTE"
    assert stress.parse_args(["--debug=all"]).debug == "1"
    assert stress.parse_args(["2A", "--", "--debug"]).debug == ""  # pytest's, not ours
    assert stress.parse_args(["2A"]).debug == ""


def test_build_iteration_with_debug(tmp_path: Path) -> None:
    opts = stress.Options(tests_dir=tmp_path, debug="VOTE", pytest_args=("--capture=fd",))
    spec = stress.build_iteration(opts, "t.py::x", 1)
    assert spec.env["PY6824_DEBUG"] == "VOTE" and spec.metadata["debug"] == "VOTE"
    # Ours first, so that the user's own capture option wins.
    assert spec.argv[-2:] == ("--capture=no", "--capture=fd")
    plain = stress.build_iteration(stress.Options(tests_dir=tmp_path), "t.py::x", 1)
    assert "PY6824_DEBUG" not in plain.env and "--capture=no" not in plain.argv


def test_a_timeline_that_cannot_be_drawn_is_noted_in_the_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "x-1.log"
    log.write_text("00000001 LEAD S0  T1   C became role=candidate\n")

    def broken(*_args: object) -> None:
        raise RuntimeError("drawing bug")

    monkeypatch.setattr(stress.timeline, "write_timeline", broken)
    assert stress.write_timeline_beside(log) is None
    assert log.read_text().endswith("# timeline: not written: RuntimeError('drawing bug')\n")


# --------------------------------------------------------------------------- --sim batches

# Under --sim these run as simulated tests (the conftest points tests/sim_plugin.py at this
# suite), several seeds to a process. Each claims the next call number, as test_flaky does,
# and misbehaves on the second call only: in a batch of four, the second seed.
SIM_SUITE = """
import atexit, os, pathlib, time

import pytest

HERE = pathlib.Path(__file__).parent


def _call(name):
    n = 1
    while True:
        try:
            os.close(os.open(HERE / f"{name}-{n}", os.O_CREAT | os.O_EXCL))
            return n
        except FileExistsError:
            n += 1


def test_flaky():
    n = _call("flaky")
    print(f"FLAKY-MARKER call {n}")
    assert n != 2


def test_crash():
    n = _call("crash")
    print(f"CRASH-MARKER call {n}", flush=True)
    if n == 2:
        os._exit(3)


def test_hang():
    n = _call("hang")
    print(f"HANG-MARKER call {n}", flush=True)
    if n == 2:
        time.sleep(600)


def test_atexit():
    if _call("exit") == 2:
        atexit.register(os._exit, 7)  # passes, then the process exits 7


@pytest.mark.skip(reason="disabled, as the course's For2023 tests")
def test_skipped():
    pass
"""

SIM_CONFTEST = """
import pathlib

from tests import sim_plugin

sim_plugin._TESTS_DIR = pathlib.Path(__file__).resolve().parent  # so raft/ here is simulated
pytest_plugins = ["tests.sim_plugin"]
"""


@pytest.fixture
def sim_suite(tmp_path: Path) -> Path:
    path = tmp_path / "suite"
    (path / "raft").mkdir(parents=True)
    (path / "pytest.ini").write_text(f"[pytest]\naddopts = -p no:cacheprovider\npythonpath = {ROOT}\n")
    (path / "conftest.py").write_text(SIM_CONFTEST)
    (path / "raft" / "test_seeds.py").write_text(SIM_SUITE)
    return path


def _sim(suite: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    proc = run_stress(suite, "--sim", "--base-seed", "7", "--batch", "4", "-n", "4", *args)
    return proc, json.loads((run_dir(suite) / "summary.json").read_text())


def _seed(opts_args: tuple[str, ...], test: str, iteration: int) -> str:
    opts = stress.parse_args(["--sim", "--base-seed", "7", *opts_args])
    return str(stress.iteration_seed(opts.base_seed, test, iteration))


def test_sim_batch_reports_each_seed_and_keeps_the_failing_seeds_log(sim_suite: Path) -> None:
    proc, data = _sim(sim_suite, "flaky")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    test = "raft/test_seeds.py::test_flaky"
    assert table_row(proc.stdout, test)[:3] == ["4", "1", "0"]
    assert len(list((sim_suite / "raft").glob("flaky-*"))) == 4  # one process ran them all: no re-run
    seed = _seed((), test, 2)
    assert data["sim"]["failing_seeds"] == [
        {"test": test, "iteration": "2", "seed": seed, "replay": f"pytest --sim --seed {seed} {test}"}
    ]
    assert f"seed {seed}  {test} (iteration 2)" in proc.stdout
    assert [p.name for p in run_dir(sim_suite).glob("*.log")] == ["raft.test_seeds.test_flaky-2.log"]
    log = (run_dir(sim_suite) / "raft.test_seeds.test_flaky-2.log").read_text()
    assert f"# seed: {seed}" in log and "--seeds=" in log  # its batch's command too
    assert "FLAKY-MARKER call 2" in log and "call 1" not in log and "call 3" not in log
    assert "AssertionError" in log and "# result: FAILED (exit 1)" in log


def test_sim_batch_crash_fails_the_running_seed_and_reruns_the_rest(sim_suite: Path) -> None:
    proc, data = _sim(sim_suite, "crash", "--", "-s")  # uncaptured: the crash loses nothing
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert table_row(proc.stdout, "raft/test_seeds.py::test_crash")[:3] == ["4", "1", "0"]
    assert len(list((sim_suite / "raft").glob("crash-*"))) == 4  # seeds 3 and 4 ran, in a new process
    assert [f["iteration"] for f in data["sim"]["failing_seeds"]] == ["2"]
    log = (run_dir(sim_suite) / "raft.test_seeds.test_crash-2.log").read_text()
    assert "CRASH-MARKER call 2" in log and "call 1" not in log
    assert "ended while this test was running" in log and "# exit: 3" in log


def test_sim_batch_timeout_applies_per_seed_and_reruns_the_rest(sim_suite: Path) -> None:
    proc, data = _sim(sim_suite, "-t", "5", "hang", "--", "-s")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert table_row(proc.stdout, "raft/test_seeds.py::test_hang")[:3] == ["4", "1", "1"]
    assert len(list((sim_suite / "raft").glob("hang-*"))) == 4
    log = (run_dir(sim_suite) / "raft.test_seeds.test_hang-2.log").read_text()
    assert "HANG-MARKER call 2" in log and "TIMED OUT after 5 s" in log
    assert "Timeout" in log  # faulthandler's stack dump, a little before the kill


def test_sim_batch_error_exit_after_the_last_seed_fails_that_seed(sim_suite: Path) -> None:
    proc, data = _sim(sim_suite, "--batch", "2", "atexit")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert table_row(proc.stdout, "raft/test_seeds.py::test_atexit")[:3] == ["4", "1", "0"]
    assert [f["iteration"] for f in data["sim"]["failing_seeds"]] == ["2"]
    log = (run_dir(sim_suite) / "raft.test_seeds.test_atexit-2.log").read_text()
    assert "exited 7 after this test ended" in log and "2 passed" in log  # with pytest's last lines


def test_sim_batch_counts_skipped_seeds_as_skipped(sim_suite: Path) -> None:
    proc, data = _sim(sim_suite, "skipped")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert table_row(proc.stdout, "raft/test_seeds.py::test_skipped") == ["4", "0", "0", "4", "-", "-"]
    assert "stress: 0 passed, 0 failed, 4 skipped" in proc.stdout
    assert data["tests"][0]["skipped"] == 4 and data["sim"]["failing_seeds"] == []


def test_batch_needs_sim(suite: Path) -> None:
    proc = run_stress(suite, "--batch", "3", "pass")
    assert proc.returncode == 2 and "--batch needs --sim" in proc.stderr


def test_a_batch_that_starts_no_seed_fails_its_first_and_returns_the_rest(tmp_path: Path) -> None:
    opts = stress.Options(sim=True, base_seed=1, iterations=3, batch=3, tests_dir=tmp_path)
    batch = stress.build_batch(opts, [stress.build_iteration(opts, "t.py::x", i) for i in (1, 2, 3)])
    assert "--seeds=" + ",".join(s.metadata["seed"] for s in batch.specs) in batch.argv
    results: list[stress.IterationResult] = []
    output = stress.BatchOutput(batch, tmp_path, stress.Watchdog(60), results.append, None)
    output.on_line("ERROR: bad collection\n")
    rest = output.finish(stress.ProcessEnd(returncode=4, seconds=1.0))
    assert [(r.spec.iteration, r.failed) for r in results] == [(1, True)]
    assert [spec.iteration for spec in rest] == [2, 3]  # run again, in a new process
    assert "ERROR: bad collection" in results[0].capture.read_text()
