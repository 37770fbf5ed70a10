"""A Raft cluster without threads or real time, driven step by step: for rule-level tests
(test_raft_rules.py) and golden scripted interactions (testdata/*.txt, test_raft_scripts.py),
in the style of etcd-io/raft's raft_paper_test.go and its testdata.

    with ScriptedCluster(3) as c:       # swaps in a fake clock; restores it on exit
        c.campaign(1)                   # peer 1 times out and asks for votes
        c.stabilize()                   # deliver everything until the mailbox is empty
        c.propose(1, "x")
        print(c.describe())

Peers are numbered from 1 (peer i is the Raft with me = i - 1); everything the harness
prints and every method it offers uses these numbers, and prints a vote for me = j as j + 1.

Each peer is a ScriptedPeer: a real raft.Raft whose threads are never started and whose
_send_locked puts each RPC in the cluster's mailbox instead of starting a thread. Delivering
a message copies the request through the codec (as labrpc does), calls the destination's
handler, copies the reply back, and runs the sender's reply callback under its lock;
dropping one runs its on_lost callback. After every delivery (and after propose, campaign
and ticks) each leader's replicators get one pass (``_replicate_locked`` for each follower,
as the woken replicator threads would), so a reply that moves next_index is followed at
once by the next AppendEntries, and a new leader's first heartbeats go out at once.

Time: runtime.now and runtime.random are replaced, while the cluster is open, by a
FakeClock that only moves on tick_* and by a constant (0.5), so every election timeout is
ELECTION_TIMEOUT_MIN_S + 0.5 * (MAX - MIN) after its reset. Elections start only on
campaign() or tick_election(); tick_heartbeat() never starts one, however far the clock
has moved. The swap is done by the cluster itself, inside the test body, and undone to
whatever it found (not with pytest's monkeypatch fixture): under ``pytest --sim`` the
simulator installs its own runtime facade between fixture setup and the test body, so a
fixture's patch would be overwritten, and monkeypatch's undo would later restore the dead
simulator's clock. Build clusters inside the test function for the same reason.

Scripts (testdata/*.txt, run by run_script): one command per line; '#' lines are comments
(each file opens with the story of the bug it guards against) and blank lines are kept.
Below a command that prints, its output follows, each line prefixed with '> ' (a line that
is just '>' is an empty output line). The runner replaces those blocks with what the
commands print now; a golden file passes when nothing changes, and
``pytest tests/raft/test_raft_scripts.py --update-golden`` writes the new output back (read
the diff: a golden file that records broken behaviour is worse than none). Commands:

    cluster N                  start N peers (must come first)
    campaign I                 peer I's election timer fires: it becomes candidate, asks for votes
    tick election [I ...]      advance the clock until the timers of peers I... (default: all
                               non-leaders) have run out, then each of them, in order, times out
    tick heartbeat             advance the clock by one heartbeat interval; leaders send heartbeats
    propose I CMD              rf.start(CMD) on peer I
    deliver [SEL] [first|last] deliver the pending messages matching SEL (default all), or only
                               the first or last of them; SEL is A->B, A->* or *->B. Messages
                               sent while delivering wait for the next deliver.
    drop [SEL] [first|last]    lose those messages (the sender's on_lost runs)
    stabilize                  deliver until the mailbox is empty
    mailbox                    print the pending messages without delivering them
    partition A B | C ...      cut every link between the groups (each peer in one group); a
                               message over a cut link is lost when delivered
    heal                       reconnect everything
    restart I                  crash peer I and start a new one on a copy of its persister (as
                               the course's tester does); messages to or from it are lost
    send A->B REQUEST          hand peer B a request as deliver prints one (``AppendEntries T3
                               prev=(1,T1) [2:T3] commit=3``) as if A sent it, whatever A's state
                               is: for messages this Raft never sends, such as an etcd-style
                               bare heartbeat; prints B's reply, which goes nowhere
    log I T1 T2 ...            set peer I's log to entries of terms T1, T2, ... (commands
                               c1, c2, ...); its term becomes at least the last one (setup only)
    snapshot I INDEX           the service on peer I snapshots through INDEX
    apply I                    drain peer I's applier: print what it hands to the service
    progress I                 leader I's match and next index (and RPCs in flight) per follower
    describe                   one line per peer: role, term, vote, log, commit, applied

Printed forms: a delivery is ``1->2 AppendEntries T1 prev=(0,T0) [1:T1 2:T1] commit=0 -> ok
T1`` (or ``-> reject T1 x_term=.. x_index=.. x_len=..``, ``-> lost (partitioned)``), followed
by an indented note for each of the two peers whose term, role, commit index or log changed.
A log is ``1:T1 2:T1 3:T2``, after a snapshot ``snap=(5,T1) 6:T2``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import runtime
from labrpc import Channel, codec
from labrpc.service import wire_name
from raft.log import RaftLog
from raft.messages import (
    AppendEntriesArgs,
    AppendEntriesReply,
    ApplyMsg,
    InstallSnapshotArgs,
    InstallSnapshotReply,
    LogEntry,
    RequestVoteArgs,
    RequestVoteReply,
)
from raft.persister import Persister
from raft.raft import Raft
from raft.role import ELECTION_TIMEOUT_MAX_S, ELECTION_TIMEOUT_MIN_S, HEARTBEAT_INTERVAL_S, Role

RANDOM_VALUE = 0.5  # what runtime.random() returns while a cluster is open
ELECTION_TIMEOUT_S = ELECTION_TIMEOUT_MIN_S + RANDOM_VALUE * (ELECTION_TIMEOUT_MAX_S - ELECTION_TIMEOUT_MIN_S)
MAX_STABILIZE_ROUNDS = 1000


class FakeClock:
    """runtime.now() for a cluster: starts at 100 s and moves only when told."""

    def __init__(self, start: float = 100.0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        assert seconds >= 0, "time does not go backwards"
        self.t += seconds


@contextmanager
def fake_runtime(clock: FakeClock, random_value: float = RANDOM_VALUE) -> Iterator[FakeClock]:
    """Replace runtime.now and runtime.random while inside; put back what was there."""
    saved = runtime.now, runtime.random
    runtime.now = clock.now
    runtime.random = lambda: random_value
    try:
        yield clock
    finally:
        runtime.now, runtime.random = saved


@dataclass
class Message:
    """An RPC a peer sent and nobody has delivered yet (src and dst are 1-based)."""

    src: int
    dst: int
    method: str  # wire name, "Raft.AppendEntries"
    request: bytes  # the arguments, encoded when sent (what labrpc would carry)
    on_reply: Callable[[Any], None]
    on_lost: Callable[[], None]

    @property
    def args(self) -> Any:
        return codec.decode(self.request)

    def __str__(self) -> str:
        return f"{self.src}->{self.dst} {format_args(self.args)}"


class ScriptedPeer(Raft):
    """A Raft peer whose RPCs go to a mailbox instead of the network. Its threads are never
    started."""

    def __init__(self, peers: list[Any], me: int, persister: Persister, mailbox: list[Message]) -> None:
        self.mailbox = mailbox  # before Raft's constructor, though it sends nothing
        super().__init__(peers, me, persister, Channel())

    def _send_locked(
        self,
        peer: int,
        method: str,
        args: Any,
        on_reply: Callable[[Any], None],
        on_lost: Callable[[], None],
    ) -> None:
        self.mailbox.append(Message(self.me + 1, peer + 1, method, codec.encode(args), on_reply, on_lost))


class ScriptedCluster:
    """N ScriptedPeers sharing a mailbox and a FakeClock. Use as a context manager (or call
    close()): while open, runtime.now and runtime.random are the cluster's."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.clock = FakeClock()
        self._runtime = fake_runtime(self.clock)
        self._runtime.__enter__()
        self.mailbox: list[Message] = []
        self.persisters = [Persister() for _ in range(n)]
        self.cut: set[tuple[int, int]] = set()  # (src, dst) links that lose messages
        self.rafts: list[ScriptedPeer] = [self._make(i) for i in range(1, n + 1)]

    def _make(self, i: int) -> ScriptedPeer:
        return ScriptedPeer([None] * self.n, i - 1, self.persisters[i - 1], self.mailbox)

    def close(self) -> None:
        for rf in self.rafts:
            rf.kill()
        self._runtime.__exit__(None, None, None)

    def __enter__(self) -> ScriptedCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- looking ---------------------------------------------------------------------------

    def peer(self, i: int) -> ScriptedPeer:
        return self.rafts[i - 1]

    def ids(self) -> range:
        return range(1, self.n + 1)

    def leaders(self) -> list[int]:
        return [i for i in self.ids() if self.peer(i).role is Role.LEADER]

    def describe(self) -> str:
        return "\n".join(describe_peer(i, self.peer(i)) for i in self.ids())

    def progress(self, i: int) -> list[str]:
        """Leader i's view of each follower: match_index, next_index, RPCs in flight."""
        rf = self.peer(i)
        if rf.role is not Role.LEADER:
            return [f"{i} is not leader"]
        return [f"{i}->{peer + 1} {rf.progress[peer]}" for peer in sorted(rf.progress)]

    def pending(self, sel: str = "") -> list[Message]:
        match = selector(sel)
        return [m for m in self.mailbox if match(m)]

    # --- time and elections ----------------------------------------------------------------

    def campaign(self, i: int) -> None:
        rf = self.peer(i)
        with rf.mu:
            rf._start_election_locked()
        self.pump()

    def tick_election(self, *ids: int) -> list[str]:
        """The election timers of ids (default: every non-leader) run out, then each of them
        that is not leader times out, in order. Returns what happened."""
        chosen = list(ids) or [i for i in self.ids() if self.peer(i).role is not Role.LEADER]
        if ids:
            latest = max(self.peer(i).election_deadline for i in chosen)
            self.clock.advance(max(0.0, latest - self.clock.now()))
        else:
            self.clock.advance(ELECTION_TIMEOUT_MAX_S)
        out = []
        for i in chosen:
            rf = self.peer(i)
            with rf.mu:
                if rf.role is Role.LEADER or rf.election_deadline > self.clock.now():
                    out.append(f"{i} did not time out ({rf.role.name.lower()})")
                    continue
                rf._start_election_locked()
                out.append(f"{i} timed out: {rf.role.name.lower()} in T{rf.current_term}")
        self.pump()
        return out

    def tick_heartbeat(self) -> None:
        self.clock.advance(HEARTBEAT_INTERVAL_S)
        self.pump()

    def pump(self) -> None:
        """One pass of every leader's replicators, each sending while it has something to send."""
        for rf in self.rafts:
            with rf.mu:
                for peer in sorted(rf.replicate_conds):
                    for _ in range(100):
                        if rf._replicate_locked(peer) != 0:
                            break
                    else:
                        raise AssertionError(f"peer {rf.me + 1}'s replicator for {peer + 1} never settles")

    # --- the network -----------------------------------------------------------------------

    def deliver(self, sel: str = "", which: str = "all") -> list[str]:
        """Deliver the pending messages matching sel (all, or the first or last of them)."""
        out = []
        for msg in self._take(sel, which):
            out.extend(self._deliver_one(msg))
            self.pump()
        return out

    def drop(self, sel: str = "", which: str = "all") -> list[str]:
        out = []
        for msg in self._take(sel, which):
            out.append(f"{msg} -> dropped")
            rf = self.peer(msg.src)
            with rf.mu:
                msg.on_lost()
        return out

    def stabilize(self) -> list[str]:
        out: list[str] = []
        self.pump()
        for _ in range(MAX_STABILIZE_ROUNDS):
            if not self.mailbox:
                return out
            out.extend(self.deliver())
        raise AssertionError(f"no quiet after {MAX_STABILIZE_ROUNDS} rounds of delivery")

    def partition(self, *groups: list[int]) -> None:
        members = sorted(i for g in groups for i in g)
        if members != list(self.ids()):
            raise ValueError(f"partition must name each peer once, got {groups}")
        self.cut = {(a, b) for g in groups for h in groups if g is not h for a in g for b in h}

    def heal(self) -> None:
        self.cut = set()

    def _take(self, sel: str, which: str) -> list[Message]:
        chosen = self.pending(sel)
        if which == "first":
            chosen = chosen[:1]
        elif which == "last":
            chosen = chosen[-1:]
        elif which != "all":
            raise ValueError(f"expected first, last or nothing, got {which!r}")
        taken = {id(m) for m in chosen}
        self.mailbox[:] = [m for m in self.mailbox if id(m) not in taken]
        return chosen

    def _deliver_one(self, msg: Message) -> list[str]:
        src, dst = self.peer(msg.src), self.peer(msg.dst)
        if (msg.src, msg.dst) in self.cut:
            with src.mu:
                msg.on_lost()
            return [f"{msg} -> lost (partitioned)"]
        before = {i: peer_state(self.peer(i)) for i in (msg.dst, msg.src)}
        reply = self._call_handler(dst, msg.method.removeprefix("Raft."), msg.args)
        with src.mu:
            msg.on_reply(reply)
        out = [f"{msg} -> {format_reply(reply)}"]
        for i, old in before.items():
            note = state_change(old, peer_state(self.peer(i)))
            if note:
                out.append(f"  {i}: {note}")
        return out

    def inject(self, src: int, dst: int, args: Any) -> list[str]:
        """Hand dst a request as if src had sent it, whatever src's state: for messages this
        Raft never sends (a bare heartbeat or a partial batch from an etcd-style leader, a
        message from a leader long gone) that the receiver's rules must still handle. The
        reply is printed and goes nowhere."""
        dst_peer = self.peer(dst)
        before = peer_state(dst_peer)
        reply = self._call_handler(dst_peer, wire_name(type(args).__name__.removesuffix("Args")), args)
        out = [f"{src}->{dst} {format_args(args)} -> {format_reply(reply)}"]
        note = state_change(before, peer_state(dst_peer))
        if note:
            out.append(f"  {dst}: {note}")
        return out

    @staticmethod
    def _call_handler(dst: ScriptedPeer, method: str, args: Any) -> Any:
        """Call dst's handler for method ("AppendEntries") with a codec copy of args, and
        return a codec copy of its reply, as labrpc would."""
        handlers = {
            wire_name(name): getattr(dst, name) for name in ("request_vote", "append_entries", "install_snapshot")
        }
        reply = handlers[method](codec.decode(codec.encode(args)))
        return codec.decode(codec.encode(reply))

    # --- the service's side ----------------------------------------------------------------

    def propose(self, i: int, command: Any) -> tuple[int, int, bool]:
        result = self.peer(i).start(command)
        self.pump()
        return result

    def snapshot(self, i: int, index: int) -> None:
        self.peer(i).snapshot(index, f"state@{index}".encode())
        self.pump()

    def apply(self, i: int) -> list[ApplyMsg]:
        """Everything peer i's applier would hand to the service now, in order."""
        rf = self.peer(i)
        msgs: list[ApplyMsg] = []
        with rf.mu:
            while rf.last_applied < rf.commit_index or rf.pending_snapshot is not None:
                batch = rf._next_batch_locked()
                assert batch is not None
                msgs.extend(batch)
        return msgs

    def restart(self, i: int) -> None:
        """Crash peer i (messages to and from it are lost with it) and start a new peer on a
        copy of its persister, as the course's tester does."""
        self.peer(i).kill()
        self.mailbox[:] = [m for m in self.mailbox if i not in (m.src, m.dst)]
        self.persisters[i - 1] = self.persisters[i - 1].copy()
        self.rafts[i - 1] = self._make(i)

    def set_log(self, i: int, terms: list[int]) -> None:
        """Setup only: give peer i a log of entries with these terms; its term becomes at
        least the last of them. Persisted, as if it had got there by the rules."""
        rf = self.peer(i)
        with rf.mu:
            rf.log = RaftLog(0, 0, [LogEntry(t, f"c{k}") for k, t in enumerate(terms, 1)])
            if terms and terms[-1] > rf.current_term:
                rf.current_term, rf.voted_for = terms[-1], None
            rf._persist_locked()


