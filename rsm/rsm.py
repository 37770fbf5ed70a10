"""RSM: one server's replica of a state machine, kept in step with its peers by Raft.

How an op travels (handout 3A, the same for every service built on this):

1. submit() wraps the op in a Command (with the client's id and seq, if it has them) and
   hands it to rf.start(); a follower answers at once with (False, None).
2. The apply loop receives committed Commands from apply_ch, in log order. A client's
   Command whose seq is not above the last one applied for that client is a retry: it is
   not applied again. Every other Command goes to sm.apply().
3. submit() waits for its index. If the entry applied there has the term start() returned,
   it is this submit's own, and it returns (True, result): a term has one leader, which
   places one entry at an index (Fig. 2's Log Matching). Any other entry there, even an equal
   Command (two clerks' Gets of one key are equal), was proposed by another leader, perhaps
   long before this one: (False, None), and the clerk retries elsewhere. It gives up
   when Raft's term changes or it loses leadership ("a leader that has lost its leadership
   ... the request may never be committed"), on kill(), or after APPLY_WAIT_S, so a leader
   stranded in a minority partition does not hold a clerk forever.

Snapshots (handout 3B): when the persisted Raft state nears maxraftstate, the apply loop
snapshots the last applied index, the duplicate table and sm.snapshot(), and hands the bytes
to rf.snapshot(). A new RSM starts from persister.read_snapshot(); a snapshot that Raft
delivers on apply_ch (a lagging peer got InstallSnapshot) replaces the state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import runtime
from labrpc import Channel, ClientEnd, codec, debug
from raft import ApplyMsg, Persister, make
from raft.persist import CorruptStateError
from rsm.dedup import DuplicateTable

# How long submit() waits for its entry to be applied before letting the clerk try another
# server. A healthy commit takes tens of ms; an unreliable network, a few hundred.
APPLY_WAIT_S = 0.8
# How often a waiting submit() asks Raft whether its term or leadership changed.
TERM_CHECK_S = 0.05
# Snapshot once the Raft state reaches this share of maxraftstate ("approaches" it, handout
# 3B), so that entries appended meanwhile still leave it under the limit most of the time.
SNAPSHOT_THRESHOLD = 0.9


class StateMachine(Protocol):
    """The application's state. RSM calls these on its apply thread, holding rsm.mu; they
    must not call back into the RSM (submit would wait for the very thread it blocks)."""

    def apply(self, op: Any) -> Any:
        """Apply one committed op; the result goes to the submit() that proposed it."""

    def snapshot(self) -> Any:
        """The whole state, as a value the codec can encode."""

    def restore(self, state: Any) -> None:
        """Replace the state by one that snapshot() returned (on this or another replica)."""


class CorruptSnapshotError(CorruptStateError):
    """A snapshot that no RSM could have written."""


@codec.register
@dataclass
class Command:
    """One log entry: an op, with its client's id and seq when duplicates must be caught."""

    op: Any
    client_id: int | None = None  # None: applied every time it is committed
    seq: int = 0  # the client's operation number, from 1


class _Waiter:
    """A submit() waiting for the entry at its index."""

    def __init__(self, command: Command, term: int, mu: Any) -> None:
        self.command = command
        self.term = term  # start()'s term: the entry at our index is ours only if it has this term
        # Notified when the outcome is known, and by kill(); shares rsm.mu.
        self.resolved = runtime.Condition(mu)
        self.done = False
        self.ok = False
        self.result: Any = None

    def resolve_locked(self, ok: bool, result: Any = None) -> None:
        self.done, self.ok, self.result = True, ok, result
        self.resolved.notify()


