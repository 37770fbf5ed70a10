"""Deterministic simulation behind the runtime facade: virtual time, one thread at a time.

    sim = Simulator(seed)
    outcome, result = sim.run(test_fn)  # test_fn runs as the root simulated thread
    outcome.trace_hash                  # equal for equal seeds (same code, same PYTHONHASHSEED)

While run() is active, runtime's attributes are the simulator's (runtime.install); every
simulated thread is a greenlet on the calling OS thread, and only one runs at a time. At every
blocking point (lock acquire, condition wait, event wait, sleep, join, thread start and exit)
the running thread asks the scheduler for the next thread, chosen by the seeded generator among
the runnable ones, and switches to its greenlet. (One blocking point is no choice: a condition
wait's taking its lock back; SimCondition.wait says why.) When no thread is runnable the clock jumps to
the earliest timer; when there is no timer either, the run fails as a deadlock naming where
each thread is blocked (a parked greenlet's gr_frame).

Why greenlets: the code under test is ordinary blocking code (labrpc, raft, kvraft, the
course's testers) and must stay so, which rules out generators: each simulated thread needs a
stack of its own, and the standard library's only way to get one is an OS thread. This
simulator used to run each simulated thread on an OS thread parked on a lock of its own,
passing a baton: every blocking point then cost a lock hand-off through the OS scheduler and
the GIL (and the process had to be pinned to one CPU to make that merely slow). A greenlet
switch is a C-level stack switch within one OS thread, so a scheduling decision now costs
about 2 CPU microseconds instead of 10 to 17 (benchmarks/sim_bench.py, "scheduler alone"), and
what a seed costs is mostly the code under test. The price: simulated threads share one OS
thread, so anything keyed by the OS thread (threading.local, threading.current_thread(), a
real lock's owner) is shared by all of them. The facade hands out simulated primitives, so
that matters only for a real lock made outside the simulation (a module-level
runtime.Lock()): it must never be held across a blocking point, or the run hangs, as no
other greenlet may run to release it.

The greenlet that called run() (the *outer* one) only starts the root and tears down: every
simulated greenlet has it as parent, so the root's result or exception comes back there, as
does each thread unwound at teardown. The other threads run on *carrier* greenlets that
outlive them: when a thread ends, its carrier switches to the next thread chosen and waits to
carry a thread that go() starts later (a greenlet's first run is costly; see _idle_carrier).
Everything here runs on one OS thread, so the simulator needs no lock.
"""

from __future__ import annotations

import hashlib
import heapq
import os
import random as _random
import sys
import threading as _threading
import zlib
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from greenlet import getcurrent, greenlet

import runtime

_MASK = (1 << 64) - 1
_RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))

R = TypeVar("R")  # what a test function returns, handed back by Simulator.run

# Virtual CPU time charged for each scheduling decision (a thread's step between two blocking
# points; also at the one blocking point that is no choice, as if it were one). Without it
# computation is free, and a loop that only talks to other threads (a kvraft client on a
# reliable network) would never let virtual time advance; with it, the simulated machine runs
# every thread on one slow CPU. 0 gives pure zero-cost steps.
DEFAULT_STEP_COST_S = 50e-6

# Trace events. A scheduling decision, by far the most frequent, is recorded as the chosen
# thread's ident alone (idents are small); any other event as a marker with the top bit set,
# naming its kind, followed by the kind's fixed number of values: the stream reads back one way.
_PICK, _TIME, _GO, _EXIT, _USER = 1, 2, 3, 4, 5
_MARKER = 1 << 63
# Events are hashed in bulk (blake2b, in C) every this many decisions, rather than one by one
# in Python: the pending array stays small, and recording a decision is one array append.
_FOLD_EVERY = 1 << 16
_FOLD_MASK = _FOLD_EVERY - 1  # decisions & _FOLD_MASK == 0 every _FOLD_EVERY decisions