# --- printing ----------------------------------------------------------------------------------


def format_log(log: RaftLog) -> str:
    entries = [f"{k}:T{log.term_at(k)}" for k in range(log.snapshot_index + 1, log.last_index + 1)]
    if log.snapshot_index:
        entries.insert(0, f"snap=({log.snapshot_index},T{log.snapshot_term})")
    return " ".join(entries) or "empty"


def format_entries(first: int, entries: list[LogEntry]) -> str:
    return "[" + " ".join(f"{first + k}:T{e.term}" for k, e in enumerate(entries)) + "]"


def format_args(args: Any) -> str:
    if isinstance(args, RequestVoteArgs):
        return f"RequestVote T{args.term} last=({args.last_log_index},T{args.last_log_term})"
    if isinstance(args, AppendEntriesArgs):
        entries = format_entries(args.prev_log_index + 1, args.entries)
        return (
            f"AppendEntries T{args.term} prev=({args.prev_log_index},T{args.prev_log_term}) {entries} "
            f"commit={args.leader_commit}"
        )
    if isinstance(args, InstallSnapshotArgs):
        return f"InstallSnapshot T{args.term} snap=({args.last_included_index},T{args.last_included_term})"
    return repr(args)


def format_reply(reply: Any) -> str:
    if isinstance(reply, RequestVoteReply):
        return f"{'granted' if reply.vote_granted else 'refused'} T{reply.term}"
    if isinstance(reply, AppendEntriesReply):
        if reply.success:
            return f"ok T{reply.term}"
        return f"reject T{reply.term} x_term={reply.x_term} x_index={reply.x_index} x_len={reply.x_len}"
    if isinstance(reply, InstallSnapshotReply):
        return f"T{reply.term}"
    return repr(reply)


