"""The shardkv tester's config (the course's shardkv/config.go).

Cheat sheet (the course's names in snake_case):

    with make_config(n, unreliable, maxraftstate) as cfg:   cleanup() on the way out
        cfg.begin("Test: static shards ...")       print the course's header line
        ck = cfg.make_client()                     a Clerk with fresh ends to the controllers
        cfg.join(gi) / cfg.joinm([gi, ...])        one controller Join of groups 100 + gi
        cfg.leave(gi) / cfg.leavem([gi, ...])      one controller Leave
        cfg.shutdown_group(gi) / start_group(gi)   all n servers of a group
        cfg.shutdown_server(gi, i) / start_server(gi, i)
        cfg.checklogs()                            Raft state <= 8 x maxraftstate; no snapshot if -1
        cfg.mck                                    the tester's own controller clerk
        cfg.end()                                  print "  ... Passed"

As the course: 3 controllers ("ctrler0".."ctrler2", never restarted, each with a fresh
persister) and 3 groups of n servers, gids 100, 101, 102, servers "server-<gid>-<i>", all
on one network, made unreliable (every link: clerks, controllers, Raft, groups) only once
everything has started. A server's ends to its peers and to the controllers are enabled at
once; the make_end it gets makes a fresh end, enabled, on every call.

The 120 s limit per test is the course's, checked at cleanup. Deviation: the course's clerks
retry forever, so a stuck Go test hangs until cleanup never comes; here a watchdog closes
every clerk (the tester's controller clerk too) once 120 s have passed, and the operation
that was stuck fails the test with the course's "test took longer than 120 seconds".
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from types import TracebackType

import runtime
import shardctrler.server
from labrpc import ClientEnd, Network, Server, Service, debug
from raft import Persister
from shardctrler.client import Clerk as CtrlerClerk
from shardctrler.client import ClerkClosed
from shardkv import Clerk, ShardKV, start_server
from tests.raft.config import fatal, randstring

TEST_TIME_LIMIT_S = 120.0
NCTRLERS = 3
NGROUPS = 3
FIRST_GID = 100
ENDNAME_LEN = 20  # the course's randstring(20)

_warned_one_cpu = False


@dataclass
class Group:
    """One replica group as the tester keeps it."""

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


def ctrler_name(i: int) -> str:
    return f"ctrler{i}"


def server_name(gid: int, i: int) -> str:
    return f"server-{gid}-{i}"


class Config:
    def __init__(self, n: int, unreliable: bool, maxraftstate: int) -> None:
        global _warned_one_cpu
        if not _warned_one_cpu and (os.cpu_count() or 1) < 2:
            print("warning: only one CPU, which may conceal locking bugs")
            _warned_one_cpu = True
        self.start = runtime.now()  # for the 120 s limit
        self.mu = runtime.Lock()  # guards the tables below (not the servers themselves)
        self.net = Network()
        self.n = n  # servers per group
        self.maxraftstate = maxraftstate
        self.ctrlerservers: list[shardctrler.server.ShardCtrler | None] = [None] * NCTRLERS
        self.clerks: list[Clerk | CtrlerClerk] = []  # every clerk made, to close at cleanup; guarded by mu
        self.ngroups = NGROUPS
        self.groups = [Group(FIRST_GID + gi, n) for gi in range(NGROUPS)]
        # Set once the 120 s have passed and the watchdog closed every clerk.
        self.expired = runtime.Event()
        self._finished = runtime.Event()  # cleanup() ran: the watchdog may stop
        for i in range(NCTRLERS):
            self.start_ctrler_server(i)
        self.mck = self._ctrler_clerk()
        for gi in range(NGROUPS):
            for i in range(n):
                self.start_server(gi, i)
        self.net.reliable(not unreliable)
        runtime.go(self._watchdog, name="shardkv-test-watchdog")

    def __enter__(self) -> Config:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
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
        self._close_clerks()

    def begin(self, description: str) -> None:
        """The course's tests print their own header, "Test: ... ..." (shardkv has no begin())."""
        print(description, flush=True)

    def end(self) -> None:
        self.check_timeout()
        print("  ... Passed", flush=True)

    # --- controllers -----------------------------------------------------------------------

    def _enabled_end(self, servername: str) -> ClientEnd:
        """A fresh end, connected to servername and enabled (the course's make_end)."""
        name = randstring(ENDNAME_LEN)
        end = self.net.make_end(name)
        self.net.connect(name, servername)
        self.net.enable(name, True)
        return end

    def _ctrler_ends(self) -> list[ClientEnd]:
        return [self._enabled_end(ctrler_name(j)) for j in range(NCTRLERS)]

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

    # --- clerks ----------------------------------------------------------------------------

    def make_client(self) -> Clerk:
        """A clerk with fresh ends to the controllers, in order; its make_end, the course's."""
        ck = Clerk(self._ctrler_ends(), self._enabled_end)
        with self.mu:
            self.clerks.append(ck)
        return ck

    def _close_clerks(self) -> None:
        with self.mu:
            clerks = list(self.clerks)
        for ck in clerks:
            ck.close()

    # --- groups ----------------------------------------------------------------------------

    def start_server(self, gi: int, i: int) -> None:
        """Start (or restart) server i of group gi from what it last persisted."""
        debug.log("TEST", f"start server {i} of group {gi}")
        gg = self.groups[gi]
        with self.mu:
            gg.endnames[i] = [randstring(ENDNAME_LEN) for _ in range(self.n)]
            ends = []
            for j, name in enumerate(gg.endnames[i]):
                ends.append(self.net.make_end(name))
                self.net.connect(name, server_name(gg.gid, j))
                self.net.enable(name, True)
            gg.mendnames[i] = [randstring(ENDNAME_LEN) for _ in range(NCTRLERS)]
            mends = []
            for k, name in enumerate(gg.mendnames[i]):
                mends.append(self.net.make_end(name))
                self.net.connect(name, ctrler_name(k))
                self.net.enable(name, True)
            # A fresh persister holding the last saved state, so the old instance (if any)
            # cannot overwrite what the new one reads.
            saved = gg.saved[i]
            gg.saved[i] = persister = saved.copy() if saved is not None else Persister()
        kv = start_server(ends, i, persister, self.maxraftstate, gg.gid, mends, self._enabled_end)
        server = Server()
        server.add_service(Service(kv))
        server.add_service(Service(kv.rf))
        with self.mu:
            gg.servers[i] = kv
        self.net.add_server(server_name(gg.gid, i), server)

    def shutdown_server(self, gi: int, i: int) -> None:
        """Crash server i of group gi; its persisted state survives for start_server."""
        debug.log("TEST", f"shut down server {i} of group {gi}")
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

    # --- the controller --------------------------------------------------------------------

    def join(self, gi: int) -> None:
        self.joinm([gi])

    def joinm(self, gis: list[int]) -> None:
        """One Join of the groups gis, each with all its servers' names."""
        debug.log("TEST", f"join groups {gis}")
        self.mck.join({self.groups[gi].gid: [server_name(self.groups[gi].gid, i) for i in range(self.n)]
                       for gi in gis})

    def leave(self, gi: int) -> None:
        self.leavem([gi])

    def leavem(self, gis: list[int]) -> None:
        debug.log("TEST", f"leave groups {gis}")
        self.mck.leave([self.groups[gi].gid for gi in gis])

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
        """Shut every group down, kill the controllers, close every clerk, stop the network."""
        self._finished.set()
        for gi in range(self.ngroups):
            self.shutdown_group(gi)
        with self.mu:
            ctrlers = [sc for sc in self.ctrlerservers if sc is not None]
        for sc in ctrlers:
            sc.kill()
        self._close_clerks()
        self.net.cleanup()
        if check:  # a test that already failed keeps its own error
            self.check_timeout()


def make_config(n: int, unreliable: bool, maxraftstate: int) -> Config:
    return Config(n, unreliable, maxraftstate)