class RSM:
    def __init__(
        self,
        servers: list[ClientEnd],
        me: int,
        persister: Persister,
        maxraftstate: int,
        sm: StateMachine,
        topic: str = "RSM",
    ) -> None:
        self.me = me
        self.maxraftstate = maxraftstate  # snapshot when the Raft state nears this many bytes; -1 never
        self.persister = persister
        self.sm = sm
        self.topic = topic  # debug topic of this service's lines
        self.mu = runtime.Lock()  # guards sm and every field below
        self.dedup = DuplicateTable()  # for Commands with a client_id
        self.pending: dict[int, _Waiter] = {}  # log index -> the submit() waiting for it
        self.last_applied = 0  # index of the last entry in sm
        self.last_snapshot_index = 0  # last_applied at the latest snapshot
        self.snapshots_taken = 0  # statistics
        self.dead = runtime.Event()
        with self.mu:
            self._restore_locked(persister.read_snapshot())
        self.apply_ch: Channel[ApplyMsg] = Channel()
        self.rf = make(servers, me, persister, self.apply_ch)
        runtime.go(self._apply_loop, name=f"{topic}{me}-applier")

    # --- the submitting side ----------------------------------------------------------------

    def submit(self, op: Any, client_id: int | None = None, seq: int = 0) -> tuple[bool, Any]:
        """Replicate op and wait until it is applied; (True, result) or (False, None), as the
        module docstring of rsm says."""
        command = Command(op, client_id, seq)
        with self.mu:
            if self.killed():
                return False, None
            # rf.start() under mu, so the waiter is registered before the apply loop can
            # reach the index. Safe: Raft never waits for mu (its applier sends unlocked).
            index, term, is_leader = self.rf.start(command)
            if not is_leader:
                return False, None
            waiter = self._register_locked(index, term, command)
        if debug.enabled(self.topic):
            debug.log(self.topic, f"start {command} at {index}", peer=self.me, term=term, role="L")
        try:
            return self._await(waiter, term)
        finally:
            with self.mu:
                if self.pending.get(index) is waiter:
                    del self.pending[index]

    def is_duplicate(self, client_id: int, seq: int) -> bool:
        """Has this client's op seq been applied here? (Racy: it may turn True right after.)"""
        with self.mu:
            return self.dedup.is_duplicate(client_id, seq)

    def _register_locked(self, index: int, term: int, command: Command) -> _Waiter:
        stale = self.pending.get(index)
        if stale is not None:
            # Our earlier leadership proposed something at this index and lost it: that
            # entry was overwritten, since Raft hands out an index only once per log.
            stale.resolve_locked(False)
        waiter = self.pending[index] = _Waiter(command, term, self.mu)
        return waiter

    def _await(self, waiter: _Waiter, term: int) -> tuple[bool, Any]:
        deadline = runtime.now() + APPLY_WAIT_S
        while True:
            with self.mu:
                remaining = deadline - runtime.now()
                if not waiter.done and remaining > 0 and not self.killed():
                    waiter.resolved.wait(min(remaining, TERM_CHECK_S))
                if waiter.done:
                    return waiter.ok, waiter.result
                if self.killed() or runtime.now() >= deadline:
                    return False, None
            # Ask Raft without holding mu: it takes Raft's lock.
            current_term, is_leader = self.rf.get_state()
            if current_term != term or not is_leader:
                return False, None

    # --- the apply loop ---------------------------------------------------------------------

    def _apply_loop(self) -> None:
        """Apply what Raft commits, in order, until kill() closes the channel."""
        for msg in self.apply_ch:
            if msg.command_valid:
                self._apply_command(msg.command_index, msg.command_term, msg.command)
            elif msg.snapshot_valid:
                self._apply_snapshot(msg)

    def _apply_command(self, index: int, term: int, command: Any) -> None:
        with self.mu:
            if index <= self.last_applied:
                return  # already in the state we restored from a snapshot
            self.last_applied = index
            result = self._execute_locked(command)
            waiter = self.pending.pop(index, None)
            if waiter is not None:
                # The term, not equality, says whose entry this is (see the module
                # docstring, step 3); equal too, or Raft broke Log Matching.
                mine = term == waiter.term
                if mine and command != waiter.command:
                    raise AssertionError(
                        f"{self.topic}{self.me}: entry {index} of term {term} is "
                        f"{command!r}, but this leader proposed {waiter.command!r}"
                    )
                waiter.resolve_locked(mine, result if mine else None)
            snapshot = self._maybe_snapshot_locked()
        if snapshot is not None:
            # Outside mu: Raft takes its own lock, and must never wait for ours.
            self.rf.snapshot(index, snapshot)

    def _execute_locked(self, command: Any) -> Any:
        if not isinstance(command, Command):
            raise TypeError(f"{self.topic}{self.me}: log entry {command!r} is not an rsm.Command")
        if command.client_id is not None and not self.dedup.record(command.client_id, command.seq):
            return None  # a retry of an op already applied
        return self.sm.apply(command.op)

    def _apply_snapshot(self, msg: ApplyMsg) -> None:
        """A snapshot from the leader (InstallSnapshot): adopt it if it is ahead of us."""
        # As the 2022 skeleton: ask Raft first, so Raft and service switch together.
        if not self.rf.cond_install_snapshot(msg.snapshot_term, msg.snapshot_index, msg.snapshot):
            return
        with self.mu:
            if msg.snapshot_index <= self.last_applied:
                return
            self._restore_locked(msg.snapshot)
            # The entries the waiters wait for are inside the snapshot: whose they were is
            # unknown, so each clerk retries, and the duplicate table answers it.
            for index in [i for i in self.pending if i <= self.last_applied]:
                self.pending.pop(index).resolve_locked(False)
        debug.log(self.topic, f"installed snapshot at {msg.snapshot_index}", peer=self.me)

    # --- snapshots --------------------------------------------------------------------------

    def _maybe_snapshot_locked(self) -> bytes | None:
        """The snapshot bytes if the Raft state is near maxraftstate, else None."""
        if self.maxraftstate < 0 or self.last_applied <= self.last_snapshot_index:
            return None
        if self.persister.raft_state_size() < SNAPSHOT_THRESHOLD * self.maxraftstate:
            return None
        self.last_snapshot_index = self.last_applied
        self.snapshots_taken += 1
        # Compact on purpose (TestSnapshotSize3B allows 500 bytes): a tuple carries no names,
        # and the codec writes ints as varints.
        return codec.encode((self.last_applied, self.dedup.last_seq, self.sm.snapshot()))

    def _restore_locked(self, snapshot: bytes) -> None:
        """Adopt a snapshot's state; raise CorruptSnapshotError, changing nothing, if it is
        unreadable. An empty snapshot (a fresh server) leaves everything as it is."""
        if not snapshot:
            return
        index, last_seq, state = _decode_snapshot(snapshot)
        self.sm.restore(state)
        self.last_applied = self.last_snapshot_index = index
        self.dedup = DuplicateTable(last_seq)

    # --- the end ----------------------------------------------------------------------------

    def kill(self) -> None:
        """Stop Raft and the apply loop; every waiting submit() returns (False, None)."""
        self.dead.set()
        self.rf.kill()
        # Closing the channel ends the apply loop and makes a Raft send in progress raise.
        self.apply_ch.close()
        with self.mu:
            for waiter in self.pending.values():
                waiter.resolved.notify()
        debug.log(self.topic, "killed", peer=self.me)

    def killed(self) -> bool:
        return self.dead.is_set()


def _decode_snapshot(snapshot: bytes) -> tuple[int, dict[int, int], Any]:
    try:
        value = codec.decode(snapshot)
    except codec.CodecError as e:
        raise CorruptSnapshotError(f"corrupt snapshot: {e}") from None
    if not (isinstance(value, tuple) and len(value) == 3):
        raise CorruptSnapshotError(f"corrupt snapshot: expected (index, duplicate table, state), got {value!r:.80}")
    index, last_seq, state = value
    if not (_is_count(index) and index > 0):
        raise CorruptSnapshotError(f"corrupt snapshot: last applied index {index!r} must be an int > 0")
    if not (isinstance(last_seq, dict) and all(_is_count(c) and _is_count(s) for c, s in last_seq.items())):
        raise CorruptSnapshotError("corrupt snapshot: the duplicate table must map client ids to seqs (ints >= 0)")
    return index, last_seq, state


def _is_count(n: object) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and n >= 0