class SimulationFailure(BaseException):
    """The simulation itself failed: deadlock, livelock or the virtual time limit.

    A BaseException so that the code under test cannot swallow it with ``except Exception``;
    it is raised in the root thread, and runtime blocking calls keep raising it there while
    the test unwinds."""


class _Abort(BaseException):
    """Unwinds a parked simulated thread when the simulation is torn down."""


def stable_hash(text: str) -> int:
    """A hash of text that, unlike hash(), is the same in every process."""
    return zlib.crc32(text.encode("utf-8", "replace"))


class SimThread:
    """A simulated thread: what runtime.go() returns in simulation (join, is_alive, name)."""

    daemon = True

    def __init__(
        self,
        sim: Simulator,
        ident: int,
        name: str,
        fn: Callable[..., Any] | None,
        args: tuple[Any, ...],
        glet: greenlet,
    ) -> None:
        self._sim = sim
        self.ident = ident
        self.name = name
        self._fn = fn
        self._args = args
        self.glet = glet
        self.blocked_on = ""  # what it waits for, while blocked; "" when runnable
        self.blocked = False  # parked in _block until a wake-up (a timer's or a primitive's)
        self.done = False
        self._token = 0  # bumped on every wake-up, so a stale timer entry is ignored
        self._timed_out = False  # how its last wake-up came: by its timer
        self._joiners: list[SimThread] = []

    def join(self, timeout: float | None = None) -> None:
        self._sim.join(self, timeout)

    def is_alive(self) -> bool:
        return not self.done

    def __repr__(self) -> str:
        return f"<SimThread {self.name} #{self.ident}{' done' if self.done else ''}>"


@dataclass
class RunOutcome:
    """What Simulator.run() reports besides the test's own result or exception."""

    seed: int
    trace_hash: int = 0
    virtual_s: float = 0.0
    decisions: int = 0
    threads_started: int = 0
    leaked: list[str] = field(default_factory=list)
    failure: str | None = None


