"""KVServer: a key/value state machine replicated with Raft (the course's kvraft/server.go).

    kv = start_kv_server(servers, me, persister, maxraftstate)   returns at once
    kv.rf                          the Raft peer (the tester registers it and asks its state)
    kv.kill()                      kills Raft; every thread of this server exits

RPCs (handlers, wire names by the CamelCase rule): "KVServer.Get" and "KVServer.PutAppend".

The replication is rsm's (see rsm/rsm.py: the log, the apply loop, the duplicate table, the
waiting handler, snapshots near maxraftstate); this module is the map and its RPCs (handout
3A). A Put or Append goes through the log with its clerk's client_id and seq, so a retry is
applied once. A Get goes through the log too, so it sees every write committed before it
("a Get should not return stale data"), but without them: reading twice does no harm, so a
retried Get simply reads again. Either answers ErrWrongLeader when rsm could not get it
committed here.
"""

from __future__ import annotations

from dataclasses import dataclass

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
from labrpc import ClientEnd, codec, handler
from raft import Persister
from rsm import RSM, CorruptSnapshotError


@codec.register
@dataclass
class Op:
    """What a log entry asks of the map (the client's id and seq travel beside it, in the
    rsm.Command)."""

    kind: str  # GET, PUT or APPEND
    key: str
    value: str  # "" for GET


class KVStore:
    """The state machine: the map. Guarded by the RSM's mu."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def apply(self, op: Op) -> str | None:
        """A Get's value (None for a missing key); None for a Put or Append."""
        if op.kind == GET:
            return self.data.get(op.key)
        if op.kind == PUT:
            self.data[op.key] = op.value
        elif op.kind == APPEND:
            self.data[op.key] = self.data.get(op.key, "") + op.value
        else:
            raise ValueError(f"KVStore: op kind {op.kind!r}; expecting one of {GET!r}, {PUT!r}, {APPEND!r}")
        return None

    def snapshot(self) -> dict[str, str]:
        # The map itself, str -> str: compact (TestSnapshotSize3B allows 500 bytes).
        return self.data

    def restore(self, state: dict[str, str]) -> None:
        if not (isinstance(state, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in state.items())):
            raise CorruptSnapshotError(f"corrupt snapshot: the key/value map must map str to str, got {state!r:.80}")
        self.data = dict(state)


class KVServer:
    def __init__(self, servers: list[ClientEnd], me: int, persister: Persister, maxraftstate: int) -> None:
        self.me = me
        self.rsm = RSM(servers, me, persister, maxraftstate, KVStore(), topic="KVSV")
        self.rf = self.rsm.rf

    @handler
    def get(self, args: GetArgs) -> GetReply:
        ok, value = self.rsm.submit(Op(GET, args.key, ""))
        if not ok:
            return GetReply(ERR_WRONG_LEADER)
        return GetReply(OK, value) if value is not None else GetReply(ERR_NO_KEY, "")

    @handler
    def put_append(self, args: PutAppendArgs) -> PutAppendReply:
        if args.op not in (PUT, APPEND):
            raise ValueError(f"PutAppend: op {args.op!r}; expecting one of {PUT!r}, {APPEND!r}")
        # A retry of a Put/Append this server has already applied: it was committed, so
        # saying OK is true without a second trip through the log.
        if self.rsm.is_duplicate(args.client_id, args.seq):
            return PutAppendReply(OK)
        ok, _ = self.rsm.submit(Op(args.op, args.key, args.value), args.client_id, args.seq)
        return PutAppendReply(OK if ok else ERR_WRONG_LEADER)

    @property
    def snapshots_taken(self) -> int:
        """How many snapshots this server has taken (statistics, racy)."""
        return self.rsm.snapshots_taken

    def kill(self) -> None:
        """Stop Raft and the apply loop; waiting handlers answer ErrWrongLeader."""
        self.rsm.kill()

    def killed(self) -> bool:
        return self.rsm.killed()


def start_kv_server(servers: list[ClientEnd], me: int, persister: Persister, maxraftstate: int) -> KVServer:
    """As the course's StartKVServer: servers[me] is this server's own end; returns at once."""
    return KVServer(servers, me, persister, maxraftstate)
