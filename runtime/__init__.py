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
"""

from __future__ import annotations

import random as _random
import threading as _threading
import time as _time
import weakref as _weakref
from typing import Any, Callable

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
