"""Stress loop: run each selected test many times, each iteration in its own process (or batch).

Usage (``run_tests.sh`` is a thin wrapper that cds to the repo root and calls this)::

    python -m tools.stress [-n ITERATIONS] [-p PARALLEL] [-t TIMEOUT_S] [-v]
                           [--tests-dir DIR] [--log-root DIR] [--display MODE]
                           [--debug[=TOPICS]] [--sim [--base-seed N] [--batch K]] [PATTERN ...] [-- PYTEST_ARGS ...]

Selection. A PATTERN selects tests the way ``pytest -k`` does (a case-insensitive substring
of a test's keywords: its name, its module, its folders), so ``2A`` selects every test whose
name contains ``2a`` and ``labrpc`` every test under tests/labrpc. A PATTERN containing ``/``
or ``::`` or ending in ``.py`` is a path or node id instead (``tests/raft``,
``tests/labrpc/test_labrpc.py::test_basic``). Several patterns are OR-ed; no pattern selects
the whole suite. Node ids come from ``python -m pytest --collect-only -q``, run in
``--tests-dir`` (default: the current directory, which run_tests.sh makes the repo root).

Each iteration is ``python -m pytest NODE_ID [PYTEST_ARGS]`` in its own session/process group,
so a timed-out or interrupted iteration is killed with everything it spawned. Its merged
stdout/stderr is captured to a file; a passing iteration's file is deleted, a failing one's
is kept as ``<log-root>/<timestamp>/<test>-<iteration>.log`` (a header records the command
and metadata, a footer the outcome). ``summary.json`` in the same folder holds the per-test
table in machine-readable form. An iteration whose pytest run skipped its test (a test the
course disables; under ``--sim``, a real-mode test) is neither a pass nor a failure: it is
counted as skipped, in a column of its own, and its time stays out of the timings.

Debug logs and timelines. ``--debug`` runs every iteration with ``PY6824_DEBUG=1`` (every
topic), ``--debug=VOTE,LEAD,TEST`` with those topics only (codes or names, see
tools/debuglog.py; the topics need the ``=``, so ``--debug 2A`` still means "every topic, tests
matching 2A"). It also passes ``--capture=no`` to pytest (before PYTEST_ARGS, which may
override it), so the debug lines reach the log as they happen, even for an iteration killed by
the timeout, whose captured output pytest would never print. A kept log that holds debug lines
(from ``--debug``, or a PY6824_DEBUG exported in the shell) gets an HTML timeline beside it:
``<test>-<iteration>.html`` (``python -m tools.timeline``); ``python -m tools.logview LOG``
shows the same log as columns in the terminal.

Exit codes: 0 all passed, 1 any iteration failed or timed out, 2 bad usage (argparse errors,
a pattern matching nothing, a collection error), 130 on Ctrl-C (128+N on SIGTERM/SIGHUP).

Libraries: ``rich`` draws the live progress and the final table; when stdout is not a
terminal (CI logs, pipes) the progress degrades to plain status lines. Concurrency uses
``concurrent.futures`` threads that each block in ``Popen.wait`` (no polling); the main
thread owns all output and blocks on a ``queue.Queue`` of events.

Simulation. ``--sim`` runs every iteration with ``pytest --sim`` (virtual time, see
runtime/sim.py), each iteration with its own seed, derived in :func:`build_iteration` (from
``--base-seed N`` when given, so a whole stress run can be repeated). The seed is recorded in
the log header and ``summary.json``, and the summary lists each failing seed with the command
that replays it alone. Up to ``--batch K`` (default 20) iterations of a test share one pytest
process, ``pytest --sim --seeds=S1,...,SK --seed-markers`` (:func:`build_batch`), which saves
its start-up per iteration; each seed is still its own iteration: :class:`BatchOutput` splits
the process's output into one log per seed by the lines the plugin prints as each seed starts
and ends, and the timeout applies to each seed. When a batch's process dies (timeout, crash),
the seed it was running fails with its log kept, and the seeds it never started run in a new
process; an error exit that no failing seed explains fails the last seed that ran. Each batch
process is pinned to a CPU of its own (round-robin): a simulated run is one OS thread, and
-p batches side by side then each keep a core instead of trading places.

Where to extend: everything an iteration runs with (argv, extra environment, the metadata
written into its log header) is built in :func:`build_iteration`; :func:`save_failure_log` is
the single place a failing iteration's log is finalised (it writes the timeline there).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any, TextIO
from xml.etree import ElementTree

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from tools import debuglog, timeline
from tools.cli import EXIT_USAGE, ArgumentParser, int_in, number_in, run

EXIT_OK = 0
EXIT_FAILED = 1

DEFAULT_TIMEOUT_S = 600.0
# Ranges of -n, -p and -t. Every iteration is planned up front, so a mistyped -n must not
# plan billions; a timeout beyond a day is a typo too (and beyond what a wait accepts).
MAX_ITERATIONS = 100_000
MAX_PARALLEL = 256
MAX_TIMEOUT_S = 86_400.0
# --sim iterations of a test run this many to a pytest process by default: start-up (~1.5 s)
# then costs less than a simulated raft test, and a killed batch loses little.
DEFAULT_SIM_BATCH = 20
# Verbosity flags change --collect-only's output format, so they are kept out of collection.
_VERBOSITY_FLAGS = re.compile(r"^(-[vq]+|--verbose|--quiet|--verbosity(=.*)?)$")
# How long to wait for a killed group's pipe to reach EOF before giving up on stragglers
# that escaped the group (a process that called setsid itself).
_READER_JOIN_S = 5.0


class UsageError(Exception):
    """Bad command line or a selection that matches nothing: exit code 2."""


class _Terminated(Exception):
    """Raised in the main thread by SIGTERM/SIGHUP so they shut down like Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class Options:
    """The parsed command line."""

    iterations: int = 1
    parallel: int = 1
    timeout: float = DEFAULT_TIMEOUT_S
    verbose: bool = False
    patterns: tuple[str, ...] = ()
    pytest_args: tuple[str, ...] = ()
    tests_dir: Path = field(default_factory=Path.cwd)
    log_root: Path = Path("stress-logs")
    display: str = "auto"
    python: str = sys.executable
    debug: str = ""  # PY6824_DEBUG for the iterations; "" leaves the environment alone
    sim: bool = False  # run each iteration in deterministic simulation, with its own seed
    base_seed: int = 0  # with sim: iteration seeds derive from it (printed, so a run repeats)
    batch: int = 1  # with sim: iterations of a test run by one pytest process


