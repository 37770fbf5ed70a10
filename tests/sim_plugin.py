"""``pytest --sim [--seed N]``: the tests of the services on Raft in deterministic simulation.

Under --sim, each test under tests/raft, kvraft, rsm, shardctrler and shardkv (SIMULATED_DIRS)
runs as the root thread of a fresh
runtime.sim.Simulator seeded with the session's seed (--seed N, or a fresh one printed in the
header): virtual time, one thread at a time, every scheduling decision and random choice from
the seed. A failure names its seed and the command that replays it exactly::

    pytest --sim --seed 1234 -k test_figure8_unreliable_2c

Many seeds in one process: ``--seeds S1,S2,...`` (or ``--seed-count K``: seeds S..S+K-1 from
``--seed S``, or from a fresh one) runs each simulated test once per seed, each seed its own test
item, ``test_x[seed=S]``, with a fresh Simulator as always; ``-k``, ``-x`` and the reports work per
seed, and a failure's replay command names the plain test id, which replays that seed alone.
``--seed-markers`` (for run_tests.sh --sim, which batches seeds this way) prints a line when each
test starts and finishes, with its outcome: see SeedMarkers.

The seed options (--seed, --seeds, --seed-count, --seed-markers) need --sim: without it they
are a usage error, not silently ignored (a real-time run has no seed to replay).

Other tests are skipped under --sim (they are real-mode tests: labrpc's timing tests, mr's
processes, the tools), except tests/runtime, which runs normally (it drives simulators itself).

Replays are exact only with the same PYTHONHASHSEED (set and string iteration order depends on
it), so under --sim an unset PYTHONHASHSEED makes pytest re-exec itself with PYTHONHASHSEED=0.

The harness's leak check (tests/harness.py) looks at real threads; in simulation the same check
happens here, in virtual time: threads still alive LEAK_GRACE_S virtual seconds after the test
returned fail it. Exceptions in simulated threads reach threading.excepthook (the harness's)
while that simulated thread runs, so they fail the test as in real mode.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from labrpc import Fate, debug, set_observer
from runtime.sim import RunOutcome, SimulationFailure, Simulator, ensure_fixed_hash_seed, hash_seed_is_fixed
from tests import harness

SIMULATED_DIRS = ("raft", "kvraft", "rsm", "shardctrler", "shardkv")  # under tests/
NATIVE_DIRS = ("runtime",)  # run as usual under --sim
_TESTS_DIR = Path(__file__).resolve().parent
_seed_key = pytest.StashKey[int]()
_seeds_key = pytest.StashKey["list[int] | None"]()  # with --seeds/--seed-count: one item per seed
SEED_FIXTURE = "sim_seed"
# Starts every --seed-markers line; tools/stress.py (SEED_MARKER there) looks for it.
SEED_MARKER = "##py6824-seed "


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("py6824 simulation")
    group.addoption(
        "--sim",
        action="store_true",
        default=False,
        help="run the raft, kvraft, rsm, shardctrler and shardkv tests in deterministic simulation (virtual time)",
    )
    group.addoption(
        "--seed", type=int, default=None, metavar="N", help="the simulation's seed (default: a fresh one, printed)"
    )
    group.addoption(
        "--seeds",
        type=_seed_list,
        default=None,
        metavar="S1,S2,...",
        help="run each simulated test once per seed, each seed its own test item",
    )
    group.addoption(
        "--seed-count",
        type=int,
        default=None,
        metavar="K",
        help="run each simulated test with the K seeds from --seed on (S, S+1, ...)",
    )
    group.addoption(
        "--seed-markers",
        action="store_true",
        default=False,
        help="print a machine-readable line as each test starts and ends (for run_tests.sh)",
    )


def _seed_list(text: str) -> list[int]:
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not seeds:
        raise argparse.ArgumentTypeError("expected at least one seed")
    return seeds


# The options that only mean something under --sim (dest -> flag).
_SIM_ONLY_OPTIONS = {
    "seed": "--seed",
    "seeds": "--seeds",
    "seed_count": "--seed-count",
    "seed_markers": "--seed-markers",
}


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("sim"):
        _refuse_sim_only_options(config)
        return
    if not hash_seed_is_fixed():
        _reexec_with_fixed_hash_seed(config)
    seed = config.getoption("seed")
    config.stash[_seed_key] = seed if seed is not None else random.SystemRandom().randrange(2**32)
    config.stash[_seeds_key] = _session_seeds(config)
    if config.getoption("seed_markers"):
        config.pluginmanager.register(SeedMarkers(config), "py6824-seed-markers")


def _refuse_sim_only_options(config: pytest.Config) -> None:
    """Without --sim, tests run in real time and no seed picks their run: a --seed there
    would be ignored, and a user would believe they replayed a run."""
    given = [flag for dest, flag in _SIM_ONLY_OPTIONS.items() if config.getoption(dest) not in (None, False)]
    if given:
        raise pytest.UsageError(
            f"{' and '.join(given)} need{'s' if len(given) == 1 else ''} --sim "
            f"(a seed picks a simulated run), e.g. pytest --sim --seed N -k NAME"
        )


def _session_seeds(config: pytest.Config) -> list[int] | None:
    """The seeds each simulated test runs with, one item each; None for the single --seed."""
    seeds, count = config.getoption("seeds"), config.getoption("seed_count")
    if seeds is not None and count is not None:
        raise pytest.UsageError("--seeds and --seed-count exclude each other")
    if count is not None:
        if count < 1:
            raise pytest.UsageError("--seed-count: expected a positive number")
        return [config.stash[_seed_key] + i for i in range(count)]
    return seeds


def _reexec_with_fixed_hash_seed(config: pytest.Config) -> None:
    """Start over with PYTHONHASHSEED=0, so set order (and so the trace) is reproducible."""
    capman = config.pluginmanager.getplugin("capturemanager")
    if capman is not None:
        capman.stop_global_capturing()  # give the new process our real stdout/stderr back
    ensure_fixed_hash_seed()


def pytest_report_header(config: pytest.Config) -> str | None:
    if not config.getoption("sim"):
        return None
    seeds = config.stash[_seeds_key]
    hash_seed = f"PYTHONHASHSEED={os.environ.get('PYTHONHASHSEED')}"
    if seeds is not None:
        shown = ", ".join(map(str, seeds[:5])) + (", ..." if len(seeds) > 5 else "")
        return f"py6824 simulation: {len(seeds)} seed(s) per test ({shown}), {hash_seed}"
    seed = config.stash[_seed_key]
    return f"py6824 simulation: seed {seed}, {hash_seed} (replay one test: pytest --sim --seed {seed} -k NAME)"


def _part(item: pytest.Item) -> str | None:
    """'raft', 'kvraft', ... : the folder under tests/ the test lives in."""
    return _part_of(Path(str(item.path)))


def _part_of(path: Path) -> str | None:
    try:
        relative = path.resolve().relative_to(_TESTS_DIR)
    except ValueError:
        return None
    return relative.parts[0] if len(relative.parts) > 1 else None


def is_simulated(item: pytest.Item) -> bool:
    return bool(item.config.getoption("sim")) and _part(item) in SIMULATED_DIRS


@pytest.fixture(autouse=True)
def sim_seed(request: pytest.FixtureRequest) -> int | None:
    """The seed of this test item under --sim: its own with --seeds, else the session's.

    Autouse so that pytest_generate_tests may parametrize it (pytest only parametrizes names
    a test uses); the test functions never see it."""
    if not request.config.getoption("sim"):
        return None
    return getattr(request, "param", request.config.stash[_seed_key])


@pytest.hookimpl(trylast=True)  # last, so [seed=S] ends the test's id even if it has other params
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    seeds = metafunc.config.stash.get(_seeds_key, None)
    if seeds is None or _part_of(Path(str(metafunc.definition.path))) not in SIMULATED_DIRS:
        return
    metafunc.parametrize(SEED_FIXTURE, seeds, ids=[f"seed={s}" for s in seeds])


def replay_nodeid(nodeid: str, seed: int) -> str:
    """The test's id without the [seed=S] that --seeds adds: with --seed S, it replays that seed."""
    if nodeid.endswith(f"[seed={seed}]"):
        return nodeid.removesuffix(f"[seed={seed}]")
    return nodeid.replace(f"-seed={seed}]", "]")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("sim"):
        return
    skip = pytest.mark.skip(
        reason=f"a real-mode test: --sim runs the tests under tests/{{{','.join(SIMULATED_DIRS)}}} "
        "(run it without --sim)"
    )
    for item in items:
        if _part(item) not in SIMULATED_DIRS + NATIVE_DIRS:
            item.add_marker(skip)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not is_simulated(pyfuncitem):
        return None  # pytest's own call
    seed = pyfuncitem.funcargs[SEED_FIXTURE]
    replay = f"pytest --sim --seed {seed} '{replay_nodeid(pyfuncitem.nodeid, seed)}'"
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
            pyfuncitem.add_report_section(
                "call",
                "simulation",
                f"seed {seed}; trace {outcome.trace_hash:016x}; "
                f"{outcome.virtual_s:.1f} virtual s; {outcome.decisions} decisions; "
                f"{outcome.threads_started} threads; replay: {replay}",
            )
    if outcome.leaked:
        leaked = "".join(f"\n  {line}" for line in outcome.leaked)
        pytest.fail(
            f"threads still running {harness.LEAK_GRACE_S:.0f} virtual s after the test's cleanup:"
            f"{leaked}\nreplay: {replay}",
            pytrace=False,
        )
    return True


