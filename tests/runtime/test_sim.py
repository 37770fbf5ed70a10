"""The deterministic simulator (runtime/sim.py) and its pytest plugin (tests/sim_plugin.py).

These tests drive simulators themselves, so they run the same with or without --sim.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import runtime
from labrpc import Network, Server, Service, handler
from runtime.sim import SimulationFailure, Simulator
from tests import sim_plugin

ROOT = Path(__file__).resolve().parents[2]


def run_sim(fn: Callable[[], Any], seed: int = 1, **kwargs: Any) -> tuple[Any, Any]:
    return Simulator(seed, **kwargs).run(fn)


# --- the primitives ----------------------------------------------------------------------


def test_sleep_takes_virtual_time_not_real_time():
    def body() -> float:
        start = runtime.now()
        runtime.sleep(300)
        return runtime.now() - start

    wall = time.monotonic()
    _, slept = run_sim(body)
    assert 300 <= slept < 300.01
    assert time.monotonic() - wall < 2


def test_run_restores_the_standard_objects():
    run_sim(lambda: runtime.sleep(1))
    assert runtime.Lock is threading.Lock and runtime.sleep is time.sleep and not runtime.simulated()


def test_lock_gives_mutual_exclusion_and_condition_wakes_waiters():
    def body() -> list[int]:
        mu = runtime.Lock()
        cond = runtime.Condition(mu)
        state = {"in": 0, "max_in": 0, "done": 0}

        def worker() -> None:
            for _ in range(20):
                with mu:
                    state["in"] += 1
                    state["max_in"] = max(state["max_in"], state["in"])
                    runtime.sleep(0.001)  # blocks while holding mu: nobody else may enter
                    state["in"] -= 1
            with mu:
                state["done"] += 1
                cond.notify_all()

        threads = [runtime.go(worker, name=f"w{i}") for i in range(5)]
        with mu:
            while state["done"] < 5:
                cond.wait()
        for t in threads:
            t.join()
        return [state["max_in"], state["done"], sum(t.is_alive() for t in threads)]

    _, result = run_sim(body)
    assert result == [1, 5, 0]


def test_timeouts_report_as_in_threading():
    def body() -> tuple[bool, bool, bool, float]:
        mu = runtime.Lock()
        cond = runtime.Condition(mu)
        event = runtime.Event()
        with mu:
            notified = cond.wait(0.5)
        got_event = event.wait(0.25)
        runtime.go(lambda: (runtime.sleep(1), event.set()), name="setter")
        got_later = event.wait(10)
        return notified, got_event, got_later, runtime.now()

    _, (notified, got_event, got_later, now) = run_sim(body)
    assert (notified, got_event, got_later) == (False, False, True)
    assert 1.75 <= now < 1.8


def test_deadlock_fails_naming_every_blocking_point():
    def body() -> None:
        a, b = runtime.Lock(), runtime.Lock()

        def take(first: Any, second: Any) -> None:
            with first:
                runtime.sleep(0.1)
                with second:
                    pass

        t = runtime.go(take, a, b, name="takes-a-then-b")
        take(b, a)
        t.join()

    with pytest.raises(SimulationFailure) as info:
        run_sim(body)
    text = str(info.value)
    assert "deadlock" in text and "takes-a-then-b: Lock.acquire (held by test-main)" in text
    assert "test-main: Lock.acquire (held by takes-a-then-b)" in text and "test_sim.py" in text
    assert not runtime.simulated()


def test_a_woken_waiter_and_another_thread_get_the_lock_in_either_order():
    """A woken waiter takes its lock back with no choice point before (SimCondition.wait), yet
    a thread that wants the lock meanwhile may still get it first: no order is lost."""

    def body() -> tuple[str, ...]:
        mu = runtime.Lock()
        cond = runtime.Condition(mu)
        order: list[str] = []
        woken = [False]

        def waiter() -> None:
            with mu:
                while not woken[0]:
                    cond.wait()
                order.append("waiter")

        def other() -> None:
            with mu:
                order.append("other")

        waiting = runtime.go(waiter, name="waiter")
        runtime.sleep(0.01)  # until the waiter waits
        with mu:
            woken[0] = True
            cond.notify()
            competing = runtime.go(other, name="other")
        waiting.join()
        competing.join()
        return tuple(order)

    orders = {run_sim(body, seed)[1] for seed in range(20)}
    assert orders == {("waiter", "other"), ("other", "waiter")}


def test_busy_loop_without_a_step_cost_fails_as_a_livelock():
    """With free steps, two threads that only pass a lock back and forth never move the clock."""

    def body() -> None:
        mu = runtime.Lock()

        def spin() -> None:
            while True:
                with mu:
                    pass

        runtime.go(spin, name="spinner")
        spin()

    with pytest.raises(SimulationFailure, match="livelock: 1000 scheduling decisions") as info:
        run_sim(body, step_cost_s=0, livelock_decisions=1000)
    assert "spinner: runnable" in str(info.value)


def test_threads_started_one_after_another_each_run_their_own_function():
    """Threads run on reused greenlets: each new one must run its own function, once."""

    def body() -> list[int]:
        ran: list[int] = []
        for i in range(50):
            runtime.go(ran.append, i, name=f"t{i}").join()
        return ran

    outcome, ran = run_sim(body)
    assert ran == list(range(50)) and outcome.threads_started == 50 and not outcome.leaked


def test_exception_in_a_thread_reaches_excepthook(monkeypatch: pytest.MonkeyPatch):
    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: seen.append((args.thread.name, repr(args.exc_value))))

    def body() -> None:
        runtime.go(lambda: 1 / 0, name="divider").join()

    run_sim(body)
    assert seen == [("divider", "ZeroDivisionError('division by zero')")]


def test_each_thread_knows_its_name_and_the_live_threads():
    def body() -> tuple[list[str], list[str], list[str]]:
        seen: list[str] = []
        gate = runtime.Event()

        def named() -> None:
            seen.append(runtime.current_thread_name())
            gate.wait()
            seen.append(runtime.current_thread_name())

        threads = [runtime.go(named, name=f"n{i}") for i in range(2)]
        runtime.sleep(1)
        alive = sorted(t.name for t in runtime.live_threads())
        gate.set()
        for t in threads:
            t.join()
        return sorted(seen), alive, [t.name for t in runtime.live_threads()] + [runtime.current_thread_name()]

    _, (seen, alive, after) = run_sim(body)
    assert seen == ["n0", "n0", "n1", "n1"] and alive == ["n0", "n1"] and after == ["test-main"]


def test_an_interrupt_in_any_thread_ends_the_run():
    """Ctrl-C lands in whichever simulated thread is running; run() raises it, torn down."""
    unwound = []

    def body() -> None:
        def interrupted() -> None:
            runtime.sleep(1)
            raise KeyboardInterrupt

        def bystander() -> None:
            try:
                runtime.Event().wait()
            finally:
                unwound.append("bystander")

        runtime.go(bystander, name="bystander")
        runtime.go(interrupted, name="interrupted")
        runtime.sleep(100)

    with pytest.raises(KeyboardInterrupt):
        run_sim(body)
    assert unwound == ["bystander"] and not runtime.simulated()


def test_threads_left_running_are_reported_and_torn_down():
    stop = []

    def body() -> None:
        def forever() -> None:
            event = runtime.Event()
            try:
                event.wait()
            finally:
                stop.append("unwound")

        runtime.go(forever, name="stuck")

    outcome, _ = run_sim(body)
    assert len(outcome.leaked) == 1 and stop == ["unwound"]
    assert re.match(r"stuck: .* at tests/runtime/test_sim\.py:\d+ in forever$", outcome.leaked[0]), outcome.leaked


def test_threads_started_during_the_grace_period_are_waited_for():
    """A thread that starts another as it ends (a request in flight at cleanup gets its
    handler thread) leaks nothing if both end within the grace period."""

    def body() -> None:
        def second() -> None:
            runtime.sleep(1)

        def first() -> None:
            runtime.sleep(1)
            runtime.go(second, name="second")

        runtime.go(first, name="first")

    outcome, _ = run_sim(body)
    assert outcome.leaked == []
    assert outcome.virtual_s < 3


# --- determinism -------------------------------------------------------------------------


def _chatty() -> list[float]:
    """Threads racing on a lock with random sleeps: a schedule with many choices."""
    mu = runtime.Lock()
    order: list[float] = []

    def worker(i: int) -> None:
        for _ in range(10):
            runtime.sleep(runtime.random() / 100)
            with mu:
                order.append(i + runtime.now())

    threads = [runtime.go(worker, i, name=f"w{i}") for i in range(4)]
    for t in threads:
        t.join()
    return order


def test_same_seed_same_trace_different_seed_different_trace():
    (o1, r1), (o2, r2), (o3, r3) = (run_sim(_chatty, seed) for seed in (5, 5, 6))
    assert (o1.trace_hash, r1) == (o2.trace_hash, r2)
    assert o1.trace_hash != o3.trace_hash and r1 != r3


def _racy_counter() -> int:
    """Three threads increment a counter without a lock: a lost update needs a bad schedule."""
    state = {"n": 0}

    def inc() -> None:
        for _ in range(3):
            value = state["n"]
            runtime.sleep(0)  # a scheduling point between the read and the write
            state["n"] = value + 1

    threads = [runtime.go(inc, name=f"inc{i}") for i in range(3)]
    for t in threads:
        t.join()
    return state["n"]


def test_hunt_a_rare_race_by_seed_and_replay_it():
    results = {seed: run_sim(_racy_counter, seed) for seed in range(100)}
    failing = [seed for seed, (_, n) in results.items() if n != 9]
    assert 0 < len(failing) < 100
    seed = failing[0]
    replay_outcome, replay_n = run_sim(_racy_counter, seed)
    assert (replay_outcome.trace_hash, replay_n) == (results[seed][0].trace_hash, results[seed][1])


class Arrivals:
    """A server that notes who reached it, in order."""

    def __init__(self) -> None:
        self.order: list[str] = []

    @handler
    def record(self, who: str) -> str:
        self.order.append(who)
        return who


def _three_clients_one_server() -> list[str]:
    """Three clients call one server at once; the order their handlers ran in."""
    net = Network()
    arrivals = Arrivals()
    server = Server()
    server.add_service(Service(arrivals))
    net.add_server("server", server)
    ends = []
    for name in ("c0", "c1", "c2"):
        ends.append(net.make_end(name))
        net.connect(name, "server")
        net.enable(name, True)
    callers = [runtime.go(end.call, "Arrivals.Record", end.endname, name=f"caller-{i}") for i, end in enumerate(ends)]
    for caller in callers:
        caller.join()
    net.cleanup()
    return arrivals.order


def _delivered(trace: list[tuple[Any, ...]]) -> list[str]:
    """The ends whose requests the trace says reached the server, in the trace's order."""
    texts = [event[1] for event in trace if isinstance(event[1], str)]
    return [text.split("|")[1] for text in texts if text.endswith("|Arrivals.Record|delivered")]


