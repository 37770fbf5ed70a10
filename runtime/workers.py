"""Workers: threads that are reused for short jobs, one running job per thread.

    workers = Workers("S0-rpc")
    workers.run(fn, *args)   fn(*args) on an idle worker, or on a new one if all are busy
    workers.stop()           idle workers exit now, busy ones when their job returns

Why not a new thread per job: starting a thread costs two context switches (Thread.start
waits until the new thread runs), and on a loaded 2-core machine each may wait for a time
slice. A Raft peer sends each RPC on a thread of its own (so a slow or lost one delays
nothing else), and labrpc runs each request's handler on one, hundreds a second; reusing the
threads cut raft_bench's median start-to-apply time by about half. Jobs never queue behind a
busy worker: there is always a thread per running job, as there would be with a thread per
job. Built on the runtime facade, so the simulator runs the same code.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import runtime

_Job = tuple[Callable[..., None], tuple[Any, ...]]


class Workers:
    def __init__(self, name: str) -> None:
        self._name = name  # every worker thread's name
        self._mu = runtime.Lock()
        self._work = runtime.Condition(self._mu)  # notified when a job arrives, and by stop()
        self._jobs: deque[_Job] = deque()  # guarded by _mu, as are the two below
        self._idle = 0  # workers waiting for a job
        self._stopped = False

    def run(self, fn: Callable[..., None], *args: Any) -> None:
        """Run fn(*args) on a thread of its own: an idle worker, or a new one."""
        with self._mu:
            if self._idle > len(self._jobs):  # one idle worker per waiting job, and one for this
                self._jobs.append((fn, args))
                self._work.notify()
                return
        runtime.go(self._serve, (fn, args), name=self._name)

    def start_idle(self) -> None:
        """Start one worker that waits for work, so that even the first job starts at once."""
        runtime.go(self._serve, None, name=self._name)

    def stop(self) -> None:
        """Let idle workers exit, and busy ones once their job returns. A job run after
        stop() still runs, on a thread that exits when it is done."""
        with self._mu:
            self._stopped = True
            self._work.notify_all()

    def _serve(self, job: _Job | None) -> None:
        if job is None:
            job = self._next_job()
        while job is not None:
            fn, args = job
            fn(*args)
            job = self._next_job()

    def _next_job(self) -> _Job | None:
        with self._mu:
            self._idle += 1
            while not self._jobs and not self._stopped:
                self._work.wait()
            self._idle -= 1
            return self._jobs.popleft() if self._jobs else None
