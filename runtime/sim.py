"""Deterministic simulation behind the runtime facade: virtual time, one thread at a time.

    sim = Simulator(seed)
    outcome = sim.run(test_fn)        # test_fn runs on the calling thread, as the root
    outcome.trace_hash                # equal for equal seeds (same code, same PYTHONHASHSEED)

While run() is active, runtime's attributes are the simulator's (runtime.install); every
simulated thread is a real OS thread, but only the one holding the *baton* runs: all others
are parked on their own real lock. At every blocking point (lock acquire, condition wait,
event wait, sleep, join, thread start and exit) the running thread asks the scheduler for the
next thread, chosen by the seeded generator among the runnable ones, and hands it the baton.
When no thread is runnable the clock jumps to the earliest timer; when there is no timer
either, the run fails as a deadlock naming where each thread is blocked.

Why real threads and not generators or greenlets: the code under test is ordinary blocking
code (labrpc, raft, kvraft, the course's testers) and must stay so; and the standard library
has no way to switch stacks other than OS threads. A handoff costs one lock release and one
acquire (a few microseconds), which is why finished threads go back to a pool rather than
exit: raft starts a thread per RPC. It is that cheap only when both threads share one CPU: a
handoff across CPUs wakes the other core, and the woken thread then waits for the GIL on the
way in, so run() pins the process's threads to a single CPU for the run (see _pinned_to_one_cpu:
three times faster on the kvraft tests, and only one thread runs at a time anyway).

Everything here is touched only by the baton holder, so the simulator needs no lock of its
own; the real locks below are only the parking spots.
"""

from __future__ import annotations

import heapq
import os
import random as _random
import sys
import threading as _threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable

import runtime

_MASK = (1 << 64) - 1
_FNV_PRIME = 0x100000001B3
_RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))
_THREADING_FILE = os.path.abspath(_threading.__file__)

# Virtual CPU time charged for each scheduling decision (a thread's step between two blocking
# points). Without it computation is free, and a loop that only talks to other threads (a
# kvraft client on a reliable network) would never let virtual time advance; with it, the
# simulated machine runs every thread on one slow CPU. 0 gives pure zero-cost steps.
DEFAULT_STEP_COST_S = 50e-6

# Trace event kinds, mixed into the hash with their values.
_PICK, _TIME, _GO, _EXIT, _USER = 1, 2, 3, 4, 5


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


class _Worker:
    """A real OS thread that runs simulated threads, one after another (a pool member)."""

    __slots__ = ("park", "task", "os_thread")

    def __init__(self) -> None:
        self.park = _threading.Lock()
        self.park.acquire()  # acquired = parked; whoever passes us the baton releases it
        self.task: SimThread | None = None
        self.os_thread: _threading.Thread | None = None


