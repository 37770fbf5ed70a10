"""The Raft tester: the course's raft/config.go, ported one to one.

Cheat sheet (the course's names in snake_case; every method is the course's, same limits):

    with make_config(n, unreliable, snapshot) as cfg:   n Rafts, all connected (``defer cfg.cleanup()``)
        cfg.begin("Test (2A): ...")     print the header, snapshot the statistics
        cfg.check_one_leader()          up to 10 tries, 450-549 ms apart: exactly one leader -> its id
        cfg.check_terms()               all connected peers agree on the term -> it
        cfg.check_no_leader()           no connected peer claims to lead (one look, no retry)
        cfg.n_committed(index)          (how many peers applied index, the value); fails on apply errors
        cfg.wait(index, n, start_term)  poll up to ~30 s for n peers to apply index; -1 if a term moved on
        cfg.one(cmd, expected, retry)   a complete agreement within 10 s -> its index
        cfg.disconnect(i) / connect(i)  cut / restore all of i's links
        cfg.crash1(i) / start1(i, cfg.applier or cfg.applier_snap)
        cfg.log_size()                  largest persisted Raft state, in bytes
        cfg.set_unreliable(b) / set_long_reordering(b)
        cfg.end()                       print "  ... Passed --  secs peers rpcs bytes cmds"

What the Go tester does with log.Fatalf (the apply checks) ends the whole test binary. Here an
apply error is recorded in ``apply_err`` (as the course does), so n_committed(), one(), wait()
and end() fail the test at once in the main thread; the applier thread then keeps draining its
channel, so a Raft never blocks on apply_ch (the course's "keep reading after error" comment),
and raises the error when the channel closes, so the harness reports it with a traceback even
if the main thread never looked.

A crashed peer's applier goes on, as the course's goroutine does: crash1() kills the Raft but
leaves its apply channel open, and the old applier keeps reading it and checking what a killed
Raft still delivers, against the same shared state as the new instance's applier (logs[i],
last_applied[i], which start1() resets). So a late apply after a restart fails the course's
checks here as in Go: in 2D, "apply out of order, expected index ..." once start1() has reset
last_applied[i]. Go never stops that goroutine (the test binary exits); our harness fails a
test that leaves threads running, so a retire thread joins the threads the killed Raft's make()
started, then closes the channel, and the old applier's loop ends (cleanup() likewise, for
every peer). Threads a Raft starts later, and RPC handlers still running on it, are not waited
for: one that sends after the close gets ChannelClosed, unchecked.

Every tester action is logged under the TEST topic (PY6824_DEBUG=TEST or 1), so a failing run
reads as a story beside the peers' own lines.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, NoReturn, Protocol

import raft
import runtime
from labrpc import Channel, ClientEnd, Network, Server, Service, codec, debug
from raft.persister import Persister

# Snapshot every SnapShotInterval applied entries: at indexes 9, 19, 29, ... (config.go).
SNAP_SHOT_INTERVAL = 10

# The course's per-test real-time limit, enforced at end() and cleanup().
TEST_TIME_LIMIT_S = 120.0

_RANDSTRING_ALPHABET = string.ascii_letters + string.digits + "-_"  # base64 URL encoding's


class RaftPeer(Protocol):
    """What the tester needs from a Raft instance (the course's raft.go API)."""

    def start(self, command: Any) -> tuple[int, int, bool]: ...

    def get_state(self) -> tuple[int, bool]: ...

    def snapshot(self, index: int, snapshot: bytes) -> None: ...

    def cond_install_snapshot(self, last_included_term: int, last_included_index: int, snapshot: bytes) -> bool: ...

    def kill(self) -> None: ...


Applier = Callable[[int, Channel], None]


@dataclass
class Incarnation:
    """One Raft instance as the tester must outlive it: its apply channel, and the threads its
    make() started (the ones that may still send on that channel after kill())."""

    apply_ch: Channel
    threads: list[Any]


def randstring(n: int) -> str:
    """n random characters from the base64 URL alphabet, as the course's randstring."""
    return "".join(runtime.choice(_RANDSTRING_ALPHABET) for _ in range(n))


def rand_int() -> int:
    """A non-negative 63-bit random int, as Go's rand.Int() on a 64-bit machine."""
    return runtime.randbits(63)


def fatal(msg: str) -> NoReturn:
    """The course's t.Fatalf: log it beside the peers' lines, then fail the calling thread."""
    debug.event("fatal", msg=msg)
    raise AssertionError(msg)


def _short(value: Any) -> str:
    """A command as it appears in TEST lines: TestRPCBytes2B's are 5000 characters long."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def make_config(n: int, unreliable: bool, snapshot: bool) -> Config:
    """n Rafts on a fresh network, all started and connected (the course's make_config)."""
    return Config(n, unreliable, snapshot)


class Config:
    def __init__(self, n: int, unreliable: bool, snapshot: bool) -> None:
        # Guards rafts, connected, saved, logs, last_applied, apply_err, incarnations and
        # max_index: the main thread, the appliers and the test's client threads share them.
        self.mu = runtime.Lock()
        self._finished = runtime.Event()  # set by cleanup(); one() gives up quietly once set
        self.net = Network()
        self.n = n
        self.apply_err: list[str] = [""] * n  # from apply channel readers; "" means none
        self.rafts: list[RaftPeer | None] = [None] * n
        self.connected: list[bool] = [False] * n  # whether each server is on the net
        self.saved: list[Persister | None] = [None] * n
        self.endnames: list[list[str] | None] = [None] * n  # the names of the ends each sends to
        self.logs: list[dict[int, Any]] = [{} for _ in range(n)]  # copy of each server's committed entries
        self.last_applied: list[int] = [0] * n
        self.incarnations: list[Incarnation | None] = [None] * n  # each live Raft's channel and threads
        self.start = runtime.now()  # time at which make_config() was called
        # begin()/end() statistics
        self.t0 = 0.0  # time at which the test called begin()
        self.rpcs0 = 0  # rpc_total() at start of test
        self.cmds0 = 0  # number of agreements
        self.bytes0 = 0
        self.max_index = 0
        self.max_index0 = 0

        self.set_unreliable(unreliable)
        # Calls to a disconnected peer take up to 7 s to fail, so a Raft that sends its RPCs
        # synchronously is caught.
        self.net.long_delays(True)

        applier = self.applier_snap if snapshot else self.applier
        debug.event("make-config", n=n, unreliable=unreliable, snapshot=snapshot)
        try:
            # create a full set of Rafts.
            for i in range(n):
                self.start1(i, applier)
            # connect everyone
            for i in range(n):
                self.connect(i)
        except BaseException:
            self.cleanup(failed=True)
            raise

    # --- Go's ``defer cfg.cleanup()`` -------------------------------------------------------

    def __enter__(self) -> Config:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cleanup(failed=exc_type is not None)

    # --- crashes and restarts --------------------------------------------------------------

    def crash1(self, i: int) -> None:
        """Shut down a Raft server but save its persistent state."""
        debug.event("crash", server=i)
        self.disconnect(i)
        self.net.delete_server(i)  # disable client connections to the server.

        with self.mu:
            # a fresh persister, in case old instance continues to update the Persister.
            # but copy old persister's content so that we always pass Make() the last
            # persisted state.
            saved = self.saved[i]
            if saved is not None:
                saved = self.saved[i] = saved.copy()
            rf, incarnation = self.rafts[i], self.incarnations[i]
            self.incarnations[i] = None

        if rf is not None:
            rf.kill()  # outside mu, as the course: a Raft never runs while the tester holds it
            with self.mu:
                self.rafts[i] = None
        if incarnation is not None:
            self._retire(i, incarnation)

        if saved is not None:
            fresh = Persister()
            fresh.save(saved.read_raft_state(), saved.read_snapshot())
            with self.mu:
                self.saved[i] = fresh

    def start1(self, i: int, applier: Applier) -> None:
        """Start or re-start a Raft; if one already exists, "kill" it first.

        Allocate new outgoing end names, and a new state persister, to isolate the previous
        instance of this server, since we cannot really kill it.
        """
        self.crash1(i)

        # a fresh set of outgoing ClientEnd names, so that the old crashed instance's
        # ClientEnds can't send.
        endnames = [randstring(20) for _ in range(self.n)]
        self.endnames[i] = endnames

        # a fresh set of ClientEnds.
        ends: list[ClientEnd] = []
        for j in range(self.n):
            ends.append(self.net.make_end(endnames[j]))
            self.net.connect(endnames[j], j)

        with self.mu:
            self.last_applied[i] = 0
            # a fresh persister, so the old instance doesn't overwrite the new instance's
            # persisted state. but copy the old persister's content so that we always pass
            # Make() the last persisted state.
            old = self.saved[i]
            if old is not None:
                persister = self.saved[i] = old.copy()
                snapshot = persister.read_snapshot()
                if len(snapshot) > 0:
                    # mimic KV server and process snapshot now.
                    # ideally Raft should send it up on applyCh...
                    err = self.ingest_snap(i, snapshot, -1)
                    if err:
                        fatal(err)
            else:
                persister = self.saved[i] = Persister()

        apply_ch: Channel = Channel()
        before = set(runtime.live_threads())
        rf = raft.make(ends, i, persister, apply_ch)
        # Only this thread starts Rafts, so the new threads are rf's (and perhaps a few
        # short-lived network threads started meanwhile: waiting for those too costs nothing).
        threads = [t for t in runtime.live_threads() if t not in before]

        with self.mu:
            self.rafts[i] = rf
            self.incarnations[i] = Incarnation(apply_ch, threads)

        runtime.go(applier, i, apply_ch, name=f"tester-applier-S{i}")

        server = Server()
        server.add_service(Service(rf))
        self.net.add_server(i, server)
        debug.event("boot", server=i, last_applied=self.last_applied[i])

    def _retire(self, i: int, incarnation: Incarnation) -> None:
        """Close a killed Raft's apply channel once the threads its make() started have exited
        (see the module docstring); until then its old applier keeps reading and checking."""
        runtime.go(self._close_after_exit, incarnation, name=f"tester-retire-S{i}")

    @staticmethod
    def _close_after_exit(incarnation: Incarnation) -> None:
        for thread in incarnation.threads:
            thread.join()
        incarnation.apply_ch.close()

    # --- the network ------------------------------------------------------------------------

    def connect(self, i: int) -> None:
        """Attach server i to the net."""
        debug.event("connect", server=i)
        with self.mu:
            self.connected[i] = True
            peers = [j for j in range(self.n) if self.connected[j]]
        for j in peers:
            self.net.enable(self._endname(i, j), True)  # outgoing ClientEnds
            self.net.enable(self._endname(j, i), True)  # incoming ClientEnds

    def disconnect(self, i: int) -> None:
        """Detach server i from the net."""
        debug.event("disconnect", server=i)
        with self.mu:
            self.connected[i] = False
        for j in range(self.n):
            if self.endnames[i] is not None:
                self.net.enable(self._endname(i, j), False)  # outgoing ClientEnds
            if self.endnames[j] is not None:
                self.net.enable(self._endname(j, i), False)  # incoming ClientEnds

    def _endname(self, i: int, j: int) -> str:
        """The name of the end on which server i (its current instance) sends to server j."""
        names = self.endnames[i]
        assert names is not None, f"server {i} was never started"
        return names[j]

    def rpc_count(self, server: int) -> int:
        """RPCs delivered to one server (its dispatcher's count, reset when it restarts)."""
        return self.net.get_count(server)

    def rpc_total(self) -> int:
        """RPCs sent into the network, lost ones included."""
        return self.net.get_total_count()

    def bytes_total(self) -> int:
        return self.net.get_total_bytes()

    def set_unreliable(self, unrel: bool) -> None:
        debug.log("TEST", f"set_unreliable {unrel}")
        self.net.reliable(not unrel)

    def set_long_reordering(self, longrel: bool) -> None:
        debug.log("TEST", f"set_long_reordering {longrel}")
        self.net.long_reordering(longrel)

    # --- the appliers -----------------------------------------------------------------------

    def check_logs(self, i: int, m: Any) -> tuple[str, bool]:
        """Record m (an applied command) as server i's; ("" or an error, whether i had index-1).

        Caller holds mu.
        """
        err_msg = ""
        v = m.command
        for j in range(len(self.logs)):
            old = self.logs[j].get(m.command_index, _MISSING)
            if old is not _MISSING and old != v:
                debug.log("TEST", f"S{i}: log {self.logs[i]}; server {self.logs[j]}")
                # some server has already committed a different value for this entry!
                err_msg = f"commit index={m.command_index} server={i} {m.command} != server={j} {old}"
        prevok = (m.command_index - 1) in self.logs[i]
        self.logs[i][m.command_index] = v
        self.max_index = max(self.max_index, m.command_index)
        return err_msg, prevok

    def applier(self, i: int, apply_ch: Channel) -> None:
        """Read messages from apply_ch and check that they match the log contents."""
        for m in apply_ch:
            if not m.command_valid:
                continue  # ignore other types of ApplyMsg
            with self.mu:
                err_msg, prevok = self.check_logs(i, m)
            if m.command_index > 1 and not prevok:
                err_msg = f"server {i} apply out of order {m.command_index}"
            if err_msg:
                self._apply_failed(i, err_msg, apply_ch)
                return

    def ingest_snap(self, i: int, snapshot: bytes, index: int) -> str:
        """Load a snapshot made by applier_snap into logs[i]; returns "" or an error. Caller holds mu."""
        if not snapshot:
            return "nil snapshot"
        try:
            last_included_index, xlog = codec.decode(snapshot)
        except (codec.CodecError, TypeError, ValueError):
            return "snapshot decode error"
        if not isinstance(last_included_index, int) or not isinstance(xlog, list):
            return "snapshot decode error"
        if index != -1 and index != last_included_index:
            return f"server {i} snapshot doesn't match m.SnapshotIndex"
        self.logs[i] = {j: xlog[j] for j in range(len(xlog))}
        self.last_applied[i] = last_included_index
        debug.log("TEST", f"S{i} ingested snapshot through index {last_included_index}")
        return ""

    def applier_snap(self, i: int, apply_ch: Channel) -> None:
        """Like applier, and also snapshot the Raft state every SNAP_SHOT_INTERVAL entries."""
        with self.mu:
            rf = self.rafts[i]
        if rf is None:
            # The course returns here ("???"): the peer crashed before this thread ran. Go leaves
            # the killed Raft blocked on its send; we read on, unchecked, so its threads can exit.
            self._drain(apply_ch)
            return

        for m in apply_ch:
            err_msg = ""
            if m.snapshot_valid:
                if rf.cond_install_snapshot(m.snapshot_term, m.snapshot_index, m.snapshot):
                    with self.mu:
                        err_msg = self.ingest_snap(i, m.snapshot, m.snapshot_index)
            elif m.command_valid:
                with self.mu:
                    expected = self.last_applied[i] + 1
                if m.command_index != expected:
                    err_msg = f"server {i} apply out of order, expected index {expected}, got {m.command_index}"

                if not err_msg:
                    with self.mu:
                        err_msg, prevok = self.check_logs(i, m)
                    if m.command_index > 1 and not prevok:
                        err_msg = f"server {i} apply out of order {m.command_index}"

                with self.mu:
                    self.last_applied[i] = m.command_index

                if (m.command_index + 1) % SNAP_SHOT_INTERVAL == 0:
                    with self.mu:
                        xlog = [self.logs[i].get(j) for j in range(m.command_index + 1)]
                    # Called from the apply thread on purpose: Raft must not hold its lock
                    # while sending on apply_ch, or this call deadlocks.
                    rf.snapshot(m.command_index, codec.encode([m.command_index, xlog]))
            # else: ignore other types of ApplyMsg.
            if err_msg:
                self._apply_failed(i, err_msg, apply_ch)
                return

    def _apply_failed(self, i: int, err_msg: str, apply_ch: Channel) -> None:
        """The course's ``log.Fatalf("apply error: ...")`` and ``applyErr[i] = err_msg``.

        Record the error for the main thread, keep reading so that Raft doesn't block holding
        locks, and raise once the channel closes (after crash1 or cleanup, see _retire).
        """
        debug.event("fatal", msg=f"apply error: {err_msg}")
        with self.mu:
            if not self.apply_err[i]:
                self.apply_err[i] = err_msg
        self._drain(apply_ch)
        raise AssertionError(f"apply error: {err_msg}")

    @staticmethod
    def _drain(apply_ch: Channel) -> None:
        """Receive until the channel closes, so that a Raft never blocks sending on it."""
        for _ in apply_ch:
            pass

    # --- checks -----------------------------------------------------------------------------

    def check_one_leader(self) -> int:
        """Check that one of the connected servers thinks it is the leader, and that no other
        connected server thinks otherwise. Try a few times in case re-elections are needed."""
        for _ in range(10):
            ms = 450 + runtime.randrange(100)
            runtime.sleep(ms / 1000)

            leaders: dict[int, list[int]] = {}
            for i in range(self.n):
                if self.connected[i]:
                    term, leader = self._live(i).get_state()
                    if leader:
                        leaders.setdefault(term, []).append(i)

            last_term_with_leader = -1
            for term, ids in leaders.items():
                if len(ids) > 1:
                    fatal(f"term {term} has {len(ids)} (>1) leaders")
                last_term_with_leader = max(last_term_with_leader, term)

            if leaders:
                winner = leaders[last_term_with_leader][0]
                debug.log("TEST", f"check_one_leader: S{winner} leads term {last_term_with_leader}")
                return winner
        fatal("expected one leader, got none")

    def check_terms(self) -> int:
        """Check that everyone agrees on the term."""
        term = -1
        for i in range(self.n):
            if self.connected[i]:
                xterm, _ = self._live(i).get_state()
                if term == -1:
                    term = xterm
                elif term != xterm:
                    fatal("servers disagree on term")
        debug.log("TEST", f"check_terms: term {term}")
        return term

    def check_no_leader(self) -> None:
        """Check that none of the connected servers thinks it is the leader."""
        for i in range(self.n):
            if self.connected[i]:
                _, is_leader = self._live(i).get_state()
                if is_leader:
                    fatal(f"expected no leader among connected servers, but {i} claims to be leader")
        debug.log("TEST", "check_no_leader: none")

    def _live(self, i: int) -> RaftPeer:
        """The running Raft of a connected server (a connected server is always running)."""
        rf = self.rafts[i]
        assert rf is not None, f"server {i} is connected but not running"
        return rf

    def n_committed(self, index: int) -> tuple[int, Any]:
        """How many servers think a log entry is committed? (count, the value)."""
        count = 0
        cmd: Any = None
        for i in range(len(self.rafts)):
            if self.apply_err[i]:
                fatal(self.apply_err[i])

            with self.mu:
                cmd1 = self.logs[i].get(index, _MISSING)

            if cmd1 is not _MISSING:
                if count > 0 and cmd != cmd1:
                    fatal(f"committed values do not match: index {index}, {cmd}, {cmd1}")
                count += 1
                cmd = cmd1
        return count, cmd

    def wait(self, index: int, n: int, start_term: int) -> Any:
        """Wait for at least n servers to commit, but don't wait forever (about 30 s).

        Returns the value, or -1 if start_term > -1 and some Raft has moved past it.
        """
        to = 0.010
        for _ in range(30):
            nd, _ = self.n_committed(index)
            if nd >= n:
                break
            runtime.sleep(to)
            if to < 1.0:
                to *= 2
            if start_term > -1:
                for r in self.rafts:
                    if r is None:
                        continue
                    t, _ = r.get_state()
                    if t > start_term:
                        # someone has moved on; can no longer guarantee that we'll "win"
                        debug.log("TEST", f"wait({index}): a peer moved past term {start_term}")
                        return -1
        nd, cmd = self.n_committed(index)
        if nd < n:
            fatal(f"only {nd} decided for index {index}; wanted {n}")
        return cmd

    def one(self, cmd: Any, expected_servers: int, retry: bool) -> int:
        """Do a complete agreement; returns its index.

        It might choose the wrong leader initially, and have to re-submit after giving up.
        Entirely gives up after about 10 seconds. Indirectly checks that the servers agree on
        the same value, since n_committed() checks this, as do the threads that read from
        apply_ch. If retry is true, may submit the command multiple times, in case a leader
        fails just after start(). If retry is false, calls start() only once, in order to
        simplify the early Lab 2B tests.
        """
        t0 = runtime.now()
        starts = 0
        while runtime.now() - t0 < 10 and not self.check_finished():
            # try all the servers, maybe one is the leader.
            index = -1
            for _ in range(self.n):
                starts = (starts + 1) % self.n
                with self.mu:
                    rf = self.rafts[starts] if self.connected[starts] else None
                if rf is not None:
                    index1, _, ok = rf.start(cmd)
                    if ok:
                        index = index1
                        debug.log("TEST", f"one({_short(cmd)}): S{starts} took it at index {index}")
                        break

            if index != -1:
                # somebody claimed to be the leader and to have submitted our command; wait a
                # while for agreement.
                t1 = runtime.now()
                while runtime.now() - t1 < 2:
                    nd, cmd1 = self.n_committed(index)
                    if nd > 0 and nd >= expected_servers:
                        # committed
                        if cmd1 == cmd:
                            # and it was the command we submitted.
                            debug.log("TEST", f"one({_short(cmd)}): committed at index {index} by {nd}")
                            return index
                    runtime.sleep(0.020)
                if not retry:
                    fatal(f"one({cmd}) failed to reach agreement")
            else:
                runtime.sleep(0.050)
        if not self.check_finished():
            fatal(f"one({cmd}) failed to reach agreement")
        return -1

    def log_size(self) -> int:
        """Maximum log size across all servers."""
        return max(saved.raft_state_size() for saved in self.saved if saved is not None)

    # --- begin, end, cleanup ----------------------------------------------------------------

    def begin(self, description: str) -> None:
        """Start a test: print the test message (e.g. "Test (2B): RPC counts aren't too high")."""
        print(f"{description} ...", flush=True)
        debug.event("begin", test=description)
        self.t0 = runtime.now()
        self.rpcs0 = self.rpc_total()
        self.bytes0 = self.bytes_total()
        self.cmds0 = 0
        with self.mu:
            self.max_index0 = self.max_index

    def end(self) -> None:
        """End a test: the fact that we got here means there was no failure. Print the Passed
        message and some performance numbers."""
        self.check_timeout()
        self._check_apply_err()  # the course's applier would have exited the process already
        with self.mu:
            t = runtime.now() - self.t0  # real time
            npeers = self.n  # number of Raft peers
            nrpc = self.rpc_total() - self.rpcs0  # number of RPC sends
            nbytes = self.bytes_total() - self.bytes0  # number of bytes
            ncmds = self.max_index - self.max_index0  # number of Raft agreements reported
        print(f"  ... Passed --  {t:4.1f}  {npeers} {nrpc:4d} {nbytes:7d} {ncmds:4d}", flush=True)
        debug.log("TEST", "end: passed")

    def check_timeout(self) -> None:
        """Enforce a two minute real-time limit on each test."""
        if runtime.now() - self.start > TEST_TIME_LIMIT_S:
            fatal("test took longer than 120 seconds")

    def check_finished(self) -> bool:
        return self._finished.is_set()

    def cleanup(self, failed: bool = False) -> None:
        """Kill every Raft and close the network; failed=True skips the time check, as the
        course's checkTimeout skips it for a test that already failed."""
        debug.event("cleanup")
        self._finished.set()
        with self.mu:
            rafts = list(self.rafts)
            incarnations, self.incarnations = self.incarnations, [None] * self.n
        for rf in rafts:
            if rf is not None:
                rf.kill()
        for i, incarnation in enumerate(incarnations):
            if incarnation is not None:
                self._retire(i, incarnation)  # the appliers check what the killed Rafts still send
        self.net.cleanup()
        if not failed:
            self.check_timeout()

    def _check_apply_err(self) -> None:
        for err in self.apply_err:
            if err:
                fatal(err)


class _Missing:
    """Marks an index a server has not applied (None is a value: xlog[0] is Go's nil)."""

    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()
