"""The runtime facade: the one door to threads, locks, time and randomness.

labrpc, raft, kvraft and their test harnesses never touch ``threading``, ``time`` or
``random`` directly; they go through this module, so that a deterministic simulator can
later stand behind the same names and run the same code in virtual time from a seed.

Cheat sheet (real mode: each name IS the standard object, no wrapper, no overhead):

    runtime.go(fn, *args, name=...)  start a daemon thread running fn(*args) (Go's ``go``)
    runtime.Lock()                   a mutex (threading.Lock); no RLock, by design
    runtime.Condition(lock)          a condition variable on that mutex
    runtime.Event()                  a one-shot flag; ``wait(timeout)`` doubles as a cancellable sleep
    runtime.sleep(seconds)           sleep
    runtime.now()                    monotonic seconds, for deadlines and durations only
    runtime.random() / randrange(n) / randint(a, b) / choice(seq) / shuffle(seq) / randbits(k)

Import the module and look names up at call time (``runtime.Lock()``), never
``from runtime import Lock``: a simulator swaps the module's attributes, and a name copied
at import time would keep the real one.

Simulation: runtime/sim.py's Simulator stands behind these same names while its run() is
active (install() rebinds them, uninstall() restores the standard objects): virtual time,
one thread at a time, every choice from one seed. ``pytest --sim [--seed N]`` runs the raft
and kvraft tests that way (tests/sim_plugin.py). Objects made before a simulation starts
(module-level locks) stay real: fine for a lock held only briefly, never for a Condition.
"""

from __future__ import annotations

import random as _random
import threading as _threading
import time as _time
import weakref as _weakref
from collections.abc import Callable
from typing import Any

Lock = _threading.Lock
Condition = _threading.Condition
Event = _threading.Event
sleep = _time.sleep
now = _time.monotonic

_rng = _random.Random()
random = _rng.random
randrange = _rng.randrange
randint = _rng.randint
choice = _rng.choice
shuffle = _rng.shuffle
randbits = _rng.getrandbits

# Every thread started through go(), so the test harness can tell which threads a test
# left behind (our analog of a goroutine leak). Weak, so finished threads just vanish.
_started: _weakref.WeakSet[_threading.Thread] = _weakref.WeakSet()
_started_mu = _threading.Lock()


def go(fn: Callable[..., Any], *args: Any, name: str | None = None) -> _threading.Thread:
    """Run fn(*args) on a new daemon thread, like Go's ``go`` statement."""
    thread = _threading.Thread(target=fn, args=args, name=name, daemon=True)
    with _started_mu:
        _started.add(thread)
    thread.start()
    return thread


def live_threads() -> list[_threading.Thread]:
    """Threads started by go() that are still running (racy: a snapshot)."""
    with _started_mu:
        return [t for t in _started if t.is_alive()]


def current_thread_name() -> str:
    return _threading.current_thread().name


# --- simulation (runtime/sim.py) ------------------------------------------------------------
# The names a simulator stands behind. install() rebinds them; uninstall() restores the
# standard objects above, so real mode never pays for the possibility.
_SWAPPABLE = (
    "Lock",
    "Condition",
    "Event",
    "sleep",
    "now",
    "go",
    "live_threads",
    "current_thread_name",
    "random",
    "randrange",
    "randint",
    "choice",
    "shuffle",
    "randbits",
)
_REAL: dict[str, Any] = {name: globals()[name] for name in _SWAPPABLE}
_installed = False


def install(names: dict[str, Any]) -> None:
    """Rebind the facade's names (a runtime.sim.Simulator's facade()); one at a time."""
    global _installed
    if _installed:
        raise RuntimeError("runtime: a simulation is already installed")
    unknown = set(names) - set(_SWAPPABLE)
    if unknown:
        raise ValueError(f"runtime: not facade names: {sorted(unknown)}")
    globals().update(names)
    _installed = True


def uninstall() -> None:
    """Back to the standard objects."""
    global _installed
    globals().update(_REAL)
    _installed = False


def simulated() -> bool:
    """Whether a simulation is installed (for harness code that must behave differently)."""
    return _installed