class SimThread:
    """A simulated thread: what runtime.go() returns in simulation (join, is_alive, name)."""

    daemon = True

    def __init__(self, sim: Simulator, ident: int, name: str, fn: Callable[..., Any] | None,
                 args: tuple[Any, ...], worker: _Worker) -> None:
        self._sim = sim
        self.ident = ident
        self.name = name
        self._fn = fn
        self._args = args
        self._worker = worker
        self.blocked_on = ""  # what it waits for, while blocked; "" when runnable
        self.blocked = False  # parked in _block until a wake-up (a timer's or a primitive's)
        self.done = False
        self._token = 0  # bumped on every wake-up, so a stale timer entry is ignored
        self._timed_out = False
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

    def __init__(self, seed: int, *, step_cost_s: float = DEFAULT_STEP_COST_S, time_limit_s: float = 600.0,
                 livelock_decisions: int = 5_000_000, keep_trace: bool = False) -> None:
        self.seed = seed
        self.rng = _random.Random(seed)
        self._pick_random = self.rng.random  # bound once: the scheduler calls it constantly
        self.clock = 0.0
        self.step_cost_s = step_cost_s
        self.time_limit_s = time_limit_s
        self._livelock_decisions = livelock_decisions
        self._decisions_at_this_instant = 0
        self._timers: list[tuple[float, int, SimThread, int]] = []
        self._timer_seq = 0
        self._threads: list[SimThread] = []  # alive, in creation order (the root first)
        self._runnable: list[SimThread] = []  # in the order they became runnable: deterministic
        self._idle_workers: list[_Worker] = []
        self._all_workers: list[_Worker] = []
        self._next_ident = 0
        self.current: SimThread | None = None
        self.root: SimThread | None = None
        self.failure: str | None = None
        self.aborting = False
        self._teardown_step = _threading.Lock()
        self._teardown_step.acquire()
        self.trace_hash = seed & _MASK
        self.decisions = 0
        self.threads_started = 0
        self.trace: list[tuple[Any, ...]] | None = [] if keep_trace else None

    # --- the facade's names (runtime.install binds these) ----------------------------------

    def Lock(self) -> SimLock:  # noqa: N802 - the facade's name
        return SimLock(self)

    def Condition(self, lock: SimLock | None = None) -> SimCondition:  # noqa: N802
        return SimCondition(self, lock)

    def Event(self) -> SimEvent:  # noqa: N802
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
        worker = self._idle_workers.pop() if self._idle_workers else self._new_worker()
        thread = SimThread(self, ident, name or f"sim-thread-{ident}", fn, args, worker)
        worker.task = thread
        self._threads.append(thread)
        self._runnable.append(thread)
        self.threads_started += 1
        self.note(_GO, ident, stable_hash(thread.name))
        self._yield("go")
        return thread

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
        thread._joiners.append(me)
        if not self._block(f"join({thread.name})", timeout):
            _discard(thread._joiners, me)

    def facade(self) -> dict[str, Any]:
        """The runtime attributes this simulator stands behind (see runtime.install)."""
        rng = self.rng
        return {
            "Lock": self.Lock, "Condition": self.Condition, "Event": self.Event,
            "sleep": self.sleep, "now": self.now, "go": self.go,
            "live_threads": self.live_threads, "current_thread_name": self.current_thread_name,
            "random": rng.random, "randrange": rng.randrange, "randint": rng.randint,
            "choice": rng.choice, "shuffle": rng.shuffle, "randbits": rng.getrandbits,
        }

    # --- running a test --------------------------------------------------------------------

    def run(self, fn: Callable[[], Any], *, leak_grace_s: float = 5.0) -> tuple[RunOutcome, Any]:
        """Run fn as the root simulated thread on the calling thread, then wait up to
        leak_grace_s virtual seconds for the threads it started, then tear down.

        Returns (outcome, fn's result). fn's exception propagates, after teardown.
        """
        self._adopt_root()
        runtime.install(self.facade())
        outcome = RunOutcome(seed=self.seed)
        with _pinned_to_one_cpu():
            try:
                result = fn()
                outcome.leaked = self._wait_for_threads(leak_grace_s)
                return outcome, result
            finally:
                self.aborting = True
                self._tear_down()
                runtime.uninstall()
                outcome.trace_hash = self.trace_hash
                outcome.virtual_s = self.clock
                outcome.decisions = self.decisions
                outcome.threads_started = self.threads_started
                outcome.failure = self.failure

    def _adopt_root(self) -> None:
        worker = _Worker()
        worker.os_thread = _threading.current_thread()
        root = SimThread(self, self._next_ident, "test-main", None, (), worker)
        self._next_ident += 1
        self.root = self.current = root
        self._threads.append(root)
        self._runnable.append(root)

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
        """Unwind every simulated thread still alive, one at a time, then retire the pool.

        Called by the root with aborting set: each parked thread, given the baton, raises
        _Abort from its blocking call and exits; a real lock tells us it is gone.
        """
        for thread in self.live_threads():
            if thread.done:
                continue
            self.current = thread
            thread._worker.park.release()
            if not self._teardown_step.acquire(timeout=10.0):
                sys.stderr.write(f"sim: thread {thread.name} did not unwind within 10 s\n")
        self.current = None
        for worker in self._all_workers:
            if worker.task is None:
                worker.park.release()  # an idle worker wakes with no task and exits
        for worker in self._all_workers:
            if worker.os_thread is not None and worker.task is None:
                worker.os_thread.join(timeout=5.0)

    # --- trace -----------------------------------------------------------------------------

    def note(self, kind: int, *values: int) -> None:
        """Mix an event into the trace hash (and keep it, with keep_trace)."""
        h = self.trace_hash
        for v in (kind, *values):
            h = ((h ^ (v & _MASK)) * _FNV_PRIME) & _MASK
        self.trace_hash = h
        if self.trace is not None:
            self.trace.append((kind, *values))

    def note_text(self, *parts: Any) -> None:
        """Mix a user event (e.g. an RPC's fate) into the trace, by its text."""
        text = "|".join(str(p) for p in parts)
        self.note(_USER, stable_hash(text))
        if self.trace is not None:
            self.trace[-1] = (_USER, text)

    # --- scheduling ------------------------------------------------------------------------

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
        me.blocked_on = what
        me.blocked = True
        me._timed_out = False
        self._runnable.remove(me)
        if timeout is not None:
            self._timer_seq += 1
            heapq.heappush(self._timers, (self.clock + max(timeout, 0.0), self._timer_seq, me, me._token))
        self._switch()
        return not me._timed_out

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
        """Pick the next thread and hand it the baton; return when we hold it again."""
        me = self.current
        nxt = self._pick()
        if nxt is not me:
            self.current = nxt
            nxt._worker.park.release()
            me._worker.park.acquire()
        if self.aborting:
            self._raise_abort()

    def _pick(self) -> SimThread:
        """The next thread to run, by the seed; on a deadlock, the root (to report it)."""
        if not self._runnable and not self._advance_time():
            self._fail(self._deadlock_report())
        if self.aborting:
            return self.root  # it raises the failure in the test; the rest wait for teardown
        if self.step_cost_s:
            self._charge_step()
        runnable = self._runnable
        n = len(runnable)
        chosen = runnable[0] if n == 1 else runnable[int(self._pick_random() * n)]
        self.decisions += 1
        self._decisions_at_this_instant += 1
        if self._decisions_at_this_instant > self._livelock_decisions:
            self._fail(f"livelock: {self._livelock_decisions} scheduling decisions without virtual time "
                       f"advancing (a busy loop?)\n{self._thread_report()}")
            return self.root
        # note(_PICK, chosen.ident), inlined: this runs at every decision.
        h = ((self.trace_hash ^ _PICK) * _FNV_PRIME) & _MASK
        self.trace_hash = ((h ^ chosen.ident) * _FNV_PRIME) & _MASK
        if self.trace is not None:
            self.trace.append((_PICK, chosen.ident))
        return chosen if not self.aborting else self.root

    def _charge_step(self) -> None:
        """Advance the clock by one step's cost, waking the threads whose timers it passed."""
        self.clock += self.step_cost_s
        self._decisions_at_this_instant = 0
        timers = self._timers
        while timers and timers[0][0] <= self.clock:
            _, _, thread, token = heapq.heappop(timers)
            if token == thread._token and not thread.done:
                self.note(_TIME, int(self.clock * 1e9))
                self._wake(thread, timed_out=True)
        if self.clock > self.time_limit_s:
            self._fail(f"virtual time limit of {self.time_limit_s:g} s exceeded\n{self._thread_report()}")

    def _advance_time(self) -> bool:
        """Fire the earliest live timer, moving the clock to it; False if there is none."""
        timers = self._timers
        while timers:
            deadline, _, thread, token = heapq.heappop(timers)
            if token != thread._token or thread.done:
                continue  # the thread was woken otherwise since it set this timer
            if deadline > self.clock:
                self.clock = deadline
                self._decisions_at_this_instant = 0
            self.note(_TIME, int(self.clock * 1e9))
            if self.clock > self.time_limit_s:
                self._fail(f"virtual time limit of {self.time_limit_s:g} s exceeded\n{self._thread_report()}")
            self._wake(thread, timed_out=True)
            return True
        return False

    def _fail(self, message: str) -> None:
        if self.failure is None:
            self.failure = message
        self.aborting = True

    # --- threads' lives --------------------------------------------------------------------

    def _new_worker(self) -> _Worker:
        worker = _Worker()
        worker.os_thread = _threading.Thread(target=self._worker_main, args=(worker,), daemon=True,
                                             name=f"sim-worker-{len(self._all_workers)}")
        self._all_workers.append(worker)
        worker.os_thread.start()  # it parks at once, until handed the baton
        return worker

    def _worker_main(self, worker: _Worker) -> None:
        while True:
            worker.park.acquire()
            thread = worker.task
            if thread is None:
                return  # retired at teardown
            self._run_thread(thread)
            worker.task = None
            if self.aborting:
                self._teardown_step.release()  # the root, tearing down, waits for this
                if self.current is None:
                    return
                continue
            self._idle_workers.append(worker)
            self._exit_switch(thread)

    def _run_thread(self, thread: SimThread) -> None:
        try:
            if self.aborting:
                return  # torn down before it ever ran
            thread._fn(*thread._args)
        except _Abort:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported like an uncaught thread exception
            if not self.aborting:
                self._report_exception(thread, exc)
        finally:
            thread._fn = thread._args = None
            thread.done = True
            self._threads.remove(thread)
            if thread in self._runnable:
                self._runnable.remove(thread)
            for joiner in thread._joiners:
                self._wake(joiner)
            thread._joiners.clear()

    def _exit_switch(self, thread: SimThread) -> None:
        """Hand the baton on from a thread that just finished (its worker then parks)."""
        self.note(_EXIT, thread.ident)
        nxt = self._pick()
        self.current = nxt
        nxt._worker.park.release()

    @staticmethod
    def _report_exception(thread: SimThread, exc: BaseException) -> None:
        """As an uncaught exception in a real thread: threading.excepthook, but now, while
        this thread holds the baton, so the report lands at a deterministic point."""
        if isinstance(exc, SystemExit):
            return
        args = _threading.ExceptHookArgs([type(exc), exc, exc.__traceback__, thread])
        _threading.excepthook(args)

    # --- reports ---------------------------------------------------------------------------

    def _deadlock_report(self) -> str:
        return (f"deadlock at virtual time {self.clock:.3f} s: every thread is blocked and no timer is pending\n"
                f"{self._thread_report()}")

    def _thread_report(self) -> str:
        return "\n".join(f"  {line}" for line in self._thread_lines(self._threads))

    @staticmethod
    def _thread_lines(threads: list[SimThread]) -> list[str]:
        """'name: what it waits for at file:line' for each thread."""
        frames = sys._current_frames()  # noqa: SLF001 - where each parked OS thread stands
        lines = []
        for thread in threads:
            os_thread = thread._worker.os_thread
            frame = frames.get(os_thread.ident) if os_thread is not None else None
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