def test_the_trace_records_each_delivery_so_another_order_is_another_hash():
    """Handler threads are pooled, so the scheduling decisions alone may not tell two delivery
    orders apart; labrpc's observer puts each delivery in the trace (tests/sim_plugin.py)."""
    runs: dict[int, tuple[int, list[str]]] = {}
    for seed in range(12):
        sims: list[Simulator] = []
        outcome, order = sim_plugin.simulate(_three_clients_one_server, seed, keep_trace=True, sim_out=sims)
        delivered = _delivered(sims[0].trace)
        assert sorted(delivered) == sorted(order) == ["c0", "c1", "c2"]  # each delivery, once
        runs[seed] = (outcome.trace_hash, delivered)
    assert len({tuple(delivered) for _, delivered in runs.values()}) > 1, "one delivery order: nothing shown"
    seed_a = 0
    seed_b = next(seed for seed, (_, delivered) in runs.items() if delivered != runs[seed_a][1])
    assert runs[seed_a][0] != runs[seed_b][0]
    sims = []
    replay, _ = sim_plugin.simulate(_three_clients_one_server, seed_b, keep_trace=True, sim_out=sims)
    assert (replay.trace_hash, _delivered(sims[0].trace)) == runs[seed_b]


# One test of each part; each run twice with one seed and once with another.
PER_PART = [
    ("tests.raft.test_raft", "test_initial_election_2a"),
    ("tests.raft.test_raft", "test_basic_agree_2b"),
    ("tests.raft.test_raft", "test_figure8_unreliable_2c"),
    ("tests.raft.test_raft", "test_snapshot_install_unreliable_2d"),
    ("tests.kvraft.test_kvraft", "test_unreliable_one_key_3a"),
    ("tests.kvraft.test_kvraft", "test_snapshot_rpc_3b"),
]