def _existing_dir(text: str) -> Path:
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"not a directory: {text!r}")
    return path.resolve()


def _debug_topics(text: str) -> str:
    """--debug's value as PY6824_DEBUG wants it: "1" for every topic, else a list of codes."""
    if text.strip().lower() in ("1", "all"):
        return "1"
    try:
        codes = debuglog.topic_codes(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not codes:
        raise argparse.ArgumentTypeError("expected topics after --debug=, e.g. --debug=VOTE,TEST")
    return ",".join(sorted(codes))


def build_parser() -> argparse.ArgumentParser:
    """Our own flags (pytest's come after '--' and never reach argparse)."""
    parser = ArgumentParser(
        prog="run_tests.sh",
        description="Run each matching test ITERATIONS times, PARALLEL at once, each "
        "iteration in its own pytest process (with --sim, up to --batch seeds per process); keep "
        "the logs of failing iterations.",
        epilog="Arguments after '--' are passed to every pytest run, e.g. "
        "'run_tests.sh -n 5 2A -- -s'. Exit: 0 all passed, 1 failures, 2 bad usage, "
        "130 interrupted.",
    )
    parser.add_argument(
        "-n",
        "--iterations",
        type=int_in(1, MAX_ITERATIONS),
        default=1,
        metavar="N",
        help=f"iterations per test, 1 to {MAX_ITERATIONS} (default 1)",
    )
    parser.add_argument(
        "-p",
        "--parallel",
        type=int_in(1, MAX_PARALLEL),
        default=1,
        metavar="P",
        help=f"iterations running at once, 1 to {MAX_PARALLEL} (default 1)",
    )
    parser.add_argument(
        "-t",
        "--timeout",
        type=number_in(MAX_TIMEOUT_S, "seconds"),
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help=f"per-iteration timeout, at most {MAX_TIMEOUT_S:g}; the iteration's process "
        f"group is killed (default {DEFAULT_TIMEOUT_S:g})",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="stream every iteration's output")
    parser.add_argument(
        "--tests-dir",
        type=_existing_dir,
        default=None,
        metavar="DIR",
        help="directory pytest runs in and its rootdir (default: cwd)",
    )
    parser.add_argument(
        "--log-root",
        type=Path,
        default=Path("stress-logs"),
        metavar="DIR",
        help="where the per-run log folder is created (default stress-logs)",
    )
    parser.add_argument(
        "--display",
        choices=("auto", "rich", "plain"),
        default="auto",
        help="live progress (rich) or status lines (plain); auto picks rich on a terminal",
    )
    # default None, not "": argparse would run a string default through _debug_topics.
    parser.add_argument(
        "--debug",
        type=_debug_topics,
        default=None,
        metavar="TOPICS",
        help="run iterations with PY6824_DEBUG (bare --debug: every topic; "
        "--debug=VOTE,LEAD: those) and pytest --capture=no; failing "
        "iterations' logs get an HTML timeline beside them",
    )
    parser.add_argument(
        "--sim",
        action="store_true",
        help="run iterations in deterministic simulation (pytest --sim), each "
        "with its own seed; the summary lists failing seeds and how to replay them",
    )
    parser.add_argument(
        "--base-seed",
        type=int,
        default=None,
        metavar="N",
        help="with --sim: derive the iterations' seeds from N (default: random, "
        "printed), so a whole stress run can be repeated",
    )
    parser.add_argument(
        "--batch",
        type=int_in(1),
        default=None,
        metavar="K",
        help=f"with --sim: run up to K iterations (seeds) of a test in one pytest "
        f"process, each still its own iteration (default {DEFAULT_SIM_BATCH}; 1: a "
        f"process per iteration)",
    )
    parser.add_argument(
        "patterns", nargs="*", metavar="PATTERN", help="pytest -k style substring, or a path / node id; OR-ed"
    )
    return parser


def parse_args(argv: Sequence[str]) -> Options:
    """Parse our flags; everything after the first ``--`` goes to pytest untouched.

    argparse reports bad usage itself (message on stderr, exit 2).
    """
    argv = list(argv)
    pytest_args: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, pytest_args = argv[:cut], argv[cut + 1 :]
    # A bare --debug means every topic. Spelled out here rather than with nargs="?", which
    # would swallow the pattern in 'run_tests.sh --debug 2A' as a topic list.
    argv = ["--debug=1" if arg == "--debug" else arg for arg in argv]
    # Intermixed so that 'run_tests.sh 2A -n 5 2B' works like the ordering a shell user expects.
    parser = build_parser()
    ns = parser.parse_intermixed_args(argv)
    if ns.batch is not None and not ns.sim:
        parser.error("--batch needs --sim (only simulated tests run many seeds in one process)")
    return Options(
        iterations=ns.iterations,
        parallel=ns.parallel,
        timeout=ns.timeout,
        verbose=ns.verbose,
        patterns=tuple(ns.patterns),
        pytest_args=tuple(pytest_args),
        tests_dir=ns.tests_dir or Path.cwd(),
        log_root=ns.log_root,
        display=ns.display,
        debug=ns.debug or "",
        sim=ns.sim,
        base_seed=ns.base_seed if ns.base_seed is not None else random.SystemRandom().randrange(2**32),
        batch=(ns.batch or DEFAULT_SIM_BATCH) if ns.sim else 1,
    )


# --------------------------------------------------------------------------- collection


def is_path_pattern(pattern: str) -> bool:
    """A pattern naming a file, folder or node id rather than a -k keyword."""
    return "/" in pattern or "::" in pattern or pattern.endswith(".py")


def keyword_expression(patterns: Sequence[str]) -> str:
    """OR the patterns into one ``-k`` expression (each parenthesised, so 'not x' works)."""
    return " or ".join(f"({p})" for p in patterns)


def collect_tests(opts: Options) -> list[str]:
    """Node ids selected by the patterns, in collection order, without duplicates.

    Keyword patterns and path patterns are collected separately and united, because
    giving pytest both a path and ``-k`` would AND them, and patterns are OR-ed.
    """
    keywords = [p for p in opts.patterns if not is_path_pattern(p)]
    paths = [p for p in opts.patterns if is_path_pattern(p)]
    selections: list[list[str]] = []
    if keywords or not paths:
        selections.append(["-k", keyword_expression(keywords)] if keywords else [])
    if paths:
        selections.append(paths)
    found: dict[str, None] = {}
    for selection in selections:
        found.update(dict.fromkeys(_collect(opts, selection)))
    if not found:
        what = " ".join(shlex.quote(p) for p in opts.patterns) or "(the whole suite)"
        raise UsageError(f"no test matches {what} in {opts.tests_dir}")
    return list(found)


def _collect(opts: Options, selection: list[str]) -> list[str]:
    extra = [a for a in opts.pytest_args if not _VERBOSITY_FLAGS.match(a)]
    argv = [opts.python, "-m", "pytest", "--collect-only", "-q", f"--rootdir={opts.tests_dir}", *extra, *selection]
    proc = subprocess.run(
        argv, cwd=opts.tests_dir, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    )
    # 5 = nothing collected (the caller reports it); anything else non-zero is an error
    # (bad -k expression, bad pytest argument, import error while collecting).
    if proc.returncode not in (0, 5):
        output = (proc.stdout + proc.stderr).strip().splitlines()
        tail = "\n".join(output[-15:])
        raise UsageError(f"test collection failed (pytest exit {proc.returncode}): {shlex.join(argv[1:])}\n{tail}")
    return [line.strip() for line in proc.stdout.splitlines() if "::" in line and not line.startswith((" ", "<", "="))]


# --------------------------------------------------------------------------- iterations


@dataclass(frozen=True)
class IterationSpec:
    """Everything one iteration runs with, and what its log records about it."""

    test_id: str
    iteration: int
    argv: tuple[str, ...]
    env: Mapping[str, str]
    metadata: Mapping[str, str]
    log_name: str


def log_stem(test_id: str) -> str:
    """A file-name-safe, readable name for a node id.

    'tests/raft/test_raft.py::test_x[a]' -> 'raft.test_raft.test_x_a_'
    """
    path, _, rest = test_id.partition("::")
    path = path.removeprefix("tests/").removesuffix(".py").replace("/", ".")
    stem = f"{path}.{rest.replace('::', '.')}" if rest else path
    stem = re.sub(r"[^A-Za-z0-9_.\-]", "_", stem)
    return stem[:150]  # stay far below NAME_MAX even with the iteration suffix


def faulthandler_seconds(timeout: float) -> float:
    """When pytest should dump every thread's stack: a little before we kill the iteration.

    The dump is then in the kept log, which is what makes a hang diagnosable.
    """
    return round(max(timeout - 5.0, timeout * 0.8), 3)


def build_iteration(opts: Options, test_id: str, iteration: int) -> IterationSpec:
    """The one place an iteration's command line, environment and metadata are built.

    Hook for ``--sim``: derive a per-iteration seed here, add it to ``argv`` or ``env``,
    and record it in ``metadata`` (every metadata key lands in the log header and in
    summary.json).
    """
    # With --debug, uncaptured: a timed-out iteration's debug lines are in its log too.
    seed = iteration_seed(opts.base_seed, test_id, iteration) if opts.sim else None
    argv = _pytest_argv(opts, test_id, ("--sim", f"--seed={seed}") if seed is not None else ())
    # Unbuffered so that -v streams lines as they happen and a killed child loses nothing.
    env = {"PYTHONUNBUFFERED": "1"}
    if seed is not None:
        # What pytest --sim would otherwise re-exec itself to get: replays need a fixed one.
        env["PYTHONHASHSEED"] = "0"
    if opts.debug:
        env["PY6824_DEBUG"] = opts.debug
    metadata = {
        "test": test_id,
        "iteration": f"{iteration}/{opts.iterations}",
        "command": shlex.join(argv),
        "cwd": str(opts.tests_dir),
        "timeout_s": f"{opts.timeout:g}",
    }
    if opts.debug:
        metadata["debug"] = opts.debug
    if seed is not None:
        metadata["seed"] = str(seed)
        metadata["replay"] = replay_command(seed, test_id)
    return IterationSpec(
        test_id=test_id,
        iteration=iteration,
        argv=argv,
        env=env,
        metadata=metadata,
        log_name=f"{log_stem(test_id)}-{iteration}.log",
    )


def _pytest_argv(opts: Options, test_id: str, sim: tuple[str, ...]) -> tuple[str, ...]:
    """The pytest command of an iteration or a batch; sim: its --sim arguments, if any."""
    # With --debug, uncaptured: a timed-out iteration's debug lines are in its log too.
    capture = ("--capture=no",) if opts.debug else ()
    return (
        opts.python,
        "-m",
        "pytest",
        test_id,
        f"--rootdir={opts.tests_dir}",
        "-o",
        f"faulthandler_timeout={faulthandler_seconds(opts.timeout):g}",
        *sim,
        *capture,
        *opts.pytest_args,
    )


def iteration_seed(base_seed: int, test_id: str, iteration: int) -> int:
    """A --sim iteration's seed: distinct per test and iteration, repeatable from the base."""
    return zlib.crc32(f"{base_seed}:{test_id}:{iteration}".encode())


def replay_command(seed: int, test_id: str) -> str:
    return f"pytest --sim --seed {seed} {shlex.quote(test_id)}"


@dataclass
class IterationResult:
    spec: IterationSpec
    returncode: int | None
    seconds: float
    capture: Path
    timed_out: bool = False
    interrupted: bool = False
    error: str = ""
    skipped: bool = False  # pytest skipped the test: it passed nothing, so it is no pass

    @property
    def failed(self) -> bool:
        return not self.interrupted and (self.timed_out or self.returncode != 0)

    def outcome(self) -> str:
        if self.interrupted:
            return "INTERRUPTED (process group killed)"
        if self.timed_out:
            return f"TIMED OUT after {self.spec.metadata['timeout_s']} s (process group killed)"
        if self.error:
            return f"ERROR: {self.error}"
        if self.returncode != 0:
            return f"FAILED (exit {self.returncode})"
        return "SKIPPED" if self.skipped else "PASSED"


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the whole group has already exited


class ProcessRegistry:
    """The running iterations' process groups, so Ctrl-C can kill them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: set[int] = set()
        self._killed: set[int] = set()
        self.stopping = False

    def add(self, pgid: int) -> None:
        with self._lock:
            self._groups.add(pgid)
            stopping = self.stopping
            if stopping:
                self._killed.add(pgid)
        if stopping:  # started while we were shutting down: do not let it run
            _kill_group(pgid)

    def was_stopped(self, pgid: int) -> bool:
        """Whether stop_all killed this group (as opposed to it ending on its own)."""
        with self._lock:
            return pgid in self._killed

    def discard(self, pgid: int) -> None:
        with self._lock:
            self._groups.discard(pgid)

    def stop_all(self) -> None:
        with self._lock:
            self.stopping = True
            groups = list(self._groups)
            self._killed.update(groups)
        for pgid in groups:
            _kill_group(pgid)


LineSink = Callable[[IterationSpec, str], None]
LineHandler = Callable[[str], None]


def _write_header(log: TextIO, spec: IterationSpec) -> None:
    log.write("# py6824 stress iteration\n")
    for key, value in spec.metadata.items():
        log.write(f"# {key}: {value}\n")
    log.write(f"# started: {datetime.now().isoformat(timespec='seconds')}\n\n")
    log.flush()


def _pump(stream: IO[bytes], on_line: LineHandler) -> None:
    """Feed the child's output, line by line, to on_line (which writes the capture)."""
    try:
        for raw in iter(stream.readline, b""):
            on_line(raw.decode("utf-8", errors="replace"))
    except ValueError:
        pass  # the log was closed: we gave up on a straggler holding the pipe
    finally:
        stream.close()


class Watchdog:
    """Kills a process group once `timeout` seconds pass without a poke().

    An iteration is never poked, so its limit counts from the start; a batch is poked as
    each of its seeds starts and ends, so each seed gets the whole limit. Waits on a
    condition, so it costs no polling."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.fired = False
        self._cond = threading.Condition()
        self._deadline = time.monotonic() + timeout
        self._stopped = False

    def start(self, pgid: int) -> None:
        threading.Thread(target=self._watch, args=(pgid,), name=f"watchdog-{pgid}", daemon=True).start()

    def poke(self) -> None:
        with self._cond:
            self._deadline = time.monotonic() + self.timeout

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()

    def _watch(self, pgid: int) -> None:
        with self._cond:
            while not self._stopped:
                remaining = self._deadline - time.monotonic()
                if remaining <= 0:
                    self.fired = True
                    _kill_group(pgid)
                    return
                self._cond.wait(remaining)


@dataclass
class ProcessEnd:
    """How a child process ended."""

    returncode: int | None
    seconds: float
    timed_out: bool = False
    interrupted: bool = False
    error: str = ""  # it could not be started


def run_process(
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: Path,
    registry: ProcessRegistry,
    watchdog: Watchdog,
    on_line: LineHandler,
    cpu: int | None = None,
) -> ProcessEnd:
    """Run a child in its own session until it exits or its process group is killed (by the
    watchdog or by stop_all); its merged output goes to on_line. Never raises for the child.

    cpu: the one CPU the child may run on (its threads inherit that), or None for any."""
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        on_line(f"could not start: {exc}\n")
        return ProcessEnd(None, time.monotonic() - started, error=str(exc))
    registry.add(proc.pid)  # start_new_session: the pid is also the process group id
    if cpu is not None:
        _pin(proc.pid, cpu)
    reader = threading.Thread(target=_pump, args=(proc.stdout, on_line), name=f"pump-{proc.pid}", daemon=True)
    watchdog.start(proc.pid)
    reader.start()
    returncode = proc.wait()
    watchdog.stop()
    # Leftovers of the test (servers, workers) would keep the pipe open: end them too.
    _kill_group(proc.pid)
    registry.discard(proc.pid)
    reader.join(_READER_JOIN_S)
    interrupted = registry.was_stopped(proc.pid) and not watchdog.fired
    return ProcessEnd(returncode, time.monotonic() - started, timed_out=watchdog.fired, interrupted=interrupted)


def _pin(pid: int, cpu: int) -> None:
    """Pin a just-started child to a CPU (before it starts threads: they inherit it)."""
    try:
        os.sched_setaffinity(pid, {cpu})
    except OSError:
        pass  # it has exited already, or affinity is not ours to set: it runs anywhere


def _footer(result: IterationResult, returncode: int | None) -> str:
    return f"\n# result: {result.outcome()}\n# exit: {returncode}\n# seconds: {result.seconds:.2f}\n"


def run_iteration(
    spec: IterationSpec,
    cwd: Path,
    timeout: float,
    capture: Path,
    registry: ProcessRegistry,
    sink: LineSink | None = None,
) -> IterationResult:
    """Run one iteration to completion, timeout or interruption; never raises for the child.

    pytest also writes a JUnit XML report beside the capture, which says whether it skipped
    the test (its exit status is 0 either way); it goes in through PYTEST_ADDOPTS, so the
    iteration's recorded command stays the one that replays it."""
    report = capture.with_name(capture.name + ".junit.xml")
    env = {**spec.env, "PYTEST_ADDOPTS": _with_junit_report(report)}
    with open(capture, "w", encoding="utf-8", errors="replace") as log:
        _write_header(log, spec)

        def on_line(line: str) -> None:
            log.write(line)
            if sink is not None:
                sink(spec, line.rstrip("\n"))

        end = run_process(spec.argv, env, cwd, registry, Watchdog(timeout), on_line)
        result = IterationResult(
            spec,
            end.returncode,
            end.seconds,
            capture,
            timed_out=end.timed_out,
            interrupted=end.interrupted,
            error=end.error,
            skipped=end.returncode == 0 and not end.timed_out and all_skipped(report),
        )
        log.write(_footer(result, end.returncode))
    report.unlink(missing_ok=True)
    return result


def _with_junit_report(report: Path) -> str:
    """PYTEST_ADDOPTS asking for a JUnit report, after the user's own PYTEST_ADDOPTS (a
    --junitxml in PYTEST_ARGS wins over it: then skips count as passes)."""
    return " ".join(filter(None, (os.environ.get("PYTEST_ADDOPTS", ""), shlex.quote(f"--junitxml={report}"))))


def all_skipped(report: Path) -> bool:
    """Whether a pytest JUnit report holds tests, every one of them skipped (an xfail, also
    a <skipped> element there, ran the test: it is no skip). False without a report."""
    try:
        cases = list(ElementTree.parse(report).iter("testcase"))
    except (OSError, ElementTree.ParseError):
        return False
    return bool(cases) and all(
        any(child.tag == "skipped" and child.get("type") != "pytest.xfail" for child in case) for case in cases
    )


# --------------------------------------------------------------------------- batches (--sim)

# Starts the lines pytest --sim --seed-markers prints as each seed starts and ends
# (tests/sim_plugin.py, SEED_MARKER and SeedMarkers there).
SEED_MARKER = "##py6824-seed "
# Lines of a batch's own output (outside any seed) kept for a log that needs them.
_BATCH_CONTEXT_LINES = 200


@dataclass(frozen=True)
class BatchSpec:
    """Several seeds (iterations) of one test, run by one pytest process."""

    test_id: str
    specs: tuple[IterationSpec, ...]
    argv: tuple[str, ...]
    env: Mapping[str, str]


def build_batch(opts: Options, specs: Sequence[IterationSpec]) -> BatchSpec:
    """One process for these --sim iterations of a test: pytest --sim --seeds=S1,S2,...

    Each iteration keeps its own command (the one that replays it alone); the batch's command
    goes into its log header too, as "batch"."""
    seeds = ",".join(spec.metadata["seed"] for spec in specs)
    test_id = specs[0].test_id
    argv = _pytest_argv(opts, test_id, ("--sim", f"--seeds={seeds}", "--seed-markers"))
    command = shlex.join(argv)
    specs = tuple(replace(spec, metadata={**spec.metadata, "batch": command}) for spec in specs)
    return BatchSpec(test_id, specs, argv, specs[0].env)


@dataclass
class _RunningSeed:
    spec: IterationSpec
    log: TextIO
    started: float


class BatchOutput:
    """Splits a batch's output into its seeds' logs, by the seed markers, as it arrives.

    Each seed's capture file gets the log header, the process's output before its first seed
    (pytest's header), the seed's own output and, once it is done, pytest's report of its
    failure and the footer; it is then emitted as that seed's IterationResult. The last
    finished seed is held back until the process ends: if the process then exits with an
    error that no failing seed explains (a crash or hang at exit), that seed is failed, with
    the process's last lines, rather than the error going unreported."""

    def __init__(
        self,
        batch: BatchSpec,
        capture_dir: Path,
        watchdog: Watchdog,
        emit: Callable[[IterationResult], None],
        sink: LineSink | None,
    ) -> None:
        self.batch = batch
        self._by_seed = {spec.metadata["seed"]: spec for spec in batch.specs}
        self._capture_dir = capture_dir
        self._watchdog = watchdog
        self._emit = emit
        self._sink = sink
        self._lock = threading.Lock()  # the pump thread feeds lines, the job thread finishes
        self._preamble: list[str] = []
        self._context: deque[str] = deque(maxlen=_BATCH_CONTEXT_LINES)  # output outside seeds
        self._running: _RunningSeed | None = None
        self._held: IterationResult | None = None
        self._started: set[str] = set()
        self._any_failed = False
        self._closed = False

    def on_line(self, line: str) -> None:
        with self._lock:
            if self._closed:
                return  # a straggler's output after the batch was settled
            at = line.find(SEED_MARKER)
            if at < 0:
                self._output(line)
                return
            if at > 0:
                self._output(line[:at] + "\n")
            self._marker(json.loads(line[at + len(SEED_MARKER) :]))

    def _output(self, text: str) -> None:
        running = self._running
        if self._sink is not None:
            self._sink(running.spec if running else self.batch.specs[0], text.rstrip("\n"))
        if running is not None:
            running.log.write(text)
        elif not self._started and len(self._preamble) < _BATCH_CONTEXT_LINES:
            self._preamble.append(text)
        else:
            self._context.append(text)

    def _marker(self, record: dict[str, Any]) -> None:
        spec = self._by_seed.get(str(record.get("seed")))
        if spec is None:
            return  # not one of ours (a test the plugin did not give seeds)
        self._watchdog.poke()
        if record["event"] == "start":
            self._start(spec)
        elif (running := self._running) is not None and running.spec is spec:
            self._done(running, record)

    def _start(self, spec: IterationSpec) -> None:
        self._release_held()
        self._started.add(spec.metadata["seed"])
        log = open(self._capture_dir / spec.log_name, "w", encoding="utf-8", errors="replace")
        _write_header(log, spec)
        log.writelines(self._preamble)
        self._running = _RunningSeed(spec, log, time.monotonic())

    def _done(self, running: _RunningSeed, record: dict[str, Any]) -> None:
        self._running = None
        failed = record.get("outcome") == "failed"
        self._any_failed |= failed
        result = IterationResult(
            running.spec,
            1 if failed else 0,
            time.monotonic() - running.started,
            self._capture_dir / running.spec.log_name,
            skipped=record.get("outcome") == "skipped",
        )
        if "report" in record:
            running.log.write(f"\n# pytest's report of this test:\n{record['report']}\n")
        running.log.write(_footer(result, result.returncode))
        running.log.close()
        self._held = result

    def _release_held(self) -> None:
        if self._held is not None:
            self._emit(self._held)
            self._held = None

    def finish(self, end: ProcessEnd) -> list[IterationSpec]:
        """Settle the batch once its process is gone; return the seeds that never started."""
        with self._lock:
            self._closed = True
            not_started = [s for s in self.batch.specs if s.metadata["seed"] not in self._started]
            if (running := self._running) is not None:
                self._fail_running(running, end)
            elif (held := self._held) is not None and self._unexplained(end):
                self._fail_held(held, end)
            elif not self._started and not_started and not end.interrupted:
                self._fail_unstarted(not_started.pop(0), end)  # so every process settles a seed
            self._release_held()
            return not_started

    def _unexplained(self, end: ProcessEnd) -> bool:
        """An end that no failing seed accounts for: a timeout, or an error exit."""
        if end.interrupted:
            return False
        return end.timed_out or (end.returncode != 0 and not (end.returncode == 1 and self._any_failed))

    def _fail_running(self, running: _RunningSeed, end: ProcessEnd) -> None:
        """The seed that was running when the process ended: timed out, crashed or interrupted."""
        self._running = None
        error = "" if end.timed_out or end.interrupted or end.returncode else "the process exited mid-test"
        result = IterationResult(
            running.spec,
            end.returncode,
            time.monotonic() - running.started,
            self._capture_dir / running.spec.log_name,
            timed_out=end.timed_out,
            interrupted=end.interrupted,
            error=error,
        )
        running.log.write("\n# the batch's process ended while this test was running\n")
        running.log.write(_footer(result, end.returncode))
        running.log.close()
        self._emit(result)

    def _fail_held(self, held: IterationResult, end: ProcessEnd) -> None:
        self._held = None
        result = replace(
            held,
            returncode=end.returncode,
            timed_out=end.timed_out,
            skipped=False,
            error="" if end.timed_out else f"the process exited {end.returncode} after this test ended",
        )
        with open(held.capture, "a", encoding="utf-8", errors="replace") as log:
            log.write("\n# this was the batch's last test; the process's output after it:\n")
            log.writelines(self._context)
            log.write(_footer(result, end.returncode))
        self._emit(result)

    def _fail_unstarted(self, spec: IterationSpec, end: ProcessEnd) -> None:
        """No seed started: the process failed before its tests (collection, usage)."""
        capture = self._capture_dir / spec.log_name
        result = IterationResult(
            spec,
            end.returncode,
            end.seconds,
            capture,
            timed_out=end.timed_out,
            error="" if end.timed_out or end.returncode else "the test never started",
        )
        with open(capture, "w", encoding="utf-8", errors="replace") as log:
            _write_header(log, spec)
            log.write("# the batch's process ended before this test started; its output:\n")
            log.writelines(self._preamble)
            log.writelines(self._context)
            log.write(_footer(result, end.returncode))
        self._emit(result)


def run_batch(
    batch: BatchSpec,
    cwd: Path,
    timeout: float,
    capture_dir: Path,
    registry: ProcessRegistry,
    emit: Callable[[IterationResult], None],
    sink: LineSink | None = None,
    cpu: int | None = None,
) -> list[IterationSpec]:
    """Run a batch's process, emitting each seed's result as it is known (a timeout applies to
    each seed); return the seeds it never started, to be run again in a new process."""
    watchdog = Watchdog(timeout)
    output = BatchOutput(batch, capture_dir, watchdog, emit, sink)
    end = run_process(batch.argv, batch.env, cwd, registry, watchdog, output.on_line, cpu)
    return output.finish(end)


def save_failure_log(result: IterationResult, log_dir: Path) -> Path:
    """Keep a failing (or interrupted) iteration's log; return where it is.

    Post-processing of a kept log goes here, after the move: today the HTML timeline.
    """
    name = result.spec.log_name
    if result.interrupted:
        name = name.removesuffix(".log") + ".interrupted.log"
    log_path = log_dir / name
    result.capture.replace(log_path)
    write_timeline_beside(log_path)
    return log_path


def write_timeline_beside(log_path: Path) -> Path | None:
    """``<log>.html`` (suffix replaced) when the log holds debug lines; the path or None.

    A failure to draw is noted at the end of the log instead of raised: the log is what
    matters, and the run must go on.
    """
    try:
        return timeline.write_timeline(log_path, log_path.with_suffix(".html"))
    except debuglog.NotADebugLog:
        return None  # a run without PY6824_DEBUG: nothing to draw
    except Exception as exc:  # noqa: BLE001 - any bug in the drawing, see above
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(f"# timeline: not written: {exc!r}\n")
        return None


# --------------------------------------------------------------------------- statistics


@dataclass
class TestStats:
    """One test's completed iterations. A skipped one is counted apart, and its time (pytest
    start-up, no test) stays out of the timings."""

    runs: int = 0  # completed iterations, skipped ones included
    failures: int = 0
    timeouts: int = 0
    skipped: int = 0
    total_seconds: float = 0.0  # of the iterations that ran the test (failed or passed)
    max_seconds: float = 0.0
    failed_iterations: list[int] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return self.runs - self.failures - self.skipped

    @property
    def mean_seconds(self) -> float | None:
        """None when no iteration ran the test."""
        timed = self.runs - self.skipped
        return self.total_seconds / timed if timed else None

    def add(self, result: IterationResult) -> None:
        self.runs += 1
        if result.skipped:
            self.skipped += 1
            return
        self.total_seconds += result.seconds
        self.max_seconds = max(self.max_seconds, result.seconds)
        if result.failed:
            self.failures += 1
            self.failed_iterations.append(result.spec.iteration)
        if result.timed_out:
            self.timeouts += 1


def summarize(tests: Sequence[str], results: Sequence[IterationResult]) -> dict[str, TestStats]:
    """Per-test statistics over completed (not interrupted) iterations, in test order."""
    stats = {test: TestStats() for test in tests}
    for result in results:
        if not result.interrupted:
            stats[result.spec.test_id].add(result)
    return stats


def estimate_eta(elapsed: float | None, done: int, total: int) -> float | None:
    """Remaining seconds, assuming the remaining iterations go at the average pace so far."""
    if not elapsed or done <= 0:
        return None
    return elapsed / done * (total - done)


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-:--:--"
    whole = int(round(seconds))
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def build_table(stats: Mapping[str, TestStats], iterations: int) -> Table:
    table = Table(title=f"Stress results ({iterations} iteration(s) per test)")
    table.add_column("Test", overflow="fold")
    for name in ("Runs", "Failed", "Timed out", "Skipped", "Mean s", "Max s"):
        table.add_column(name, justify="right")
    for test, s in stats.items():
        timed = s.mean_seconds is not None
        style = "red" if s.failures else "dim" if s.runs and s.skipped == s.runs else None
        table.add_row(
            Text(test),
            str(s.runs),
            str(s.failures),
            str(s.timeouts),
            str(s.skipped),
            f"{s.mean_seconds:.2f}" if timed else "-",
            f"{s.max_seconds:.2f}" if timed else "-",
            style=style,
        )
    return table


def write_summary(
    path: Path, stats: Mapping[str, TestStats], log_dir: Path, interrupted: bool, logs: Mapping[str, list[str]]
) -> None:
    data = {
        "log_dir": str(log_dir),
        "interrupted": interrupted,
        "tests": [
            {"test": test, **asdict(s), "passed": s.passed, "mean_seconds": s.mean_seconds, "logs": logs.get(test, [])}
            for test, s in stats.items()
        ],
    }
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- display


def _short(test_id: str) -> str:
    return test_id.rpartition("::")[2] or test_id


class _EtaColumn(ProgressColumn):
    """ETA from the average pace so far (rich's own column needs several recent samples,
    which slow tests do not give it)."""

    def render(self, task: Task) -> Text:
        eta = estimate_eta(task.elapsed, int(task.completed), int(task.total or 0))
        return Text(f"ETA {format_seconds(eta)}", style="progress.remaining")


class Reporter:
    """Plain status lines: for CI logs and pipes. Called from the main thread only."""

    STATUS_EVERY_S = 10.0

    def __init__(self, console: Console) -> None:
        self.console = console
        self.total = 0
        self.done = 0
        self.failed_ids: dict[str, None] = {}
        self.failures = 0
        self.skipped = 0
        self.started = time.monotonic()
        self._last_status = 0.0

    def start(self, total: int, tests: int, log_dir: Path) -> None:
        self.total = total
        self.started = time.monotonic()
        self._emit(f"stress: {tests} test(s), {total} iteration(s); logs of failing iterations go to {log_dir}")

    def line(self, spec: IterationSpec, text: str) -> None:
        self._emit(f"[{_short(spec.test_id)}#{spec.iteration}] {text}")

    def finished(self, result: IterationResult, log_path: Path | None) -> None:
        self._count(result, log_path)
        now = time.monotonic()
        if result.failed or self.done == self.total or now - self._last_status >= self.STATUS_EVERY_S:
            self._last_status = now
            self._emit(self._status())

    def stop(self) -> None:
        pass

    def _count(self, result: IterationResult, log_path: Path | None) -> None:
        self.done += 1
        self.skipped += result.skipped
        if result.failed:
            self.failures += 1
            self.failed_ids[result.spec.test_id] = None
            self._failure_line(result, log_path)

    def _failure_line(self, result: IterationResult, log_path: Path | None) -> None:
        self._emit(
            f"FAIL {result.spec.test_id} #{result.spec.iteration}: {result.outcome()}, "
            f"{result.seconds:.1f} s -> {log_path}"
        )

    def _status(self) -> str:
        elapsed = time.monotonic() - self.started
        eta = estimate_eta(elapsed, self.done, self.total)
        failing = ", ".join(map(_short, self.failed_ids)) or "none"
        return (
            f"[{self.done}/{self.total}] done {self.done}, failed {self.failures} "
            f"(failing: {failing}), skipped {self.skipped}, elapsed {format_seconds(elapsed)}, "
            f"ETA {format_seconds(eta)}"
        )

    def _emit(self, text: str) -> None:
        print(text, flush=True)


class RichReporter(Reporter):
    """A live progress bar; failures and -v output scroll above it."""

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[red]{task.fields[failed]} failed"),
            TextColumn("[dim]{task.fields[skipped]} skipped"),
            TimeElapsedColumn(),
            _EtaColumn(),
            TextColumn("[red]{task.fields[failing]}"),
            console=console,
        )
        self.task_id = self.progress.add_task("stress", total=1, failed=0, skipped=0, failing="", start=False)

    def start(self, total: int, tests: int, log_dir: Path) -> None:
        super().start(total, tests, log_dir)
        self.progress.update(self.task_id, total=total)
        self.progress.start_task(self.task_id)
        self.progress.start()

    def finished(self, result: IterationResult, log_path: Path | None) -> None:
        self._count(result, log_path)
        failing = ", ".join(map(_short, self.failed_ids))
        self.progress.update(
            self.task_id,
            advance=1,
            failed=self.failures,
            skipped=self.skipped,
            failing=failing if len(failing) < 60 else failing[:57] + "...",
        )

    def stop(self) -> None:
        self.progress.stop()

    def _emit(self, text: str) -> None:
        self.progress.console.print(Text(text), soft_wrap=True)


