"""A sharded key/value service on the simulated network: controllers, groups, clerks, crashes.

The machinery of the course's shardkv/config.go without the test bookkeeping, so that the
tester (tests/shardkv/config.py) and ``python -m shardkv`` drive the same code:

    cluster = Cluster(n, unreliable, maxraftstate)   3 controllers, 3 groups of n servers, started
    cluster.make_client() -> Clerk               fresh ends to the controllers; the course's make_end
    cluster.join(gi) / joinm([gi, ...])          one controller Join of groups 100 + gi (cluster.mck)
    cluster.leave(gi) / leavem([gi, ...])        one controller Leave
    cluster.shutdown_server(gi, i) / start_server(gi, i)   a crash, a restart from what it persisted
    cluster.shutdown_group(gi) / start_group(gi)           all n servers of a group
    cluster.moves() -> Moves                     shards handed over between groups so far, and bytes
    cluster.cleanup()                            shut everything down, close every clerk, stop the network

As the course: 3 controllers ("ctrler0".."ctrler2", never restarted, each with a fresh
persister) and 3 groups of n servers, gids 100, 101, 102, servers "server-<gid>-<i>", all
on one network, made unreliable (every link: clerks, controllers, Raft, groups) only once
everything has started. A server's ends to its peers and to the controllers are enabled at
once; the make_end it gets makes a fresh end, enabled, on every call.

Not in the course: the make_end a server gets counts the shards its group pulls (see Moves),
so the demo can say how much moved without reaching into the servers.

Every method that changes the cluster logs a TEST line (PY6824_DEBUG=TEST).
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import runtime
import shardctrler.server
from labrpc import ClientEnd, Network, Server, Service, codec, debug
from raft import Persister
from shardctrler.client import Clerk as CtrlerClerk
from shardctrler.common import Config as ShardConfig
from shardkv.client import Clerk
from shardkv.common import OK
from shardkv.server import ShardKV, start_server

NCTRLERS = 3
NGROUPS = 3
FIRST_GID = 100
ENDNAME_LEN = 20  # the course's randstring(20)
_ENDNAME_ALPHABET = string.ascii_letters + string.digits + "-_"  # base64 URL encoding's, as randstring


def randstring(n: int) -> str:
    """n random characters, as the course's randstring: fresh end names are never reused."""
    return "".join(runtime.choice(_ENDNAME_ALPHABET) for _ in range(n))


def ctrler_name(i: int) -> str:
    return f"ctrler{i}"


def server_name(gid: int, i: int) -> str:
    return f"server-{gid}-{i}"


@dataclass
class Group:
    """One replica group as the cluster keeps it."""

    gid: int
    n: int
    servers: list[ShardKV | None] = field(default_factory=list)
    saved: list[Persister | None] = field(default_factory=list)  # what each server persisted
    endnames: list[list[str]] = field(default_factory=list)  # endnames[i][j]: server i's end to peer j
    mendnames: list[list[str]] = field(default_factory=list)  # mendnames[i][k]: server i's end to controller k

    def __post_init__(self) -> None:
        self.servers = [None] * self.n
        self.saved = [None] * self.n
        self.endnames = [[] for _ in range(self.n)]
        self.mendnames = [[] for _ in range(self.n)]


@dataclass(frozen=True)
class Moves:
    """Shards handed over between groups, as the new owners' FetchShard calls saw them.

    shards: distinct (new owner, configuration, shard) handovers, each counted once however
    often it was fetched (a leader that lost its term before installing fetches again);
    fetches: FetchShard replies that carried a shard, retries included; bytes: their size as
    the network carried them (the codec's encoding of the reply: keys, values, duplicate table).
    A shard moves even when it holds no key; a shard given up to gid 0 (every group left)
    or taken from it (config 1) moves nowhere and is not counted.
    """

    shards: int = 0
    fetches: int = 0
    bytes: int = 0


