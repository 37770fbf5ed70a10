"""A kvraft cluster on the simulated network: n replicas, clerks, partitions and crashes.

The machinery of the course's kvraft/config.go without the test bookkeeping, so that the
tester (tests/kvraft/config.py) and ``python -m kvraft`` drive the same code:

    cluster = Cluster(n, unreliable, maxraftstate)    every server started and connected
    cluster.make_client(to) -> Clerk                  ends to all servers, enabled only to ``to``
    cluster.partition(p1, p2)   cluster.connect_all()   cluster.make_partition() -> (p1, p2)
    cluster.shutdown_server(i)  cluster.start_server(i)  (a crash and a restart from the saved state)
    cluster.leader() -> (bool, i)   cluster.log_size()  cluster.snapshot_size()
    cluster.cleanup()                                 kill servers, close clerks, stop the network

Every method that changes the network logs a TEST line (PY6824_DEBUG=TEST).

Other services on Raft (the shard controller's tester) subclass Cluster and override
_start_replica() and _new_clerk(): a replica needs only ``rf`` and ``kill()``, a clerk ``close()``.
"""

from __future__ import annotations

from typing import Any

import runtime
from kvraft.client import Clerk
from kvraft.server import start_kv_server
from labrpc import ClientEnd, Network, Server, Service, debug
from raft import Persister


def _random_endname() -> str:
    """A fresh end name; random, as the course's randstring(20), so ends of a crashed
    server's former life are never reused."""
    return f"{runtime.randbits(96):024x}"


def random_handles(ends: list[ClientEnd]) -> list[ClientEnd]:
    """The ends in random order, so clerks cannot rely on server i being servers[i]."""
    shuffled = list(ends)
    runtime.shuffle(shuffled)
    return shuffled