class Simulator:
    """A seeded scheduler, a virtual clock and a timer heap; see the module docstring."""

    def __init__(
        self,
        seed: int,
        *,
        step_cost_s: float = DEFAULT_STEP_COST_S,
        time_limit_s: float = 600.0,
        livelock_decisions: int = 5_000_000,
        keep_trace: bool = False,
    ) -> None:
        self.seed = seed
        self.rng = _random.Random(seed)
        self._pick_random = self.rng.random  # bound once: the scheduler calls it constantly
        self.clock = 0.0
        self.step_cost_s = step_cost_s
        self.time_limit_s = time_limit_s
        self._livelock_decisions = livelock_decisions
        self._decisions_at_this_instant = 0
        self._timers: list[tuple[float, int, SimThread, int]] = []
        # The clock value at which a step must look further than the clock (see _on_alarm):
        # the earliest timer's deadline, or the time limit. One comparison per decision.
        self._alarm_at = time_limit_s
        self._timer_seq = 0
        self._threads: list[SimThread] = []  # alive, in creation order (the root first)
        self._runnable: list[SimThread] = []  # in the order they became runnable: deterministic
        self._next_ident = 0
        self._outer: greenlet | None = None  # run()'s caller: starts the root, tears down
        self.current: SimThread | None = None
        self.root: SimThread | None = None
        self.failure: str | None = None
        self.aborting = False
        self._hasher = hashlib.blake2b((seed & _MASK).to_bytes(8, "little"), digest_size=8)
        self._events = array("Q")  # recorded since the last fold into _hasher
        self._user_events: dict[tuple[Any, ...], tuple[str, int]] = {}  # note_text's parts -> (text, hash)
        self._name_hashes: dict[str, int] = {}  # thread name -> stable_hash(name)
        self._idle_carriers: list[greenlet] = []  # greenlets whose thread ended (_carrier_main)
        self.decisions = 0
        self.threads_started = 0
        self.trace: list[tuple[Any, ...]] | None = [] if keep_trace else None

    # --- the facade's names (runtime.install binds these) ----------------------------------

    def Lock(self) -> SimLock:
        return SimLock(self)

    def Condition(self, lock: SimLock | None = None) -> SimCondition:
        return SimCondition(self, lock)

    def Event(self) -> SimEvent:
        return SimEvent(self)

    def now(self) -> float:
        return self.clock

    def sleep(self, seconds: float) -> None:
        self._check_abort()
        if seconds <= 0:
            self._yield("sleep(0)")
        else:
            self._block("sleep", seconds)

    def go(self, fn: Callable[..., Any], *args: Any, name: str | None = None) -> SimThread:
        self._check_abort()
        ident = self._next_ident
        self._next_ident += 1
        thread = SimThread(self, ident, name or f"sim-thread-{ident}", fn, args, self._idle_carrier())
        self._threads.append(thread)
        self._runnable.append(thread)
        self.threads_started += 1
        self.note(_GO, ident, self._name_hash(thread.name))
        self._yield("go")
        return thread

    def _name_hash(self, name: str) -> int:
        """stable_hash(name), each name hashed once: a few names recur for thousands of threads."""
        known = self._name_hashes.get(name)
        if known is None:
            known = self._name_hashes[name] = stable_hash(name)
        return known

    def _idle_carrier(self) -> greenlet:
        """A greenlet to run a new thread on: one whose last thread ended, or a new one.

        Why reuse: a greenlet's first switch costs some 16 CPU microseconds (it allocates the
        frame stack that every later call on it uses), ten times a switch, and the code under
        test starts a thread per RPC. Which greenlet carries a thread is invisible to the
        scheduler, so reuse changes no run."""
        if self._idle_carriers:
            return self._idle_carriers.pop()
        # The outer greenlet as parent: run() then gets back whatever ends a carrier (teardown,
        # an interrupt), and never a thread's descendant, so no cycle.
        return greenlet(self._carrier_main, parent=self._outer)

    def live_threads(self) -> list[SimThread]:
        return [t for t in self._threads if t is not self.root]

    def current_thread_name(self) -> str:
        return self.current.name if self.current is not None else _threading.current_thread().name

    def join(self, thread: SimThread, timeout: float | None) -> None:
        self._check_abort()
        if thread.done:
            self._yield("join")
            return
        me = self.current
        assert me is not None  # a simulated thread is running: current is None only outside run()
        thread._joiners.append(me)
        if not self._block(f"join({thread.name})", timeout):
            _discard(thread._joiners, me)

    def facade(self) -> dict[str, Any]:
        """The runtime attributes this simulator stands behind (see runtime.install)."""
        rng = self.rng
        return {
            "Lock": self.Lock,
            "Condition": self.Condition,
            "Event": self.Event,
            "sleep": self.sleep,
            "now": self.now,
            "go": self.go,
            "live_threads": self.live_threads,
            "current_thread_name": self.current_thread_name,
            "random": rng.random,
            "randrange": rng.randrange,
            "randint": rng.randint,
            "choice": rng.choice,
            "shuffle": rng.shuffle,
            "randbits": rng.getrandbits,
        }

    # --- running a test --------------------------------------------------------------------

    def run(self, fn: Callable[[], R], *, leak_grace_s: float = 5.0) -> tuple[RunOutcome, R]:
        """Run fn as the root simulated thread, then wait up to leak_grace_s virtual seconds
        for the threads it started, then tear down.

        Returns (outcome, fn's result). fn's exception propagates, after teardown.
        """
        outcome = RunOutcome(seed=self.seed)
        self._outer = getcurrent()
        root = self._make_root(fn, leak_grace_s, outcome)
        runtime.install(self.facade())
        try:
            return outcome, root.glet.switch()  # returns (or raises) when the root's greenlet ends
        finally:
            self.aborting = True
            self._tear_down()
            runtime.uninstall()
            outcome.trace_hash = self.trace_hash
            outcome.virtual_s = self.clock
            outcome.decisions = self.decisions
            outcome.threads_started = self.threads_started
            outcome.failure = self.failure

    def _make_root(self, fn: Callable[[], Any], leak_grace_s: float, outcome: RunOutcome) -> SimThread:
        def root_main() -> Any:
            result = fn()
            outcome.leaked = self._wait_for_threads(leak_grace_s)
            return result

        root = SimThread(self, self._next_ident, "test-main", None, (), greenlet(root_main, parent=self._outer))
        self._next_ident += 1
        self.root = self.current = root
        self._threads.append(root)
        self._runnable.append(root)
        return root

    def _wait_for_threads(self, grace_s: float) -> list[str]:
        """The threads still alive grace_s virtual seconds from now (leaks), each named with
        the line it is blocked on, as a deadlock report names them."""
        deadline = self.clock + grace_s
        # Ask live_threads() afresh after each join: a thread may start another as it ends
        # (a request in flight at cleanup still gets its handler thread).
        while (alive := self.live_threads()) and self.clock < deadline:
            alive[0].join(deadline - self.clock)
        return self._thread_lines(alive)

    def _tear_down(self) -> None:
        """Unwind every simulated thread still alive, one at a time, from the outer greenlet.

        With aborting set, each parked thread, switched to, raises _Abort (the root:
        SimulationFailure) from its blocking call and ends, which switches back here."""
        for thread in list(self._threads):
            if thread.done or thread.glet.dead:
                continue
            self.current = thread
            try:
                thread.glet.switch()
            except BaseException:  # noqa: BLE001 - only the root's (threads report their own)
                pass  # the root is alive here only when run() is already raising (an interrupt)
        self.current = None
        for carrier in self._idle_carriers:
            carrier.throw()  # GreenletExit where it parked: it ends, back here
        self._idle_carriers.clear()

    # --- trace -----------------------------------------------------------------------------

    @property
    def trace_hash(self) -> int:
        """The hash of every event so far (the seed, each decision, timer, start, exit and
        user event, in order): equal for equal runs."""
        self._fold()
        return int.from_bytes(self._hasher.digest(), "little")

    def _fold(self) -> None:
        self._hasher.update(self._events)
        del self._events[:]

    def note(self, kind: int, *values: int) -> None:
        """Mix an event into the trace hash (and keep it, with keep_trace)."""
        self._events.append(_MARKER | kind)
        self._events.extend([v & _MASK for v in values])
        if self.trace is not None:
            self.trace.append((kind, *values))

    def note_text(self, *parts: Any) -> None:
        """Mix a user event (e.g. an RPC's fate) into the trace, by its text."""
        known = self._user_events.get(parts)
        if known is None:  # the same few events recur (one per end, method and fate): hash each once
            text = "|".join(map(str, parts))
            known = self._user_events[parts] = (text, stable_hash(text))
        events = self._events
        events.append(_MARKER | _USER)
        events.append(known[1])
        if self.trace is not None:
            self.trace.append((_USER, known[0]))

    # --- scheduling ------------------------------------------------------------------------
    #
    # A scheduling decision happens at nearly every blocking point, hundreds of thousands per
    # seed, and each costs CPU beside the code under test's: the common case (a thread to
    # choose, a step to charge, no timer due) runs inline in _switch, in one Python frame, and
    # everything rarer (a timer due, the time limit, nothing runnable, no step cost) behind
    # one comparison of the clock with _alarm_at, or in _pick.

    def _check_abort(self) -> None:
        if self.aborting:
            self._raise_abort()

    def _raise_abort(self) -> None:
        if self.current is self.root and self.failure is not None:
            raise SimulationFailure(self.failure)
        raise _Abort()

    def _yield(self, what: str) -> None:
        """A scheduling point where the running thread could go on."""
        if len(self._runnable) > 1:
            self._switch()

    def _block(self, what: str, timeout: float | None) -> bool:
        """Park the running thread until woken; False if its timeout expired first."""
        me = self.current
        assert me is not None  # a simulated thread is running: current is None only outside run()
        me.blocked_on = what
        me.blocked = True
        self._runnable.remove(me)
        if timeout is not None:
            self._set_timer(me, timeout)
        self._switch()
        return not me._timed_out  # set by the wake-up that made it runnable again

    def _set_timer(self, thread: SimThread, timeout: float) -> None:
        """Wake thread after timeout virtual seconds unless woken before (see _wake's token)."""
        deadline = self.clock + max(timeout, 0.0)
        self._timer_seq += 1
        heapq.heappush(self._timers, (deadline, self._timer_seq, thread, thread._token))
        if deadline < self._alarm_at:
            self._alarm_at = deadline

    def _reset_alarm(self) -> None:
        """_alarm_at after the timer heap changed: its earliest deadline or the time limit."""
        timers = self._timers
        self._alarm_at = min(timers[0][0], self.time_limit_s) if timers else self.time_limit_s

    def _wake(self, thread: SimThread, timed_out: bool = False) -> bool:
        """Make a blocked thread runnable; False if it was not blocked.

        A waiter whose timeout fired stays in its primitive's waiter list until it runs and
        removes itself; meanwhile a notify or release must pass it by, hence the check."""
        if not thread.blocked:
            return False
        thread.blocked = False
        thread._token += 1
        thread._timed_out = timed_out
        thread.blocked_on = ""
        self._runnable.append(thread)
        return True

    def _switch(self) -> None:
        """Pick the next thread and switch to it; return when this one is picked again."""
        if self.aborting:
            self._raise_abort()  # never switch while aborting: only the teardown switches then
        runnable = self._runnable
        step = self.step_cost_s
        if runnable and step:  # _pick's common case, inline: see the section's comment
            self.clock = clock = self.clock + step
            failing = clock >= self._alarm_at and self._on_alarm()
            n = len(runnable)
            nxt = runnable[0] if n == 1 else runnable[int(self._pick_random() * n)]
            self.decisions = decisions = self.decisions + 1
            self._events.append(nxt.ident)
            if not decisions & _FOLD_MASK:
                self._fold()
            if self.trace is not None:
                self.trace.append((_PICK, nxt.ident))
            if failing:
                assert self.root is not None  # set by run(), which is where threads are picked
                nxt = self.root  # it raises the failure in the test; the rest wait for teardown
        else:
            nxt = self._pick()
        if nxt is not self.current:
            self.current = nxt
            nxt.glet.switch()
        if self.aborting:
            self._raise_abort()

    def _pick(self) -> SimThread:
        """The next thread to run, by the seed; on a deadlock, the root (to report it)."""
        runnable = self._runnable
        if not runnable and not self._advance_time():
            self._fail(self._deadlock_report())
        if self.aborting:
            assert self.root is not None  # set by run(), which is where threads are picked
            return self.root  # it raises the failure in the test; the rest wait for teardown
        if self.step_cost_s:
            self._charge_step()  # virtual time advances at every decision: no livelock to count
        else:
            self._count_decision_at_this_instant()
        n = len(runnable)
        chosen = runnable[0] if n == 1 else runnable[int(self._pick_random() * n)]
        self.decisions = decisions = self.decisions + 1
        self._events.append(chosen.ident)
        if not decisions & _FOLD_MASK:
            self._fold()
        if self.trace is not None:
            self.trace.append((_PICK, chosen.ident))
        # Aborting now if a timer fired past the time limit, or on a livelock.
        return chosen if not self.aborting else self.root

    def _charge_step(self) -> None:
        """Charge the running thread's step to the clock, waking the threads whose timers it passed."""
        self.clock = clock = self.clock + self.step_cost_s
        if clock >= self._alarm_at:
            self._on_alarm()

    def _on_alarm(self) -> bool:
        """The clock reached _alarm_at: wake the threads whose timers it passed, fail past the
        time limit. Whether the run is failing now."""
        timers = self._timers
        if timers and timers[0][0] <= self.clock:
            self._fire_due_timers()
        if self.clock > self.time_limit_s:
            self._fail_time_limit()
        return self.aborting

    def _step_without_choice(self) -> None:
        """A blocking point where the scheduler has no choice to make (see SimCondition.wait):
        the step is still charged, as at a decision, so that virtual time runs the same."""
        if self.step_cost_s and len(self._runnable) > 1:
            self._charge_step()
            if self.aborting:
                self._raise_abort()

    def _count_decision_at_this_instant(self) -> None:
        """Without a step cost, a busy loop would spin forever at one virtual instant: fail it."""
        self._decisions_at_this_instant += 1
        if self._decisions_at_this_instant > self._livelock_decisions:
            self._fail(
                f"livelock: {self._livelock_decisions} scheduling decisions without virtual time "
                f"advancing (a busy loop?)\n{self._thread_report()}"
            )

    def _fire_due_timers(self) -> None:
        """Wake the threads whose timers the clock has passed."""
        timers = self._timers
        while timers and timers[0][0] <= self.clock:
            _, _, thread, token = heapq.heappop(timers)
            if token == thread._token and not thread.done:
                self.note(_TIME, int(self.clock * 1e9))
                self._wake(thread, timed_out=True)
        self._reset_alarm()

    def _fail_time_limit(self) -> None:
        self._fail(f"virtual time limit of {self.time_limit_s:g} s exceeded\n{self._thread_report()}")

    def _advance_time(self) -> bool:
        """Fire the earliest live timer, moving the clock to it; False if there is none."""
        timers = self._timers
        while timers:
            deadline, _, thread, token = heapq.heappop(timers)
            if token != thread._token or thread.done:
                continue  # the thread was woken otherwise since it set this timer
            self._reset_alarm()
            if deadline > self.clock:
                self.clock = deadline
                self._decisions_at_this_instant = 0
            self.note(_TIME, int(self.clock * 1e9))
            if self.clock > self.time_limit_s:
                self._fail_time_limit()
            self._wake(thread, timed_out=True)
            return True
        self._reset_alarm()
        return False

    def _fail(self, message: str) -> None:
        if self.failure is None:
            self.failure = message
        self.aborting = True

    # --- threads' lives --------------------------------------------------------------------

    def _carrier_main(self, *_switch_args: Any) -> None:
        """A carrier greenlet: runs simulated threads, one after another.

        A thread starts when the scheduler first switches to its carrier (self.current is then
        that thread). When it ends, the carrier parks in _idle_carriers and switches to the
        next thread chosen, until go() hands it a new thread and the scheduler picks that one.
        At teardown it ends instead, back to the outer greenlet, its parent."""
        while True:
            thread = self.current
            assert thread is not None  # the scheduler sets it before switching to a thread
            self._run_thread(thread)
            if self.aborting:
                return
            self.note(_EXIT, thread.ident)
            self._idle_carriers.append(thread.glet)
            nxt = self._pick()
            self.current = nxt
            nxt.glet.switch()

    def _run_thread(self, thread: SimThread) -> None:
        """A simulated thread's life on its carrier, up to its retirement."""
        try:
            if not self.aborting:  # else: torn down before it ever ran
                fn = thread._fn
                assert fn is not None  # only the root has none, and it runs on its own greenlet
                fn(*thread._args)
        except _Abort:
            pass
        except KeyboardInterrupt:
            # Ctrl-C lands in whichever greenlet runs: end the simulation and raise it in
            # run(), to the outer greenlet, the carrier's parent.
            self._fail("interrupted")
            raise
        except BaseException as exc:  # noqa: BLE001 - reported like an uncaught thread exception
            if not self.aborting:
                self._report_exception(thread, exc)
        finally:
            self._retire(thread)

    def _retire(self, thread: SimThread) -> None:
        thread._fn, thread._args = None, ()  # drop the references: the thread is done
        thread.done = True
        self._threads.remove(thread)
        if thread in self._runnable:
            self._runnable.remove(thread)
        for joiner in thread._joiners:
            self._wake(joiner)
        thread._joiners.clear()

    @staticmethod
    def _report_exception(thread: SimThread, exc: BaseException) -> None:
        """As an uncaught exception in a real thread: threading.excepthook, but now, while
        this thread runs, so the report lands at a deterministic point."""
        if isinstance(exc, SystemExit):
            return
        args = _threading.ExceptHookArgs([type(exc), exc, exc.__traceback__, thread])
        _threading.excepthook(args)

    # --- reports ---------------------------------------------------------------------------

    def _deadlock_report(self) -> str:
        return (
            f"deadlock at virtual time {self.clock:.3f} s: every thread is blocked and no timer is pending\n"
            f"{self._thread_report()}"
        )

    def _thread_report(self) -> str:
        return "\n".join(f"  {line}" for line in self._thread_lines(self._threads))

    def _thread_lines(self, threads: list[SimThread]) -> list[str]:
        """'name: what it waits for at file:line' for each thread."""
        lines = []
        for thread in threads:
            # A parked greenlet's frame is where it switched away; the running one's is ours.
            frame = sys._getframe() if thread is self.current else thread.glet.gr_frame
            lines.append(f"{thread.name}: {thread.blocked_on or 'runnable'} at {_where(frame)}")
        return lines