class _MoveCounter:
    """What Moves reports, fed by the servers' ends (their handler threads: hence the lock)."""

    def __init__(self) -> None:
        self._mu = runtime.Lock()
        self._handovers: set[tuple[int, int, int]] = set()  # (new owner gid, config num, shard)
        self._fetches = 0
        self._bytes = 0

    def record(self, gid: int, args: Any, reply: Any) -> None:
        size = len(codec.encode(reply))  # the bytes the network delivered (encoding is deterministic)
        with self._mu:
            self._handovers.add((gid, args.config_num, args.shard))
            self._fetches += 1
            self._bytes += size

    def moves(self) -> Moves:
        with self._mu:
            return Moves(len(self._handovers), self._fetches, self._bytes)


class _CountingEnd:
    """A server's end to another group's server: counts the shards it fetches, else as the end."""

    def __init__(self, end: ClientEnd, gid: int, counter: _MoveCounter) -> None:
        self._end = end
        self._gid = gid  # the group of the server that made this end: the shard's new owner
        self._counter = counter

    def call(self, method: str, args: Any) -> tuple[bool, Any]:
        ok, reply = self._end.call(method, args)
        if ok and method == "ShardKV.FetchShard" and reply.err == OK:
            self._counter.record(self._gid, args, reply)
        return ok, reply