def format_apply(msg: ApplyMsg) -> str:
    if msg.snapshot_valid:
        return f"snapshot ({msg.snapshot_index},T{msg.snapshot_term}) {msg.snapshot.decode(errors='replace')}"
    return f"{msg.command_index}:T{msg.command_term} {msg.command}"


def describe_peer(i: int, rf: Raft) -> str:
    voted = "-" if rf.voted_for is None else str(rf.voted_for + 1)
    return (
        f"{i}: {rf.role.name.lower():<9} T{rf.current_term} voted={voted} log={format_log(rf.log)} "
        f"commit={rf.commit_index} applied={rf.last_applied}"
    )


def peer_state(rf: Raft) -> tuple[int, str, int, str]:
    return rf.current_term, rf.role.name.lower(), rf.commit_index, format_log(rf.log)


def state_change(old: tuple[int, str, int, str], new: tuple[int, str, int, str]) -> str:
    parts = []
    if old[0] != new[0]:
        parts.append(f"T{old[0]}->T{new[0]}")
    if old[1] != new[1]:
        parts.append(f"{old[1]}->{new[1]}")
    if old[2] != new[2]:
        parts.append(f"commit {old[2]}->{new[2]}")
    if old[3] != new[3]:
        parts.append(f"log {new[3]}")
    return ", ".join(parts)


