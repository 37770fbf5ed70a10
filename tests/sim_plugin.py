"""``pytest --sim [--seed N]``: the raft and kvraft tests in deterministic simulation.

Under --sim, each test under tests/raft and tests/kvraft runs as the root thread of a fresh
runtime.sim.Simulator seeded with the session's seed (--seed N, or a fresh one printed in the
header): virtual time, one thread at a time, every scheduling decision and random choice from
the seed. A failure names its seed and the command that replays it exactly::

    pytest --sim --seed 1234 -k test_figure8_unreliable_2c

Other tests are skipped under --sim (they are real-mode tests: labrpc's timing tests, mr's
processes, the tools), except tests/runtime, which runs normally (it drives simulators itself).

Replays are exact only with the same PYTHONHASHSEED (set and string iteration order depends on
it), so under --sim an unset PYTHONHASHSEED makes pytest re-exec itself with PYTHONHASHSEED=0.

The harness's leak check (tests/harness.py) looks at real threads; in simulation the same check
happens here, in virtual time: threads still alive LEAK_GRACE_S virtual seconds after the test
returned fail it. Exceptions in simulated threads reach threading.excepthook (the harness's)
while the thread holds the baton, so they fail the test as in real mode.
"""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from runtime.sim import RunOutcome, SimulationFailure, Simulator
from tests import harness

SIMULATED_DIRS = ("raft", "kvraft")  # under tests/
NATIVE_DIRS = ("runtime",)  # run as usual under --sim
_TESTS_DIR = Path(__file__).resolve().parent
_seed_key = pytest.StashKey[int]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("py6824 simulation")
    group.addoption("--sim", action="store_true", default=False,
                    help="run the raft and kvraft tests in deterministic simulation (virtual time)")
    group.addoption("--seed", type=int, default=None, metavar="N",
                    help="the simulation's seed (default: a fresh one, printed)")


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("sim"):
        return
    if os.environ.get("PYTHONHASHSEED", "random") == "random":
        _reexec_with_fixed_hash_seed(config)
    seed = config.getoption("seed")
    config.stash[_seed_key] = seed if seed is not None else random.SystemRandom().randrange(2**32)


def _reexec_with_fixed_hash_seed(config: pytest.Config) -> None:
    """Start over with PYTHONHASHSEED=0, so set order (and so the trace) is reproducible."""
    capman = config.pluginmanager.getplugin("capturemanager")
    if capman is not None:
        capman.stop_global_capturing()  # give the new process our real stdout/stderr back
    sys.stdout.flush()
    sys.stderr.flush()
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)


def pytest_report_header(config: pytest.Config) -> str | None:
    if not config.getoption("sim"):
        return None
    seed = config.stash[_seed_key]
    return (f"py6824 simulation: seed {seed}, PYTHONHASHSEED={os.environ.get('PYTHONHASHSEED')} "
            f"(replay one test: pytest --sim --seed {seed} -k NAME)")


def _part(item: pytest.Item) -> str | None:
    """'raft', 'kvraft', ... : the folder under tests/ the test lives in."""
    try:
        relative = Path(str(item.path)).resolve().relative_to(_TESTS_DIR)
    except ValueError:
        return None
    return relative.parts[0] if len(relative.parts) > 1 else None


def is_simulated(item: pytest.Item) -> bool:
    return bool(item.config.getoption("sim")) and _part(item) in SIMULATED_DIRS


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("sim"):
        return
    skip = pytest.mark.skip(reason="a real-mode test: --sim runs tests/raft and tests/kvraft (run it without --sim)")
    for item in items:
        if _part(item) not in SIMULATED_DIRS + NATIVE_DIRS:
            item.add_marker(skip)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not is_simulated(pyfuncitem):
        return None  # pytest's own call
    seed = pyfuncitem.config.stash[_seed_key]
    replay = f"pytest --sim --seed {seed} '{pyfuncitem.nodeid}'"
    testargs = {arg: pyfuncitem.funcargs[arg] for arg in pyfuncitem._fixtureinfo.argnames}
    fn = pyfuncitem.obj
    outcome = None
    try:
        outcome, _ = simulate(lambda: fn(**testargs), seed)
    except SimulationFailure as exc:
        pytest.fail(f"simulation (seed {seed}) failed: {exc}\nreplay: {replay}", pytrace=False)
    finally:
        if outcome is None:
            pyfuncitem.add_report_section("call", "simulation", f"seed {seed}; replay: {replay}")
        else:
            pyfuncitem.user_properties.append(("sim_seed", seed))
            pyfuncitem.user_properties.append(("sim_trace_hash", f"{outcome.trace_hash:016x}"))
            pyfuncitem.add_report_section("call", "simulation",
                                          f"seed {seed}; trace {outcome.trace_hash:016x}; "
                                          f"{outcome.virtual_s:.1f} virtual s; {outcome.decisions} decisions; "
                                          f"{outcome.threads_started} threads; replay: {replay}")
    if outcome.leaked:
        pytest.fail(f"threads still running {harness.LEAK_GRACE_S:.0f} virtual s after the test's cleanup: "
                    f"{', '.join(sorted(outcome.leaked))}\nreplay: {replay}", pytrace=False)
    return True


def simulate(fn: Callable[[], Any], seed: int, *, keep_trace: bool = False,
             sim_out: list[Simulator] | None = None) -> tuple[RunOutcome, Any]:
    """Run fn in a fresh simulation with RPC fates traced; (outcome, fn's result).

    Raises SimulationFailure on a deadlock or livelock, and fn's own exception otherwise.
    """
    sim = Simulator(seed, keep_trace=keep_trace)
    if sim_out is not None:
        sim_out.append(sim)
    with _traced_rpcs(sim), _virtual_debug_clock(sim):
        try:
            return sim.run(fn, leak_grace_s=harness.LEAK_GRACE_S)
        except SimulationFailure:
            raise
        except BaseException:
            if sim.failure is not None:  # the test tripped over the failure while unwinding
                raise SimulationFailure(sim.failure) from None
            raise


@contextmanager
def _traced_rpcs(sim: Simulator) -> Iterator[None]:
    """Mix every RPC's delivery and fate into the trace hash.

    labrpc is not ours to edit, so two of its functions are wrapped for the run: the
    handler's dispatch (the request reached a server) and Network.process (its fate: the
    caller's (ok, reply) as returned). A runtime.trace() hook called by labrpc would be
    cleaner; see the issue's report."""
    from labrpc import network

    process = network.Network.process
    dispatch = getattr(network, "_dispatch", None)  # if it is renamed, deliveries go untraced

    def traced_process(self: network.Network, endname: Any, method: str, request: bytes) -> tuple[bool, Any]:
        ok, reply = process(self, endname, method, request)
        sim.note_text("rpc", endname, method, len(request), ok, len(reply) if reply is not None else -1)
        return ok, reply

    def traced_dispatch(server: Any, method: str, request: bytes, outcome: Any) -> None:
        sim.note_text("deliver", method, len(request))
        dispatch(server, method, request, outcome)

    network.Network.process = traced_process
    if dispatch is not None:
        network._dispatch = traced_dispatch
    try:
        yield
    finally:
        network.Network.process = process
        if dispatch is not None:
            network._dispatch = dispatch


@contextmanager
def _virtual_debug_clock(sim: Simulator) -> Iterator[None]:
    """PY6824_DEBUG lines count milliseconds from debug's import; in simulation, from 0."""
    from labrpc import debug

    start = debug._start
    debug._start = sim.now()
    try:
        yield
    finally:
        debug._start = start