class Cluster:
    def __init__(self, n: int, unreliable: bool, maxraftstate: int) -> None:
        self.mu = runtime.Lock()  # guards the tables below (not the servers themselves)
        self.net = Network()
        self.n = n  # servers per group
        self.maxraftstate = maxraftstate
        self.ctrlerservers: list[shardctrler.server.ShardCtrler | None] = [None] * NCTRLERS
        self.clerks: list[Clerk | CtrlerClerk] = []  # every clerk made, to close at cleanup; guarded by mu
        self.ngroups = NGROUPS
        self.groups = [Group(FIRST_GID + gi, n) for gi in range(NGROUPS)]
        self._moves = _MoveCounter()
        for i in range(NCTRLERS):
            self.start_ctrler_server(i)
        self.mck = self._ctrler_clerk()  # the cluster's own controller clerk: Join, Leave, Query
        for gi in range(NGROUPS):
            for i in range(n):
                self.start_server(gi, i)
        # Only now, as the course: everything starts on a reliable network.
        self.net.reliable(not unreliable)

    # --- ends ------------------------------------------------------------------------------

    def make_end(self, servername: str) -> ClientEnd:
        """A fresh end, connected to servername and enabled (the course's make_end)."""
        name = randstring(ENDNAME_LEN)
        end = self.net.make_end(name)
        self.net.connect(name, servername)
        self.net.enable(name, True)
        return end

    def _group_make_end(self, gid: int) -> Callable[[str], Any]:
        """The make_end for group gid's servers: the course's, counting the shards they pull."""
        return lambda servername: _CountingEnd(self.make_end(servername), gid, self._moves)

    def _ctrler_ends(self) -> list[ClientEnd]:
        return [self.make_end(ctrler_name(j)) for j in range(NCTRLERS)]

    # --- controllers -----------------------------------------------------------------------

    def _ctrler_clerk(self) -> CtrlerClerk:
        ck = CtrlerClerk(self._ctrler_ends())
        with self.mu:
            self.clerks.append(ck)
        return ck

    def start_ctrler_server(self, i: int) -> None:
        """Controller i, with a fresh persister (controllers are never restarted here)."""
        sc = shardctrler.server.start_server(self._ctrler_ends(), i, Persister())
        server = Server()
        server.add_service(Service(sc))
        server.add_service(Service(sc.rf))
        with self.mu:
            self.ctrlerservers[i] = sc
        self.net.add_server(ctrler_name(i), server)

    def join(self, gi: int) -> None:
        self.joinm([gi])

    def joinm(self, gis: list[int]) -> None:
        """One Join of the groups gis, each with all its servers' names."""
        debug.log("TEST", f"join groups {gis}")
        self.mck.join({self.groups[gi].gid: [server_name(self.groups[gi].gid, i) for i in range(self.n)] for gi in gis})

    def leave(self, gi: int) -> None:
        self.leavem([gi])

    def leavem(self, gis: list[int]) -> None:
        debug.log("TEST", f"leave groups {gis}")
        self.mck.leave([self.groups[gi].gid for gi in gis])

    def latest_config(self) -> ShardConfig:
        """The controller's latest configuration (which group serves which shard)."""
        return self.mck.query(-1)

    # --- clerks ----------------------------------------------------------------------------

    def make_client(self) -> Clerk:
        """A clerk with fresh ends to the controllers, in order; its make_end, the course's."""
        ck = Clerk(self._ctrler_ends(), self.make_end)
        with self.mu:
            self.clerks.append(ck)
        return ck

    def close_clerks(self) -> None:
        """Every clerk made so far (the cluster's own too): their operations raise ClerkClosed."""
        with self.mu:
            clerks = list(self.clerks)
        for ck in clerks:
            ck.close()

    # --- groups ----------------------------------------------------------------------------

    def start_server(self, gi: int, i: int) -> None:
        """Start (or restart) server i of group gi from what it last persisted."""
        debug.event("boot", server=i, group=self.groups[gi].gid)
        gg = self.groups[gi]
        with self.mu:
            gg.endnames[i] = [randstring(ENDNAME_LEN) for _ in range(self.n)]
            ends = [self._connected_end(name, server_name(gg.gid, j)) for j, name in enumerate(gg.endnames[i])]
            gg.mendnames[i] = [randstring(ENDNAME_LEN) for _ in range(NCTRLERS)]
            mends = [self._connected_end(name, ctrler_name(k)) for k, name in enumerate(gg.mendnames[i])]
            # A fresh persister holding the last saved state, so the old instance (if any)
            # cannot overwrite what the new one reads.
            saved = gg.saved[i]
            gg.saved[i] = persister = saved.copy() if saved is not None else Persister()
        kv = start_server(ends, i, persister, self.maxraftstate, gg.gid, mends, self._group_make_end(gg.gid))
        server = Server()
        server.add_service(Service(kv))
        server.add_service(Service(kv.rf))
        with self.mu:
            gg.servers[i] = kv
        self.net.add_server(server_name(gg.gid, i), server)

    def _connected_end(self, endname: str, servername: str) -> ClientEnd:
        end = self.net.make_end(endname)
        self.net.connect(endname, servername)
        self.net.enable(endname, True)
        return end

    def shutdown_server(self, gi: int, i: int) -> None:
        """Crash server i of group gi; its persisted state survives for start_server."""
        debug.event("crash", server=i, group=self.groups[gi].gid)
        gg = self.groups[gi]
        with self.mu:
            # Prevent this server from sending (ends its make_end made stay enabled, as in
            # the course: kill() must stop the threads that use them).
            for name in gg.endnames[i] + gg.mendnames[i]:
                self.net.enable(name, False)
            # Delete the server before the persister is replaced, so a clerk never sees
            # success for an Append that was saved only in the superseded persister.
            self.net.delete_server(server_name(gg.gid, i))
            saved = gg.saved[i]
            if saved is not None:
                gg.saved[i] = saved.copy()
            kv, gg.servers[i] = gg.servers[i], None
        if kv is not None:
            kv.kill()  # outside mu, as the course

    def shutdown_group(self, gi: int) -> None:
        for i in range(self.n):
            self.shutdown_server(gi, i)

    def start_group(self, gi: int) -> None:
        for i in range(self.n):
            self.start_server(gi, i)

    def servers(self, gi: int) -> list[ShardKV | None]:
        """Group gi's running servers by index, None for one that is shut down (racy)."""
        with self.mu:
            return list(self.groups[gi].servers)

    # --- figures ---------------------------------------------------------------------------

    def moves(self) -> Moves:
        return self._moves.moves()

    def rpc_total(self) -> int:
        return self.net.get_total_count()

    # --- the end ---------------------------------------------------------------------------

    def cleanup(self) -> None:
        """Shut every group down, kill the controllers, close every clerk, stop the network."""
        for gi in range(self.ngroups):
            self.shutdown_group(gi)
        with self.mu:
            ctrlers = [sc for sc in self.ctrlerservers if sc is not None]
        for sc in ctrlers:
            sc.kill()
        self.close_clerks()
        self.net.cleanup()