_ARGS_FORMS = {
    "RequestVote": r"RequestVote T(\d+) last=\((\d+),T(\d+)\)",
    "AppendEntries": r"AppendEntries T(\d+) prev=\((\d+),T(\d+)\) \[([^\]]*)\] commit=(\d+)",
    "InstallSnapshot": r"InstallSnapshot T(\d+) snap=\((\d+),T(\d+)\)",
}


def parse_args(text: str, src: int) -> Any:
    """The request format_args prints, read back (src is 1-based). Entries get commands c1,
    c2, ... by index; a snapshot's data is state@INDEX, as ScriptedCluster.snapshot makes."""
    for name, form in _ARGS_FORMS.items():
        found = re.fullmatch(form, text)
        if not found:
            continue
        if name == "RequestVote":
            term, index, last_term = map(int, found.groups())
            return RequestVoteArgs(term, src - 1, index, last_term)
        if name == "InstallSnapshot":
            term, index, snap_term = map(int, found.groups())
            return InstallSnapshotArgs(term, src - 1, index, snap_term, f"state@{index}".encode())
        term, prev, prev_term, commit = (int(found.group(k)) for k in (1, 2, 3, 5))
        entries = []
        for k, item in enumerate(found.group(4).split()):
            entry = re.fullmatch(r"(\d+):T(\d+)", item)
            if not entry or int(entry.group(1)) != prev + 1 + k:
                raise ValueError(f"expected entry {prev + 1 + k}:T<term> after prev={prev}, got {item!r}")
            entries.append(LogEntry(int(entry.group(2)), f"c{entry.group(1)}"))
        return AppendEntriesArgs(term, src - 1, prev, prev_term, entries, commit)
    raise ValueError(f"not a request as deliver prints one: {text!r}")