def make_console(display: str) -> Console:
    if display == "rich":
        return Console(force_terminal=True)
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # Logs have no width limit worth wrapping the table's test ids at.
        console = Console(width=200)
    return console


def make_reporter(display: str, console: Console) -> Reporter:
    use_rich = display == "rich" or (display == "auto" and console.is_terminal)
    return RichReporter(console) if use_rich else Reporter(console)


# --------------------------------------------------------------------------- main loop


def make_log_dir(log_root: Path) -> Path:
    """A fresh folder per run, named by its start time (suffixed if two runs share one)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    log_root.mkdir(parents=True, exist_ok=True)
    for suffix in ("", *(f"-{i}" for i in range(1, 1000))):
        path = log_root / f"{stamp}{suffix}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise UsageError(f"cannot create a log folder under {log_root}")


@contextmanager
def _signal_handlers(handler: Callable[[int, Any], Any] | int, *sigs: signal.Signals) -> Iterator[None]:
    """Install handler for sigs for the block, then put the previous ones back; signal
    handlers belong to the main thread, so elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in sigs}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _signals_raise() -> AbstractContextManager[None]:
    """Make SIGTERM/SIGHUP unwind the main thread like Ctrl-C does.

    Our children live in their own sessions, so without this a killed runner would
    orphan them instead of taking them down.
    """

    def handler(signum: int, _frame: object) -> None:
        raise _Terminated(signum)

    return _signal_handlers(handler, signal.SIGTERM, signal.SIGHUP)


