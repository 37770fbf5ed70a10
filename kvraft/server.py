"""KVServer: a key/value state machine replicated with Raft (the course's kvraft/server.go).

    kv = start_kv_server(servers, me, persister, maxraftstate)   returns at once
    kv.rf                          the Raft peer (the tester registers it and asks its state)
    kv.kill()                      kills Raft; every thread of this server exits

RPCs (handlers, wire names by the CamelCase rule): "KVServer.Get" and "KVServer.PutAppend".

How a request is served (handout 3A):

1. The handler hands an Op to rf.start(); a follower answers ErrWrongLeader at once.
2. The apply loop receives committed Ops from apply_ch, in log order, and applies each to
   the map, unless the Op is a duplicate (its client's seq is not above the last one
   applied for that client: a retried Put/Append applies once).
3. The handler waits on ``applied`` until its index has been applied. If by then its own
   client and seq count as applied, it answers (a Get reads the map then); otherwise a
   different entry took its index, and it answers ErrWrongLeader. It also gives up when
   Raft's term changes or it loses leadership ("a leader that has lost its leadership ...
   the request may never be committed"), or after APPLY_WAIT_S, so a leader stranded in a
   minority partition does not hold a clerk forever.

Snapshots (handout 3B): when the persisted Raft state nears maxraftstate, the apply loop
snapshots the map, the duplicate table and the last applied index, and hands the bytes to
rf.snapshot(). A restarted server starts from persister.read_snapshot(); a snapshot that
Raft delivers on apply_ch (a lagging peer got InstallSnapshot) replaces the state.
"""

from __future__ import annotations

from dataclasses import dataclass

import runtime
from kvraft.common import (
    APPEND,
    ERR_NO_KEY,
    ERR_WRONG_LEADER,
    GET,
    OK,
    PUT,
    GetArgs,
    GetReply,
    PutAppendArgs,
    PutAppendReply,
)
from labrpc import Channel, ClientEnd, codec, debug, handler
from raft import ApplyMsg, Persister, make

# How long a handler waits for its entry to be applied before letting the clerk try
# another server. A healthy commit takes tens of ms; an unreliable network, a few hundred.
APPLY_WAIT_S = 0.8
# How often a waiting handler asks Raft whether its term or leadership changed.
TERM_CHECK_S = 0.05
# Snapshot once the Raft state reaches this share of maxraftstate ("approaches" it, handout
# 3B), so that entries appended meanwhile still leave it under the limit most of the time.
SNAPSHOT_THRESHOLD = 0.9


@codec.register
@dataclass
class Op:
    """One log entry: a client's operation, as Raft replicates it."""

    kind: str  # GET, PUT or APPEND
    key: str
    value: str  # "" for GET
    client_id: int
    seq: int