class SeedMarkers:
    """--seed-markers: one line as each test starts and one as it ends, for run_tests.sh.

    A batch of seeds runs in one process, and the stress runner must tell what each seed did
    even when the process is killed half-way: these lines, in the output stream itself, say
    which seed was running (and so where each seed's own output begins and ends), and, for a
    finished one, its outcome and failure report (captured output is printed by pytest only
    at the end of the session, which a killed process never reaches). Each line is
    SEED_MARKER followed by a JSON object: {"event": "start"|"done", "nodeid", "seed"} and,
    for "done", "outcome" ("passed", "failed" or "skipped") and "report" (text, when failed).
    """

    def __init__(self, config: pytest.Config) -> None:
        self._config = config
        self._failures: dict[str, list[str]] = {}
        self._outcomes: dict[str, str] = {}
        self._sections: dict[str, list[tuple[str, str]]] = {}

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Any:
        seed = item.callspec.params.get(SEED_FIXTURE) if hasattr(item, "callspec") else None
        self._emit({"event": "start", "nodeid": item.nodeid, "seed": seed})
        try:
            return (yield)
        finally:
            nodeid = item.nodeid
            failures = self._failures.pop(nodeid, [])
            sections = self._sections.pop(nodeid, [])
            done = {"event": "done", "nodeid": nodeid, "seed": seed, "outcome": self._outcomes.pop(nodeid, "failed")}
            if failures:
                done["report"] = "\n".join(failures + [f"--- {title} ---\n{text}" for title, text in sections])
            self._emit(done)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Fold the setup, call and teardown reports into the test's outcome."""
        nodeid = report.nodeid
        if report.failed:
            self._outcomes[nodeid] = "failed"
            self._failures.setdefault(nodeid, []).append(f"{report.when} failed:\n{report.longreprtext}")
        elif report.skipped and self._outcomes.get(nodeid) != "failed":
            self._outcomes[nodeid] = "skipped"
        else:
            self._outcomes.setdefault(nodeid, "passed")
        self._sections[nodeid] = list(report.sections)  # each phase's report repeats the earlier ones'

    def _emit(self, record: dict[str, Any]) -> None:
        terminal = self._config.pluginmanager.get_plugin("terminalreporter")
        line = SEED_MARKER + json.dumps(record)
        if terminal is None:
            sys.__stdout__.write(line + "\n")
            sys.__stdout__.flush()
            return
        terminal.write_line(line)
        terminal.flush()


