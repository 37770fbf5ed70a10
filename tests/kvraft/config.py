"""The kvraft tester's config (the course's kvraft/config.go), on top of kvraft.cluster.

    with make_config(n, unreliable, maxraftstate) as cfg:     cleanup() on the way out
        cfg.begin("Test: one client (3A)")                    prints "Test: ... ..."
        ...                                                   every Cluster method (partition, ...)
        cfg.op()                                              count a clerk operation
        cfg.end()                                             prints "  ... Passed --  ..."

As the course: 120 s of real time per test (checked at end() and cleanup()), and the
"Passed" line gives seconds, peers, RPCs sent into the network (clerks' included) and clerk
operations made through the test's wrappers.
"""

from __future__ import annotations

import os
from types import TracebackType

import runtime
from kvraft.cluster import Cluster

TEST_TIME_LIMIT_S = 120.0

_warned_one_cpu = False


class Config(Cluster):
    def __init__(self, n: int, unreliable: bool, maxraftstate: int) -> None:
        global _warned_one_cpu
        if not _warned_one_cpu and (os.cpu_count() or 1) < 2:
            print("warning: only one CPU, which may conceal locking bugs")
            _warned_one_cpu = True
        self.start = runtime.now()  # when the config was made, for the 120 s limit
        self._ops_mu = runtime.Lock()
        self.ops = 0  # clerk get/put/append calls since begin(); guarded by _ops_mu
        self.t0 = self.start  # when begin() was called
        self.rpcs0 = 0  # rpc_total() at begin()
        super().__init__(n, unreliable, maxraftstate)

    def __enter__(self) -> Config:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cleanup(check=exc_type is None)

    def check_timeout(self) -> None:
        """Enforce the course's two-minute real-time limit on each test."""
        if runtime.now() - self.start > TEST_TIME_LIMIT_S:
            raise AssertionError(f"test took longer than {TEST_TIME_LIMIT_S:.0f} seconds")

    def remaining(self) -> float:
        """Seconds left of the 120 s budget; waits use it so a stuck test fails, not hangs."""
        return max(0.0, TEST_TIME_LIMIT_S - (runtime.now() - self.start))

    def cleanup(self, check: bool = True) -> None:
        super().cleanup()
        if check:  # a test that already failed keeps its own error
            self.check_timeout()

    def begin(self, description: str) -> None:
        print(f"{description} ...", flush=True)
        self.t0 = runtime.now()
        self.rpcs0 = self.rpc_total()
        with self._ops_mu:
            self.ops = 0

    def op(self) -> None:
        with self._ops_mu:
            self.ops += 1

    def end(self) -> None:
        """The test got here, so it passed: print the figures."""
        self.check_timeout()
        seconds = runtime.now() - self.t0  # real time
        nrpc = self.rpc_total() - self.rpcs0  # RPCs sent, clerks' included
        with self._ops_mu:
            ops = self.ops  # clerk get/put/append calls
        print("  ... Passed --", end="")
        print(f"  {seconds:4.1f}  {self.n} {nrpc:5d} {ops:4d}", flush=True)


def make_config(n: int, unreliable: bool, maxraftstate: int) -> Config:
    return Config(n, unreliable, maxraftstate)
