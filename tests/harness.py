"""What every lab's tests share: background failures, leaked threads, shake mode.

Python only prints an exception raised in a background thread, where Go's panic would stop
the test binary; and a thread left running after a test is as much a bug as a leaked
goroutine. The conftest wires these checks around every test:

* an exception in ANY thread during a test fails that test, with the thread's traceback;
* threads started through runtime.go() must be gone within LEAK_GRACE_S after the test's
  cleanup, or the test fails naming them;
* PY6824_SHAKE=1 lowers the interpreter's switch interval, forcing far more thread
  interleavings (a cheap analog of ``go test -race`` for flushing out races).
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from dataclasses import dataclass

import runtime

LEAK_GRACE_S = 5.0
SHAKE_SWITCH_INTERVAL_S = 1e-6


@dataclass
class ThreadFailure:
    thread_name: str
    text: str


class BackgroundFailures:
    """Collects exceptions raised in threads (installed as threading.excepthook)."""

    def __init__(self) -> None:
        self._mu = threading.Lock()
        self._failures: list[ThreadFailure] = []

    def excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        text = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
        name = args.thread.name if args.thread is not None else "<unknown thread>"
        with self._mu:
            self._failures.append(ThreadFailure(name, text))
        sys.stderr.write(f"exception in thread {name}:\n{text}")

    def take(self) -> list[ThreadFailure]:
        with self._mu:
            failures, self._failures = self._failures, []
        return failures


def describe_failures(failures: list[ThreadFailure]) -> str:
    parts = [f"--- exception in background thread {f.thread_name} ---\n{f.text}" for f in failures]
    return f"{len(failures)} background thread(s) raised:\n" + "\n".join(parts)


def wait_for_leaked_threads(before: set[threading.Thread], grace_s: float = LEAK_GRACE_S) -> list[str]:
    """Names of threads started (via runtime.go) since ``before`` that outlive the grace period."""
    deadline = runtime.now() + grace_s
    for thread in runtime.live_threads():
        if thread not in before and thread is not threading.current_thread():
            thread.join(max(0.0, deadline - runtime.now()))
    return sorted(t.name for t in runtime.live_threads() if t not in before)


def shake_requested() -> bool:
    return os.environ.get("PY6824_SHAKE", "") not in ("", "0")


def enable_shake() -> None:
    sys.setswitchinterval(SHAKE_SWITCH_INTERVAL_S)
