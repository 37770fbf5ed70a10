"""The shard controller tester's config (the course's shardctrler/config.go).

    with make_config(n, unreliable) as cfg:      cleanup() on the way out
        ck = cfg.make_client(cfg.all())           a controller Clerk, its ends shuffled
        cfg.shutdown_server(i)  cfg.start_server(i)  cfg.connect_all()  cfg.partition(p1, p2)
        cfg.leader() -> (bool, i)
        cfg.wait_all(threads)                     join the test's goroutines (Go: WaitGroup / channel)

The machinery is kvraft's (kvraft.cluster.Cluster, through the kvraft tester's Config for the
course's 120 s limit, checked at cleanup): only the replicas (ShardCtrler, started without
maxraftstate, as the course's StartServer) and the clerks differ. As the course, there is no
begin/end line: each test prints its own "Test: ... ..." and "  ... Passed".
"""

from __future__ import annotations

from typing import Any

from labrpc import ClientEnd
from raft import Persister
from shardctrler import Clerk, ShardCtrler, start_server
from tests.kvraft.config import Config as KvConfig


class Config(KvConfig):
    def __init__(self, n: int, unreliable: bool) -> None:
        # maxraftstate -1: only kvraft's servers read it; the controller never snapshots.
        super().__init__(n, unreliable, maxraftstate=-1)

    def _start_replica(self, ends: list[ClientEnd], i: int, persister: Persister) -> ShardCtrler:
        return start_server(ends, i, persister)

    def _new_clerk(self, ends: list[ClientEnd]) -> Clerk:
        return Clerk(ends)

    def wait_all(self, threads: list[Any]) -> None:
        """Wait for the test's own threads, within what is left of the 120 s."""
        for thread in threads:
            thread.join(self.remaining())
            if thread.is_alive():
                raise AssertionError("test took longer than 120 seconds")


def make_config(n: int, unreliable: bool) -> Config:
    return Config(n, unreliable)