def simulate(
    fn: Callable[[], Any], seed: int, *, keep_trace: bool = False, sim_out: list[Simulator] | None = None
) -> tuple[RunOutcome, Any]:
    """Run fn in a fresh simulation with RPC fates traced; (outcome, fn's result).

    Raises SimulationFailure on a deadlock or livelock, and fn's own exception otherwise.
    """
    _freeze_what_lives_before_the_first_run()
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


_frozen = False


def _freeze_what_lives_before_the_first_run() -> None:
    """Once per process: the objects alive before the first simulated run (modules, pytest's
    items) move to the collector's permanent generation (gc.freeze).

    A seed allocates enough for a full collection or two, and a full collection visits every
    object in the process, though what was alive before the first run (a large part, under
    pytest) outlives the seeds anyway: frozen, it is no longer visited, and a seed's own
    garbage is collected as before. (In basic_3a, about 40 ms of a seed's 2.7 CPU-seconds.)"""
    global _frozen
    if not _frozen:
        gc.collect()  # garbage left so far is collected, not frozen
        gc.freeze()
        _frozen = True


@contextmanager
def _traced_rpcs(sim: Simulator) -> Iterator[None]:
    """Mix every RPC's delivery and fate into the trace hash, through labrpc's observer
    (labrpc.set_observer): a request reaching its server's handler, and what call() returned.
    The scheduling decisions alone would not show the order of deliveries: handler threads
    are pooled, so one thread may run the same steps for either of two requests."""

    def note_rpc(endname: Hashable, servername: Hashable | None, method: str, fate: Fate) -> None:
        sim.note_text("rpc", endname, servername, method, fate.value)

    previous = set_observer(note_rpc)
    try:
        yield
    finally:
        set_observer(previous)


@contextmanager
def _virtual_debug_clock(sim: Simulator) -> Iterator[None]:
    """PY6824_DEBUG lines count milliseconds from debug's import; in simulation, from 0."""
    previous = debug.set_start(sim.now())
    try:
        yield
    finally:
        debug.set_start(previous)