def selector(sel: str) -> Callable[[Message], bool]:
    """'' or '*' matches everything; 'A->B', 'A->*', '*->B' match by src and dst."""
    if sel in ("", "*", "*->*"):
        return lambda m: True
    found = re.fullmatch(r"(\d+|\*)->(\d+|\*)", sel)
    if not found:
        raise ValueError(f"expected A->B, A->* or *->B, got {sel!r}")
    src, dst = (None if part == "*" else int(part) for part in found.groups())
    return lambda m: (src is None or m.src == src) and (dst is None or m.dst == dst)


# --- scripts -----------------------------------------------------------------------------------

OUTPUT_PREFIX = ">"


def run_script(text: str) -> str:
    """Run a script and return it with every output block replaced by what its command
    printed: equal to text exactly when the script's golden output still holds."""
    out: list[str] = []
    cluster: ScriptedCluster | None = None
    try:
        for lineno, line in enumerate(text.splitlines(), 1):
            if line.startswith(OUTPUT_PREFIX):
                continue  # the expected output of the command above: regenerated below
            out.append(line)
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            words = stripped.split()
            try:
                if words[0] == "cluster":
                    if cluster is not None:
                        raise ValueError("one cluster per script")
                    cluster = ScriptedCluster(int(words[1]))
                    continue
                if cluster is None:
                    raise ValueError("the script must start with 'cluster N'")
                printed = run_command(cluster, words)
            except (ValueError, IndexError, KeyError) as e:
                raise ScriptError(f"line {lineno}: {line!r}: {type(e).__name__}: {e}") from e
            out.extend(f"{OUTPUT_PREFIX} {p}".rstrip() for p in printed)
    finally:
        if cluster is not None:
            cluster.close()
    return "\n".join(out) + "\n"