class KVServer:
    def __init__(self, servers: list[ClientEnd], me: int, persister: Persister, maxraftstate: int) -> None:
        self.me = me
        self.maxraftstate = maxraftstate  # snapshot when the Raft state nears this many bytes; -1 never
        self.persister = persister
        self.mu = runtime.Lock()
        # Notified after each applied entry or installed snapshot, and by kill(); handlers
        # wait on it for their index.
        self.applied = runtime.Condition(self.mu)
        self.data: dict[str, str] = {}  # the state machine; guarded by mu
        # client_id -> highest seq applied for that client; guarded by mu. One int per client
        # is enough because a clerk has one operation outstanding at a time.
        self.last_seq: dict[int, int] = {}
        self.last_applied = 0  # index of the last entry in data; guarded by mu
        self.last_snapshot_index = 0  # last_applied at the latest snapshot; guarded by mu
        self.snapshots_taken = 0  # statistics, guarded by mu
        self.dead = runtime.Event()
        self._restore(persister.read_snapshot())
        self.apply_ch: Channel[ApplyMsg] = Channel()
        self.rf = make(servers, me, persister, self.apply_ch)
        runtime.go(self._apply_loop, name=f"KV{me}-applier")

    # --- RPC handlers -----------------------------------------------------------------------

    @handler
    def get(self, args: GetArgs) -> GetReply:
        err, value = self._submit(Op(GET, args.key, "", args.client_id, args.seq))
        return GetReply(err, value)

    @handler
    def put_append(self, args: PutAppendArgs) -> PutAppendReply:
        if args.op not in (PUT, APPEND):
            raise ValueError(f"PutAppend: op {args.op!r}; expecting one of {PUT!r}, {APPEND!r}")
        with self.mu:
            # A retry of a Put/Append this server has already applied: it was committed, so
            # saying OK is true without a second trip through the log.
            if self.last_seq.get(args.client_id, 0) >= args.seq:
                return PutAppendReply(OK)
        err, _ = self._submit(Op(args.op, args.key, args.value, args.client_id, args.seq))
        return PutAppendReply(err)

    def kill(self) -> None:
        """Stop Raft and the apply loop; waiting handlers answer ErrWrongLeader."""
        self.dead.set()
        self.rf.kill()
        # Closing the channel ends the apply loop and makes a Raft send in progress raise.
        self.apply_ch.close()
        with self.mu:
            self.applied.notify_all()
        debug.log("KVSV", "killed", peer=self.me)

    def killed(self) -> bool:
        return self.dead.is_set()

    # --- a request's trip through the log ---------------------------------------------------

    def _submit(self, op: Op) -> tuple[str, str]:
        """Put op in the log and wait until it is applied; (err, value read by a Get)."""
        if self.killed():
            return ERR_WRONG_LEADER, ""
        index, term, is_leader = self.rf.start(op)
        if not is_leader:
            return ERR_WRONG_LEADER, ""
        if debug.enabled("KVSV"):
            debug.log("KVSV", f"start {op} at {index}", peer=self.me, term=term, role="L")
        return self._await_applied(index, term, op)

    def _await_applied(self, index: int, term: int, op: Op) -> tuple[str, str]:
        deadline = runtime.now() + APPLY_WAIT_S
        while True:
            with self.mu:
                remaining = deadline - runtime.now()
                if self.last_applied < index and remaining > 0 and not self.killed():
                    self.applied.wait(min(remaining, TERM_CHECK_S))
                if self.last_applied >= index:
                    return self._outcome_locked(op)
                if self.killed() or runtime.now() >= deadline:
                    return ERR_WRONG_LEADER, ""
            # Ask Raft without holding mu: it takes Raft's lock.
            current_term, is_leader = self.rf.get_state()
            if current_term != term or not is_leader:
                return ERR_WRONG_LEADER, ""

    def _outcome_locked(self, op: Op) -> tuple[str, str]:
        """The answer once index is applied: did op get applied (at index or earlier)?"""
        if self.last_seq.get(op.client_id, 0) < op.seq:
            # Another leader's entry took our index; the clerk will retry elsewhere.
            return ERR_WRONG_LEADER, ""
        if op.kind != GET:
            return OK, ""
        value = self.data.get(op.key)
        return (OK, value) if value is not None else (ERR_NO_KEY, "")

    # --- the apply loop ---------------------------------------------------------------------

    def _apply_loop(self) -> None:
        """Apply what Raft commits, in order, until kill() closes the channel."""
        for msg in self.apply_ch:
            if msg.command_valid:
                self._apply_command(msg.command_index, msg.command)
            elif msg.snapshot_valid:
                self._apply_snapshot(msg)

    def _apply_command(self, index: int, command: object) -> None:
        with self.mu:
            if index <= self.last_applied:
                return  # already in the state we restored from a snapshot
            self.last_applied = index
            if isinstance(command, Op):  # anything else (a Raft no-op) only takes an index
                self._execute_locked(command)
            self.applied.notify_all()
            snapshot = self._maybe_snapshot_locked()
        if snapshot is not None:
            # Outside mu: Raft takes its own lock, and must never wait for ours.
            self.rf.snapshot(index, snapshot)

    def _execute_locked(self, op: Op) -> None:
        if op.seq <= self.last_seq.get(op.client_id, 0):
            return  # a duplicate of an operation already applied (a retry)
        self.last_seq[op.client_id] = op.seq
        if op.kind == PUT:
            self.data[op.key] = op.value
        elif op.kind == APPEND:
            self.data[op.key] = self.data.get(op.key, "") + op.value
        # GET changes nothing; its seq is recorded so the waiting handler knows it went through.

    def _apply_snapshot(self, msg: ApplyMsg) -> None:
        """A snapshot from the leader (InstallSnapshot): adopt it if it is ahead of us."""
        # As the 2022 skeleton: ask Raft first, so Raft and service switch together.
        if not self.rf.cond_install_snapshot(msg.snapshot_term, msg.snapshot_index, msg.snapshot):
            return
        with self.mu:
            if msg.snapshot_index <= self.last_applied:
                return
            self._restore_locked(msg.snapshot)
            self.last_applied = self.last_snapshot_index = msg.snapshot_index
            self.applied.notify_all()
        debug.log("KVSV", f"installed snapshot at {msg.snapshot_index}", peer=self.me)

    # --- snapshots --------------------------------------------------------------------------

    def _maybe_snapshot_locked(self) -> bytes | None:
        """The snapshot bytes if the Raft state is near maxraftstate, else None."""
        if self.maxraftstate < 0 or self.last_applied <= self.last_snapshot_index:
            return None
        if self.persister.raft_state_size() < SNAPSHOT_THRESHOLD * self.maxraftstate:
            return None
        self.last_snapshot_index = self.last_applied
        self.snapshots_taken += 1
        # Compact on purpose (TestSnapshotSize3B allows 500 bytes): the index, the map and one
        # int per client, in the codec's varint format.
        return codec.encode((self.last_applied, self.data, self.last_seq))

    def _restore(self, snapshot: bytes) -> None:
        with self.mu:
            self._restore_locked(snapshot)

    def _restore_locked(self, snapshot: bytes) -> None:
        if not snapshot:
            return
        index, data, last_seq = codec.decode(snapshot)
        self.last_applied = self.last_snapshot_index = index
        self.data, self.last_seq = data, last_seq


def start_kv_server(servers: list[ClientEnd], me: int, persister: Persister, maxraftstate: int) -> KVServer:
    """As the course's StartKVServer: servers[me] is this server's own end; returns at once."""
    return KVServer(servers, me, persister, maxraftstate)