# ids without the part names, so that 'run_tests.sh 2A' does not select these
@pytest.mark.parametrize("module, name", PER_PART, ids=["raft-A", "raft-B", "raft-C", "raft-D", "kv-A", "kv-B"])
def test_course_test_is_deterministic(module: str, name: str):
    test_fn = getattr(__import__(module, fromlist=[name]), name)
    hashes = [sim_plugin.simulate(test_fn, seed)[0].trace_hash for seed in (11, 11, 12)]
    assert hashes[0] == hashes[1], "the same seed gave two different traces"
    assert hashes[0] != hashes[2], "two seeds gave the same trace"


def _trace_of_pytest_run(seed: int) -> str:
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "--sim",
        f"--seed={seed}",
        "-rA",
        "-q",
        "tests/raft/test_raft.py::test_re_election_2a",
    ]
    out = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return re.search(r"trace ([0-9a-f]{16})", out).group(1)


def test_replay_in_a_new_process_gives_the_same_trace():
    """The whole path: pytest --sim --seed N, its PYTHONHASHSEED re-exec, a fresh process."""
    assert _trace_of_pytest_run(3) == _trace_of_pytest_run(3)


def test_stress_gives_each_sim_iteration_its_own_seed_and_replay():
    from tools import stress

    opts = stress.parse_args(["--sim", "--base-seed", "7", "-n", "3", "2A"])
    specs = [stress.build_iteration(opts, "tests/raft/test_raft.py::test_x_2a", i) for i in (1, 2, 3)]
    seeds = [spec.metadata["seed"] for spec in specs]
    assert len(set(seeds)) == 3
    assert all(f"--seed={s}" in spec.argv and "--sim" in spec.argv for s, spec in zip(seeds, specs, strict=True))
    assert all(spec.env["PYTHONHASHSEED"] == "0" for spec in specs)
    assert specs[0].metadata["replay"] == f"pytest --sim --seed {seeds[0]} tests/raft/test_raft.py::test_x_2a"
    again = stress.parse_args(["--sim", "--base-seed", "7", "2A"])
    assert stress.build_iteration(again, specs[0].test_id, 1).metadata["seed"] == seeds[0]
    assert "seed" not in stress.build_iteration(stress.parse_args(["2A"]), specs[0].test_id, 1).metadata