class Cluster:
    def __init__(self, n: int, unreliable: bool, maxraftstate: int) -> None:
        self.mu = runtime.Lock()  # guards the tables below (not the servers themselves)
        self.net = Network()
        self.n = n
        self.replicas: list[Any | None] = [None] * n  # the running servers (KVServer), None if down
        self.saved: list[Persister | None] = [None] * n  # the persister each server uses (or will)
        self.endnames: list[list[str] | None] = [None] * n  # endnames[i][j]: server i's end to j
        self.clerks: dict[Any, list[str]] = {}  # each clerk's end names, by server
        self.maxraftstate = maxraftstate
        for i in range(n):
            self.start_server(i)
        self.connect_all()
        # Only now, as the course: the servers start on a reliable network.
        self.net.reliable(not unreliable)

    # --- sizes ------------------------------------------------------------------------------

    def log_size(self) -> int:
        """Largest Raft state among the servers' persisters."""
        return max(p.raft_state_size() for p in self.saved if p is not None)

    def snapshot_size(self) -> int:
        """Largest snapshot among the servers' persisters."""
        return max(p.snapshot_size() for p in self.saved if p is not None)

    def rpc_total(self) -> int:
        return self.net.get_total_count()

    # --- connectivity between servers -------------------------------------------------------

    def all(self) -> list[int]:
        return list(range(self.n))

    def connect(self, i: int, to: list[int]) -> None:
        with self.mu:
            self._connect_locked(i, to)

    def disconnect(self, i: int, from_: list[int]) -> None:
        with self.mu:
            self._disconnect_locked(i, from_)

    def connect_all(self) -> None:
        debug.event("connect-all")
        with self.mu:
            for i in range(self.n):
                self._connect_locked(i, self.all())

    def partition(self, p1: list[int], p2: list[int]) -> None:
        """Two groups, each connected inside, cut off from the other."""
        debug.event("partition", a=p1, b=p2)
        with self.mu:
            for i in p1:
                self._disconnect_locked(i, p2)
                self._connect_locked(i, p1)
            for i in p2:
                self._disconnect_locked(i, p1)
                self._connect_locked(i, p2)

    def _connect_locked(self, i: int, to: list[int]) -> None:
        for j in to:
            names_i, names_j = self.endnames[i], self.endnames[j]
            if names_i is not None:
                self.net.enable(names_i[j], True)  # outgoing
            if names_j is not None:
                self.net.enable(names_j[i], True)  # incoming

    def _disconnect_locked(self, i: int, from_: list[int]) -> None:
        for j in from_:
            names_i, names_j = self.endnames[i], self.endnames[j]
            if names_i is not None:
                self.net.enable(names_i[j], False)
            if names_j is not None:
                self.net.enable(names_j[i], False)

    # --- clerks -----------------------------------------------------------------------------

    def make_client(self, to: list[int]) -> Any:
        """A clerk with fresh ends to every server, enabled only to the servers in ``to``."""
        with self.mu:
            endnames = [_random_endname() for _ in range(self.n)]
            ends = []
            for j, name in enumerate(endnames):
                ends.append(self.net.make_end(name))
                self.net.connect(name, j)
            ck = self._new_clerk(random_handles(ends))
            self.clerks[ck] = endnames
            self._connect_client_locked(ck, to)
            return ck

    def delete_client(self, ck: Any) -> None:
        with self.mu:
            self.clerks.pop(ck, None)

    def connect_client(self, ck: Any, to: list[int]) -> None:
        with self.mu:
            self._connect_client_locked(ck, to)

    def disconnect_client(self, ck: Any, from_: list[int]) -> None:
        with self.mu:
            for j in from_:
                self.net.enable(self.clerks[ck][j], False)

    def _connect_client_locked(self, ck: Any, to: list[int]) -> None:
        for j in to:
            self.net.enable(self.clerks[ck][j], True)

    # --- crashes ----------------------------------------------------------------------------

    def shutdown_server(self, i: int) -> None:
        """Crash server i: isolate it, then kill it; its persisted state survives."""
        debug.event("crash", server=i)
        with self.mu:
            self._disconnect_locked(i, self.all())
            # Delete the server before the persister is replaced, so the clerk never sees
            # success for an Append that was saved only in the superseded persister.
            self.net.delete_server(i)
            # A copy, in case the old instance goes on writing to the one it holds.
            saved = self.saved[i]
            if saved is not None:
                self.saved[i] = saved.copy()
            kv, self.replicas[i] = self.replicas[i], None
        if kv is not None:
            kv.kill()  # outside mu: kill waits for nothing of ours, but takes time

    def start_server(self, i: int) -> None:
        """Start (or restart after shutdown_server) server i from its saved state."""
        debug.event("boot", server=i)
        with self.mu:
            names = [_random_endname() for _ in range(self.n)]
            self.endnames[i] = names
            ends = []
            for j, name in enumerate(names):
                ends.append(self.net.make_end(name))
                self.net.connect(name, j)
            # A fresh persister holding the last saved state, so the old instance (if any)
            # cannot overwrite what the new one reads.
            saved = self.saved[i]
            persister = saved.copy() if saved is not None else Persister()
            self.saved[i] = persister
        kv = self._start_replica(ends, i, persister)
        server = Server()
        server.add_service(Service(kv))
        server.add_service(Service(kv.rf))
        with self.mu:
            self.replicas[i] = kv
        self.net.add_server(i, server)

    def _start_replica(self, ends: list[ClientEnd], i: int, persister: Persister) -> Any:
        """Server i of the service, on these ends and this persister."""
        return start_kv_server(ends, i, persister, self.maxraftstate)

    def _new_clerk(self, ends: list[ClientEnd]) -> Any:
        """A clerk of the service, on these ends."""
        return Clerk(ends)

    # --- leaders ----------------------------------------------------------------------------

    def servers(self) -> list[Any | None]:
        """The running server instances by index, None for one that is shut down (racy)."""
        with self.mu:
            return list(self.replicas)

    def leader(self) -> tuple[bool, int]:
        """(True, i) for the first server whose Raft believes it leads (racy), else (False, 0)."""
        for i, kv in enumerate(self.servers()):
            if kv is not None and kv.rf.get_state()[1]:
                return True, i
        return False, 0

    def make_partition(self) -> tuple[list[int], list[int]]:
        """n/2+1 servers that are not the leader, and n/2 ending with the current leader."""
        _, leader = self.leader()
        others = [i for i in range(self.n) if i != leader]
        majority = self.n // 2 + 1
        return others[:majority], others[majority:] + [leader]

    # --- the end ----------------------------------------------------------------------------

    def cleanup(self) -> None:
        """Kill every server, close every clerk and shut the network down."""
        with self.mu:
            servers = [kv for kv in self.replicas if kv is not None]
            clerks = list(self.clerks)
        for kv in servers:
            kv.kill()
        for ck in clerks:
            ck.close()
        self.net.cleanup()