class ScriptError(Exception):
    """A script line the runner cannot run (not a Raft failure)."""


def run_command(c: ScriptedCluster, words: list[str]) -> list[str]:
    cmd, rest = words[0], words[1:]
    if cmd == "campaign":
        c.campaign(int(rest[0]))
        return []
    if cmd == "tick":
        if rest[0] == "election":
            return c.tick_election(*map(int, rest[1:]))
        if rest[0] == "heartbeat" and len(rest) == 1:
            c.tick_heartbeat()
            return []
        raise ValueError("tick election [I ...] or tick heartbeat")
    if cmd == "propose":
        i = int(rest[0])
        command = " ".join(rest[1:])
        index, term, is_leader = c.propose(i, command)
        if not is_leader:
            return [f"{i} is not leader (T{term}): refused {command}"]
        return [f"{i} appended {command} at {index}:T{term}"]
    if cmd in ("deliver", "drop"):
        sel = rest[0] if rest and rest[0] not in ("first", "last") else ""
        which = rest[-1] if rest and rest[-1] in ("first", "last") else "all"
        out = c.deliver(sel, which) if cmd == "deliver" else c.drop(sel, which)
        return out or ["nothing to " + cmd]
    if cmd == "stabilize":
        return c.stabilize() or ["nothing to deliver"]
    if cmd == "send":
        src, dst = (int(x) for x in rest[0].split("->"))
        return c.inject(src, dst, parse_args(" ".join(rest[1:]), src))
    if cmd == "mailbox":
        return [str(m) for m in c.mailbox] or ["empty"]
    if cmd == "partition":
        groups = [[int(w) for w in group.split()] for group in " ".join(rest).split("|")]
        c.partition(*groups)
        return []
    if cmd == "heal":
        c.heal()
        return []
    if cmd == "restart":
        c.restart(int(rest[0]))
        return []
    if cmd == "log":
        c.set_log(int(rest[0]), [int(t) for t in rest[1:]])
        return []
    if cmd == "snapshot":
        i, index = int(rest[0]), int(rest[1])
        try:
            c.snapshot(i, index)
        except ValueError:
            return [f"{i} refused: snapshot at {index} (ValueError)"]
        return []
    if cmd == "apply":
        i = int(rest[0])
        return [f"{i} applied {format_apply(m)}" for m in c.apply(i)] or [f"{i} has nothing to apply"]
    if cmd == "progress":
        return c.progress(int(rest[0]))
    if cmd == "describe":
        return c.describe().splitlines()
    raise ValueError(f"unknown command {cmd!r}")