def test_seeds_make_one_item_per_seed_each_replaying_alone():
    """--seeds runs a test once per seed, as test_x[seed=S]; each matches its solo run."""
    test = "tests/raft/test_raft.py::test_re_election_2a"
    outputs = [
        subprocess.run(
            [sys.executable, "-m", "pytest", "--sim", *args, "-rA", "-q", test],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for args in (["--seeds=2,3"], ["--seed=2", "--seed-count=2"])
    ]
    traces = [dict(re.findall(r"seed (\d+); trace ([0-9a-f]{16})", out)) for out in outputs]
    assert traces[0] == traces[1] and set(traces[0]) == {"2", "3"}
    assert traces[0]["3"] == _trace_of_pytest_run(3)
    assert f"PASSED {test}[seed=3]" in outputs[0]
    assert f"replay: pytest --sim --seed 3 '{test}'" in outputs[0]


@pytest.mark.parametrize(
    "args",
    [["--seed", "5"], ["--seeds=1,2"], ["--seed-count", "3"], ["--seed=1", "--seed-count=2"]],
    ids=["seed", "seeds", "seed-count", "both"],
)
def test_seed_options_without_sim_are_a_usage_error(tmp_path: Path, args: list[str]):
    """Without --sim a seed would be ignored, and the user would think they replayed a run."""
    (tmp_path / "pytest.ini").write_text(f"[pytest]\naddopts = -p no:cacheprovider\npythonpath = {ROOT}\n")
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.sim_plugin"]\n')
    (tmp_path / "test_tiny.py").write_text(
        "import pathlib\n\ndef test_tiny():\n    pathlib.Path(__file__).with_name('ran').touch()\n"
    )

    def pytest_run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", *extra],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    proc = pytest_run(*args)
    flags = " and ".join(a.split("=")[0] for a in args if a.startswith("--"))
    assert proc.returncode == 4, proc.stdout + proc.stderr  # pytest's usage error
    assert f"ERROR: {flags} need" in proc.stderr and "--sim" in proc.stderr
    assert not (tmp_path / "ran").exists()
    assert pytest_run().returncode == 0 and (tmp_path / "ran").exists()  # the suite itself is fine
