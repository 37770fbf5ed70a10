"""The deterministic simulator's cost per seed (prints figures).

    python benchmarks/sim_bench.py [--seeds 3] [--base-seed 1] [-k SUBSTRING]

Runs a fixed list of raft and kvraft tests, each once per seed (base-seed, base-seed+1, ...),
in this process, through the same path as ``pytest --sim`` (tests/sim_plugin.simulate: a
fresh Simulator per run, RPC fates traced, the virtual leak check), and prints, per test and
in total, seeds per wall-clock second and seeds per CPU-second (time.process_time: all of
this process's threads). On a loaded machine the CPU figure is the fair one: it does not
count the time spent waiting for a core. A run that fails is reported and still counted.

Then the scheduler alone: threads that only take a lock and notify a condition, so nearly
all the CPU goes to the simulator itself; its cost per scheduling decision (blocking point).

With --profile, also where the CPU went, by file and by function (see Sampler).
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import runtime
from runtime.sim import SimulationFailure, Simulator, ensure_fixed_hash_seed
from tests import sim_plugin
from tools.cli import ArgumentParser, int_in, run

ROOT = str(Path(__file__).resolve().parents[1]) + os.sep

# Fixed, so that figures taken on different days compare: 2A-2D and 3A-3B, cheap and costly.
TESTS = [
    ("tests.raft.test_raft", "test_re_election_2a"),
    ("tests.raft.test_raft", "test_backup_2b"),
    ("tests.raft.test_raft", "test_figure8_2c"),
    ("tests.raft.test_raft", "test_figure8_unreliable_2c"),
    ("tests.raft.test_raft", "test_snapshot_install_2d"),
    ("tests.raft.test_raft", "test_snapshot_install_unreliable_2d"),
    ("tests.kvraft.test_kvraft", "test_basic_3a"),
    ("tests.kvraft.test_kvraft", "test_unreliable_one_key_3a"),
    ("tests.kvraft.test_kvraft", "test_snapshot_rpc_3b"),
]
SCHEDULER_ROUNDS = 20_000  # lock-and-notify rounds per thread in the scheduler figure


@dataclass
class Figures:
    name: str
    seeds: int = 0
    failed: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0

    def add(self, other: Figures) -> None:
        self.seeds += other.seeds
        self.failed += other.failed
        self.wall_s += other.wall_s
        self.cpu_s += other.cpu_s

    def line(self) -> str:
        failed = f"  ({self.failed} failed)" if self.failed else ""
        return (
            f"{self.name:<38} {self.seeds:>5} {self.wall_s:>8.1f} {self.cpu_s:>8.1f} "
            f"{self.seeds / self.wall_s:>8.3f} {self.seeds / self.cpu_s:>10.3f}{failed}"
        )


def run_seeds(name: str, test_fn: Callable[[], object], seeds: list[int]) -> Figures:
    """Run one test once per seed, as pytest --sim does; its figures."""
    figures = Figures(name, seeds=len(seeds))
    wall, cpu = time.perf_counter(), time.process_time()
    for seed in seeds:
        if not run_one(test_fn, seed):
            figures.failed += 1
            print(f"  {name} seed {seed} failed", file=sys.stderr)
    figures.wall_s = time.perf_counter() - wall
    figures.cpu_s = time.process_time() - cpu
    return figures


def run_one(test_fn: Callable[[], object], seed: int) -> bool:
    """One simulated run; whether it passed (no exception anywhere, nothing leaked)."""
    thread_errors: list[str] = []
    previous_hook = threading.excepthook
    threading.excepthook = lambda args: thread_errors.append(repr(args.exc_value))
    try:
        outcome, _ = sim_plugin.simulate(test_fn, seed)
    except (Exception, SimulationFailure) as exc:  # noqa: BLE001 - a failed seed is a figure, not a crash
        print(f"  {type(exc).__name__}: {str(exc)[:300]}", file=sys.stderr)
        return False
    finally:
        threading.excepthook = previous_hook
    return not thread_errors and not outcome.leaked


class Sampler:
    """Where the CPU goes, by sampling: at each tick of the process's CPU time (the kernel's
    timer tick, a few ms), SIGPROF's handler notes the running Python function and its
    callers. cProfile would charge each of a scheduling decision's many small calls far more
    than it costs, and py-spy does not see a greenlet's stack; this sees whichever simulated
    thread runs, at no cost per call. Time in C is charged to the Python line that called it
    (a greenlet switch to _switch). Run enough seeds for a few thousand samples.
    """

    INTERVAL_S = 0.0005  # asked for; the kernel rounds it up to its tick

    def __init__(self) -> None:
        self.samples = 0
        self.cpu_s = 0.0
        self.self_by_file: collections.Counter[str] = collections.Counter()
        self.self_by_function: collections.Counter[str] = collections.Counter()
        self.inclusive: collections.Counter[str] = collections.Counter()

    def __enter__(self) -> Sampler:
        signal.signal(signal.SIGPROF, self._sample)
        signal.setitimer(signal.ITIMER_PROF, self.INTERVAL_S, self.INTERVAL_S)
        self.cpu_s -= time.process_time()
        return self

    def __exit__(self, *exc_info: object) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, signal.SIG_DFL)
        self.cpu_s += time.process_time()

    def _sample(self, _signum: int, frame: Any) -> None:
        self.samples += 1
        self.self_by_file[_file(frame)] += 1
        self.self_by_function[_function(frame)] += 1
        on_stack = set()
        while frame is not None:
            on_stack.add(_function(frame))
            frame = frame.f_back
        self.inclusive.update(on_stack)

    def report(self, top: int = 25) -> str:
        per_sample_ms = self.cpu_s / max(self.samples, 1) * 1e3
        lines = [f"where the CPU went: {self.samples} samples, one per {per_sample_ms:.1f} ms of CPU"]
        for title, counter, n in [
            ("in the file's own code", self.self_by_file, top // 2),
            ("in the function's own code", self.self_by_function, top),
            ("in the function or what it called", self.inclusive, top),
        ]:
            lines.append(f"-- {title}")
            lines += [f"{count / max(self.samples, 1):6.1%}  {name}" for name, count in counter.most_common(n)]
        return "\n".join(lines)


def _file(frame: Any) -> str:
    path: str = frame.f_code.co_filename
    return path.removeprefix(ROOT)


def _function(frame: Any) -> str:
    return f"{_file(frame)}:{frame.f_code.co_name}"


def _lock_and_notify() -> None:
    """Four threads taking one lock and notifying its condition, over and over."""
    mu = runtime.Lock()
    cond = runtime.Condition(mu)

    def worker() -> None:
        for _ in range(SCHEDULER_ROUNDS):
            with mu:
                cond.notify()

    for thread in [runtime.go(worker, name=f"w{i}") for i in range(4)]:
        thread.join()


def scheduler_cost_us() -> tuple[float, int]:
    """CPU microseconds per scheduling decision when the threads do next to nothing (best of 3)."""
    best, decisions = float("inf"), 0
    for _ in range(3):
        cpu = time.process_time()
        outcome, _ = Simulator(1).run(_lock_and_notify)
        best = min(best, time.process_time() - cpu)
        decisions = outcome.decisions
    return best / decisions * 1e6, decisions


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="sim_bench.py", description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int_in(1), default=3, help="seeds per test (default 3)")
    parser.add_argument("--base-seed", type=int_in(0), default=1, help="the first seed (default 1)")
    parser.add_argument("-k", dest="only", default="", help="only the tests whose name contains this")
    parser.add_argument("--profile", action="store_true", help="also print where the CPU went (see Sampler)")
    args = parser.parse_args(argv)
    ensure_fixed_hash_seed()  # the same runs as pytest --sim, whose seeds replay under PYTHONHASHSEED
    seeds = list(range(args.base_seed, args.base_seed + args.seeds))
    tests = [
        (name, getattr(__import__(module, fromlist=[name]), name))  # imported before any clock starts
        for module, name in TESTS
        if args.only in name
    ]
    if not tests:
        parser.error(f"no test name contains {args.only!r}")
    print(
        f"sim_bench: {len(tests)} tests x seeds {seeds[0]}..{seeds[-1]}; {os.cpu_count()} CPUs; load average {_load()}"
    )
    print(f"{'test':<38} {'seeds':>5} {'wall s':>8} {'CPU s':>8} {'seeds/s':>8} {'seeds/CPU-s':>10}")
    total = Figures("TOTAL")
    sampler = Sampler()
    for name, test_fn in tests:
        with open(os.devnull, "w") as quiet:  # the course's "Test ... Passed" lines
            stdout, sys.stdout = sys.stdout, quiet
            try:
                with sampler if args.profile else contextlib.nullcontext():
                    figures = run_seeds(name, test_fn, seeds)
            finally:
                sys.stdout = stdout
        print(figures.line(), flush=True)
        total.add(figures)
    print(total.line())
    if args.profile:
        print(sampler.report())
    cost, decisions = scheduler_cost_us()
    print(f"scheduler alone: {cost:.2f} CPU us per decision ({decisions} decisions, lock and notify)")
    print(f"load average at the end: {_load()}")
    return 1 if total.failed else 0


if __name__ == "__main__":
    run("sim_bench", main)
