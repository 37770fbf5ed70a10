"""The shardkv tester's config (the course's shardkv/config.go), on top of shardkv.cluster.

Cheat sheet (the course's names in snake_case):

    with make_config(n, unreliable, maxraftstate) as cfg:   cleanup() on the way out
        cfg.begin("Test: static shards ...")       print the course's header line
        ...                                        every Cluster method: make_client, join(gi),
                                                   joinm, leave, leavem, shutdown_group(gi),
                                                   start_group, shutdown_server(gi, i), start_server,
                                                   cfg.mck (the tester's own controller clerk)
        cfg.checklogs()                            Raft state <= 8 x maxraftstate; no snapshot if -1
        cfg.end()                                  print "  ... Passed"

The controllers, groups, network and clerks are shardkv.cluster.Cluster's (shared with
``python -m shardkv``); this module adds what only a test needs.

The 120 s limit per test is the course's, checked at cleanup. Deviation: the course's clerks
retry forever, so a stuck Go test hangs until cleanup never comes; here a watchdog closes
every clerk (the tester's controller clerk too) once 120 s have passed, and the operation
that was stuck fails the test with the course's "test took longer than 120 seconds".
"""

from __future__ import annotations

import os
from types import TracebackType

import runtime
from labrpc import debug
from shardctrler.client import ClerkClosed
from shardkv.cluster import Cluster
from tests.raft.config import fatal

TEST_TIME_LIMIT_S = 120.0

_warned_one_cpu = False


class Config(Cluster):
    def __init__(self, n: int, unreliable: bool, maxraftstate: int) -> None:
        global _warned_one_cpu
        if not _warned_one_cpu and (os.cpu_count() or 1) < 2:
            print("warning: only one CPU, which may conceal locking bugs")
            _warned_one_cpu = True
        self.start = runtime.now()  # for the 120 s limit
        # Set once the 120 s have passed and the watchdog closed every clerk.
        self.expired = runtime.Event()
        self._finished = runtime.Event()  # cleanup() ran: the watchdog may stop
        super().__init__(n, unreliable, maxraftstate)
        runtime.go(self._watchdog, name="shardkv-test-watchdog")

    def __enter__(self) -> Config:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cleanup(check=exc_type is None)
        if exc_type is ClerkClosed and self.expired.is_set():
            raise AssertionError(f"test took longer than {TEST_TIME_LIMIT_S:.0f} seconds") from exc

    # --- time ------------------------------------------------------------------------------

    def check_timeout(self) -> None:
        """Enforce the course's two-minute real-time limit on each test."""
        if runtime.now() - self.start > TEST_TIME_LIMIT_S:
            fatal(f"test took longer than {TEST_TIME_LIMIT_S:.0f} seconds")

    def remaining(self) -> float:
        """Seconds left of the 120 s budget."""
        return max(0.0, TEST_TIME_LIMIT_S - (runtime.now() - self.start))

    def _watchdog(self) -> None:
        if self._finished.wait(self.remaining()):
            return
        debug.log("TEST", "120 s are up: closing every clerk")
        self.expired.set()
        self.close_clerks()

    def begin(self, description: str) -> None:
        """The course's tests print their own header, "Test: ... ..." (shardkv has no begin())."""
        print(description, flush=True)

    def end(self) -> None:
        self.check_timeout()
        print("  ... Passed", flush=True)

    # --- checks ----------------------------------------------------------------------------

    def checklogs(self) -> None:
        """Every server's persisted Raft state within 8 x maxraftstate; no snapshot at all if
        maxraftstate is -1."""
        for gg in self.groups:
            for persister in gg.saved:
                if persister is None:
                    continue
                raft_size = persister.raft_state_size()
                snap = persister.read_snapshot()
                if self.maxraftstate >= 0 and raft_size > 8 * self.maxraftstate:
                    fatal(f"persister.RaftStateSize() {raft_size}, but maxraftstate {self.maxraftstate}")
                if self.maxraftstate < 0 and len(snap) > 0:
                    fatal("maxraftstate is -1, but snapshot is non-empty!")

    # --- the end ---------------------------------------------------------------------------

    def cleanup(self, check: bool = True) -> None:
        """Cluster.cleanup, after stopping the watchdog; then the 120 s check."""
        self._finished.set()
        super().cleanup()
        if check:  # a test that already failed keeps its own error
            self.check_timeout()


def make_config(n: int, unreliable: bool, maxraftstate: int) -> Config:
    return Config(n, unreliable, maxraftstate)