@contextmanager
def _pinned_to_one_cpu() -> Iterator[None]:
    """Run the calling thread, and the workers it starts meanwhile, on one CPU.

    Threads inherit their creator's affinity, and every worker is started by a simulated
    thread, so pinning the root pins them all. The CPU is the one the root is on now (a
    stress run gives each process its own CPU, and then there is nothing to choose). Where
    affinity cannot be set (not Linux), the run is only slower."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    allowed = os.sched_getaffinity(0)
    if len(allowed) > 1:
        os.sched_setaffinity(0, {_current_cpu(allowed)})
    try:
        yield
    finally:
        if len(allowed) > 1:
            os.sched_setaffinity(0, allowed)


def _current_cpu(allowed: set[int]) -> int:
    """The CPU the calling thread last ran on (field 39 of its stat), if it is an allowed one."""
    try:
        with open("/proc/thread-self/stat", encoding="ascii") as stat:
            cpu = int(stat.read().rpartition(")")[2].split()[36])
    except (OSError, ValueError, IndexError):
        return min(allowed)
    return cpu if cpu in allowed else min(allowed)


def _where(frame: Any) -> str:
    """The innermost caller outside runtime/ and threading: the blocking call in user code."""
    while frame is not None:
        path = os.path.abspath(frame.f_code.co_filename)
        if not path.startswith(_RUNTIME_DIR) and path != _THREADING_FILE:
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
        if sim.aborting:
            sim._raise_abort()
        sim._yield("Lock.acquire")
        if self._owner is None:
            self._owner = sim.current
            return True
        if not blocking:
            return False
        me = sim.current
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

    def locked(self) -> bool:
        return self._owner is not None

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()


class SimCondition:
    """threading.Condition in simulation (on a SimLock); waiters are woken in FIFO order."""

    def __init__(self, sim: Simulator, lock: SimLock | None = None) -> None:
        if lock is not None and not isinstance(lock, SimLock):
            raise TypeError(f"a simulated Condition needs a simulated Lock, not {type(lock).__name__} "
                            "(was the lock made before the simulation started?)")
        self._sim = sim
        self._lock = lock if lock is not None else SimLock(sim)
        self._waiters: list[SimThread] = []
        self.acquire = self._lock.acquire
        self.release = self._lock.release

    def __enter__(self) -> bool:
        return self._lock.acquire()

    def __exit__(self, *exc: Any) -> None:
        self._lock.release()

    def wait(self, timeout: float | None = None) -> bool:
        sim = self._sim
        if sim.aborting:
            sim._raise_abort()
        if self._lock._owner is None:
            raise RuntimeError("cannot wait on un-acquired lock")
        me = sim.current
        self._waiters.append(me)
        self._lock.release()
        notified = sim._block("Condition.wait", timeout)
        if not notified:
            _discard(self._waiters, me)
        self._lock.acquire()
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
        while n > 0 and waiters:
            if self._sim._wake(waiters.pop(0)):
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
        self._waiters.append(me)
        if not sim._block("Event.wait", timeout):
            _discard(self._waiters, me)
        return self._flag


def _discard(waiters: list[SimThread], thread: SimThread) -> None:
    """Remove a timed-out waiter, unless a wake-up that passed it by already dropped it."""
    if thread in waiters:
        waiters.remove(thread)