def hash_seed_is_fixed() -> bool:
    """Set iteration order (and so the order threads are started and woken in) follows the
    hash seed, so a seed replays a run exactly only under the same, fixed PYTHONHASHSEED."""
    return os.environ.get("PYTHONHASHSEED", "random") != "random"


def ensure_fixed_hash_seed() -> None:
    """Start this program over with PYTHONHASHSEED=0 unless the hash seed is fixed already
    (see hash_seed_is_fixed). Returns only when it is fixed; otherwise the process is replaced
    by the same command line."""
    if hash_seed_is_fixed():
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], {**os.environ, "PYTHONHASHSEED": "0"})


def _where(frame: Any) -> str:
    """The innermost caller outside runtime/: the blocking call in user code."""
    while frame is not None:
        path = os.path.abspath(frame.f_code.co_filename)
        if not path.startswith(_RUNTIME_DIR):
            return f"{os.path.relpath(path)}:{frame.f_lineno} in {frame.f_code.co_name}"
        frame = frame.f_back
    return "?"


# --- the simulated primitives ------------------------------------------------------------


class SimLock:
    """threading.Lock in simulation. Acquire is a scheduling point; a release hands the lock
    to a waiter chosen by the seed (Go's mutex promises no fairness either)."""

    __slots__ = ("_sim", "_owner", "_waiters")

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim
        self._owner: SimThread | None = None
        self._waiters: list[SimThread] = []

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        sim = self._sim
        if sim.aborting or len(sim._runnable) > 1:  # sim._yield(), inlined: locks are the commonest
            sim._switch()  # blocking point; while aborting, it raises
        if self._owner is None:
            self._owner = sim.current
            return True
        return self._wait(blocking, timeout)

    def __enter__(self) -> bool:
        """acquire() with its defaults, spelled out: ``with lock`` is the commonest blocking call."""
        sim = self._sim
        if sim.aborting or len(sim._runnable) > 1:
            sim._switch()
        if self._owner is None:
            self._owner = sim.current
            return True
        return self._wait(True, -1)

    def _wait(self, blocking: bool, timeout: float) -> bool:
        """Wait for release() to hand the held lock over (if blocking); whether it did."""
        if not blocking:
            return False
        sim = self._sim
        me = sim.current
        assert me is not None  # a simulated thread is running: current is None only outside run()
        self._waiters.append(me)
        holder = self._owner.name if self._owner is not None else "?"
        if sim._block(f"Lock.acquire (held by {holder})", None if timeout < 0 else timeout):
            return True  # release() made us the owner
        _discard(self._waiters, me)
        return False

    def release(self) -> None:
        if self._owner is None:
            if self._sim.aborting:
                return  # unwinding out of a wait that never got the lock back
            raise RuntimeError("release unlocked lock")
        waiters = self._waiters
        while waiters:
            nxt = waiters.pop(0 if len(waiters) == 1 else int(self._sim._pick_random() * len(waiters)))
            if self._sim._wake(nxt):
                self._owner = nxt
                return
        self._owner = None

    def __exit__(self, _type: Any, _value: Any, _traceback: Any) -> None:
        """release(); the with block's exception, if any, passes through."""
        if self._waiters or self._owner is None:
            self.release()
        else:
            self._owner = None  # release()'s common case: held, nobody waiting

    def locked(self) -> bool:
        return self._owner is not None