def _signals_ignored() -> AbstractContextManager[None]:
    """While cleaning up, a second Ctrl-C must not abandon the children we are killing."""
    return _signal_handlers(signal.SIG_IGN, signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass
class RunOutcome:
    results: list[IterationResult]
    logs: dict[str, list[str]]
    interrupted_by: int | None  # signal number, None if the run completed


# What worker threads send the main thread: a line of -v output, or a finished iteration.
Event = tuple[IterationSpec, str] | IterationResult


class StressRun:
    """Schedules the iterations and feeds their events to the reporter."""

    def __init__(self, opts: Options, tests: Sequence[str], log_dir: Path, reporter: Reporter) -> None:
        self.opts = opts
        self.tests = list(tests)
        self.log_dir = log_dir
        self.capture_dir = log_dir / ".running"
        self.reporter = reporter
        self.registry = ProcessRegistry()
        self.events: queue.Queue[Event] = queue.Queue()
        self.results: list[IterationResult] = []
        self.logs: dict[str, list[str]] = {}
        self.pool = ThreadPoolExecutor(max_workers=opts.parallel, thread_name_prefix="stress")
        self.cpus = _cpu_slots(opts.parallel)

    def specs(self) -> list[IterationSpec]:
        # Iteration-major order: every test gets its first runs early, so a broken
        # test shows up in the first minutes of a long loop.
        return [build_iteration(self.opts, test, i) for i in range(1, self.opts.iterations + 1) for test in self.tests]

    def batches(self, specs: Sequence[IterationSpec]) -> list[BatchSpec]:
        """--sim: the specs, in their order, cut into batches of one test's iterations."""
        by_test: dict[str, list[IterationSpec]] = {}
        for spec in specs:
            by_test.setdefault(spec.test_id, []).append(spec)
        size = self.opts.batch
        # In the specs' iteration-major order: every test gets its first batch early.
        return [
            build_batch(self.opts, mine[start : start + size])
            for start in range(0, self.opts.iterations, size)
            for mine in by_test.values()
        ]

    def _submit_all(self, specs: Sequence[IterationSpec]) -> None:
        if self.opts.sim:
            for batch in self.batches(specs):
                self.pool.submit(self._batch_job, batch)
        else:
            for spec in specs:
                self.pool.submit(self._job, spec)

    def _job(self, spec: IterationSpec) -> None:
        if self.registry.stopping:
            return
        sink = self._sink if self.opts.verbose else None
        capture = self.capture_dir / spec.log_name
        try:
            result = run_iteration(spec, self.opts.tests_dir, self.opts.timeout, capture, self.registry, sink)
        except Exception as exc:  # noqa: BLE001 - the main loop must always hear back
            result = IterationResult(spec, None, 0.0, capture, error=repr(exc))
        self.events.put(result)

    def _batch_job(self, batch: BatchSpec) -> None:
        """Run a batch, on a CPU of its own (a simulation runs one thread at a time, and
        is fastest when they all share a CPU: runtime/sim.py); run the seeds it never
        started in a new batch, unless the run is being stopped."""
        if self.registry.stopping:
            return
        sink = self._sink if self.opts.verbose else None
        emitted: set[int] = set()

        def emit(result: IterationResult) -> None:
            emitted.add(result.spec.iteration)
            self.events.put(result)

        cpu = self.cpus.get()
        try:
            rest = run_batch(
                batch, self.opts.tests_dir, self.opts.timeout, self.capture_dir, self.registry, emit, sink, cpu
            )
        except Exception as exc:  # noqa: BLE001 - the main loop must hear of every seed
            for spec in batch.specs:
                if spec.iteration not in emitted:
                    self.events.put(IterationResult(spec, None, 0.0, self.capture_dir / spec.log_name, error=repr(exc)))
            return
        finally:
            self.cpus.put(cpu)
        if rest and not self.registry.stopping:
            try:
                self.pool.submit(self._batch_job, build_batch(self.opts, rest))
            except RuntimeError:
                pass  # the pool is shut down: the run was interrupted, these never ran

    def _sink(self, spec: IterationSpec, text: str) -> None:
        self.events.put((spec, text))

    def _handle(self, event: Event) -> None:
        if not isinstance(event, IterationResult):
            self.reporter.line(*event)
            return
        self.results.append(event)
        log_path = None
        if event.failed or event.interrupted:
            log_path = save_failure_log(event, self.log_dir)
            self.logs.setdefault(event.spec.test_id, []).append(str(log_path))
        else:
            event.capture.unlink(missing_ok=True)
        if not event.interrupted:
            self.reporter.finished(event, log_path)

    def run(self) -> RunOutcome:
        specs = self.specs()
        self.capture_dir.mkdir()
        self.reporter.start(len(specs), len(self.tests), self.log_dir)
        interrupted_by: int | None = None
        pool = self.pool
        try:
            with _signals_raise():
                self._submit_all(specs)
                while len(self.results) < len(specs):
                    self._handle(self.events.get())  # blocks; Ctrl-C interrupts it
        except KeyboardInterrupt:
            interrupted_by = signal.SIGINT
        except _Terminated as exc:
            interrupted_by = exc.signum
        finally:
            with _signals_ignored():
                if interrupted_by is not None:
                    self.registry.stop_all()
                # Killed iterations return at once; queued ones are cancelled.
                pool.shutdown(wait=True, cancel_futures=True)
                self._drain()
                self.reporter.stop()
                _remove_if_empty(self.capture_dir)
        return RunOutcome(self.results, self.logs, interrupted_by)

    def _drain(self) -> None:
        while True:
            try:
                self._handle(self.events.get_nowait())
            except queue.Empty:
                return


def _cpu_slots(parallel: int) -> queue.Queue[int | None]:
    """A CPU for each of the `parallel` processes at a time (round-robin over the allowed
    CPUs); None each where affinity cannot be set."""
    slots: queue.Queue[int | None] = queue.Queue()
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    for i in range(parallel):
        slots.put(cpus[i % len(cpus)] if cpus else None)
    return slots


def _remove_if_empty(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass


def report(console: Console, opts: Options, tests: Sequence[str], outcome: RunOutcome, log_dir: Path) -> int:
    """Print the table and closing lines, write summary.json; return the exit code."""
    stats = summarize(tests, outcome.results)
    write_summary(log_dir / "summary.json", stats, log_dir, outcome.interrupted_by is not None, outcome.logs)
    console.print(build_table(stats, opts.iterations))
    runs = sum(s.runs for s in stats.values())
    failures = sum(s.failures for s in stats.values())
    passed = sum(s.passed for s in stats.values())
    skipped = sum(s.skipped for s in stats.values())
    if outcome.interrupted_by is not None:
        cancelled = len(tests) * opts.iterations - runs
        console.print(f"Interrupted: {cancelled} iteration(s) not completed.", markup=False)
    if failures or outcome.logs:
        console.print(f"Logs of failing/interrupted iterations: {log_dir}", markup=False)
    if opts.sim:
        report_seeds(console, opts, outcome, log_dir / "summary.json")
    # The 'N passed, N failed' line is the closing line CI log readers understand.
    console.print(f"stress: {passed} passed, {failures} failed, {skipped} skipped", markup=False)
    if outcome.interrupted_by is not None:
        return 128 + outcome.interrupted_by
    return EXIT_FAILED if failures else EXIT_OK


def failing_seeds(results: Sequence[IterationResult]) -> list[dict[str, str]]:
    """The --sim seeds of the failed iterations, each with its replay command."""
    return [
        {
            "test": r.spec.test_id,
            "iteration": str(r.spec.iteration),
            "seed": r.spec.metadata["seed"],
            "replay": r.spec.metadata["replay"],
        }
        for r in results
        if r.failed and "seed" in r.spec.metadata
    ]


def _base_seed_line(opts: Options) -> str:
    return f"Simulation: base seed {opts.base_seed} (repeat this run with --sim --base-seed {opts.base_seed})"


def report_seeds(console: Console, opts: Options, outcome: RunOutcome, summary_path: Path) -> None:
    """List the failing seeds (terminal and summary.json) and how to repeat the whole run."""
    failing = failing_seeds(outcome.results)
    console.print(f"{_base_seed_line(opts)}; {len(failing)} failing seed(s)", markup=False)
    for f in failing:
        console.print(f"  seed {f['seed']}  {f['test']} (iteration {f['iteration']}): {f['replay']}", markup=False)
    data = json.loads(summary_path.read_text(encoding="utf-8"))
    data["sim"] = {"base_seed": opts.base_seed, "failing_seeds": failing}
    summary_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        tests = collect_tests(opts)
        log_dir = make_log_dir(opts.log_root)
    except UsageError as exc:
        print(f"run_tests.sh: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # --log-root not writable, say
        print(f"run_tests.sh: error: cannot create the log folder: {exc}", file=sys.stderr)
        return EXIT_USAGE
    console = make_console(opts.display)
    reporter = make_reporter(opts.display, console)
    if opts.sim:  # said first too, so an interrupted run can still be repeated
        console.print(_base_seed_line(opts), markup=False)
    outcome = StressRun(opts, tests, log_dir, reporter).run()
    return report(console, opts, tests, outcome, log_dir)


if __name__ == "__main__":
    run("run_tests.sh", main)