class SimCondition:
    """threading.Condition in simulation (on a SimLock); waiters are woken in FIFO order."""

    def __init__(self, sim: Simulator, lock: SimLock | None = None) -> None:
        if lock is not None and not isinstance(lock, SimLock):
            raise TypeError(
                f"a simulated Condition needs a simulated Lock, not {type(lock).__name__} "
                "(was the lock made before the simulation started?)"
            )
        self._sim = sim
        self._lock = lock if lock is not None else SimLock(sim)
        self._waiters: list[SimThread] = []
        self.acquire = self._lock.acquire
        self.release = self._lock.release

    def __enter__(self) -> bool:
        return self._lock.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self._lock.__exit__(None, None, None)

    def wait(self, timeout: float | None = None) -> bool:
        sim = self._sim
        if sim.aborting:
            sim._raise_abort()
        lock = self._lock
        if lock._owner is None:
            raise RuntimeError("cannot wait on un-acquired lock")
        me = sim.current
        assert me is not None  # a simulated thread is running: current is None only outside run()
        self._waiters.append(me)
        if lock._waiters:
            lock.release()
        else:
            lock._owner = None  # release()'s common case, inline: nobody waits for the lock
        notified = sim._block("Condition.wait", timeout)
        if not notified:
            _discard(self._waiters, me)
        # Take the lock back with no choice point before: since it was picked to run, this
        # thread has done nothing another could see, so a choice here would only repeat the
        # one that picked it (whichever thread could run first now could have been picked
        # then). If the lock is held, the wait for it is a choice point as always.
        if len(sim._runnable) > 1:
            sim._step_without_choice()
        if lock._owner is None:
            lock._owner = me
        else:
            lock._wait(True, -1)
        return notified

    def wait_for(self, predicate: Callable[[], Any], timeout: float | None = None) -> Any:
        deadline = None if timeout is None else self._sim.clock + timeout
        result = predicate()
        while not result:
            remaining = None if deadline is None else deadline - self._sim.clock
            if remaining is not None and remaining <= 0:
                break
            self.wait(remaining)
            result = predicate()
        return result

    def notify(self, n: int = 1) -> None:
        if self._lock._owner is None and not self._sim.aborting:
            raise RuntimeError("cannot notify on un-acquired lock")
        waiters = self._waiters
        if waiters:
            wake = self._sim._wake
            while n > 0 and waiters:
                if wake(waiters.pop(0)):
                    n -= 1

    def notify_all(self) -> None:
        self.notify(len(self._waiters))


class SimEvent:
    """threading.Event in simulation; wait(timeout) is a sleep that set() cuts short."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim
        self._flag = False
        self._waiters: list[SimThread] = []

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        self._flag = True
        waiters, self._waiters = self._waiters, []
        for thread in waiters:
            self._sim._wake(thread)

    def clear(self) -> None:
        self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        sim = self._sim
        if sim.aborting:
            sim._raise_abort()
        sim._yield("Event.wait")
        if self._flag:
            return True
        if timeout is not None and timeout <= 0:
            return False
        me = sim.current
        assert me is not None  # a simulated thread is running: current is None only outside run()
        self._waiters.append(me)
        if not sim._block("Event.wait", timeout):
            _discard(self._waiters, me)
        return self._flag


def _discard(waiters: list[SimThread], thread: SimThread) -> None:
    """Remove a timed-out waiter, unless a wake-up that passed it by already dropped it."""
    if thread in waiters:
        waiters.remove(thread)
