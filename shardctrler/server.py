"""ShardCtrler: the shard controller, a Raft-replicated history of configurations (the
course's shardctrler/server.go, handout 4A).

    sc = start_server(servers, me, persister)   returns at once
    sc.rf                                       the Raft peer (testers ask its state)
    sc.kill()                                   kills Raft; every thread of this server exits

RPCs: "ShardCtrler.Join", "ShardCtrler.Leave", "ShardCtrler.Move", "ShardCtrler.Query".

Every request, a Query too, goes through the Raft log (rsm), so every replica computes the
same configurations in the same order, and "Query(-1) should reflect every Join, Leave, or
Move RPC that the shardctrler finished handling before it received the Query(-1) RPC"
(handout 4A). A retried Join, Leave or Move is applied once (rsm's duplicate table); a Query
only reads, so a retry may simply run again. The controller never snapshots: its state is
small, and the course's StartServer has no maxraftstate.
"""

from __future__ import annotations

from typing import Any

from labrpc import ClientEnd, handler
from raft import Persister
from rsm import RSM, CorruptSnapshotError
from shardctrler.balance import rebalance
from shardctrler.common import (
    ERR_WRONG_LEADER,
    Config,
    JoinArgs,
    JoinReply,
    LeaveArgs,
    LeaveReply,
    MoveArgs,
    MoveReply,
    QueryArgs,
    QueryReply,
    check_gid,
    check_shard,
)


class ConfigHistory:
    """The state machine: configs[i] is config number i. Guarded by the RSM's mu."""

    def __init__(self) -> None:
        self.configs = [Config()]

    def apply(self, op: Any) -> Any:
        if isinstance(op, QueryArgs):
            return self.query(op.num)
        latest = self.configs[-1]
        # A new Config of fresh lists and a fresh dict (handout hint: Groups is a map, and a
        # map copied by assignment is shared).
        groups = {gid: list(names) for gid, names in latest.groups.items()}
        shards = list(latest.shards)
        if isinstance(op, JoinArgs):
            groups.update((gid, list(names)) for gid, names in op.servers.items())
            shards = rebalance(shards, groups)
        elif isinstance(op, LeaveArgs):
            for gid in op.gids:
                groups.pop(gid, None)
            shards = rebalance(shards, groups)
        elif isinstance(op, MoveArgs):
            shards[op.shard] = op.gid
        else:
            raise TypeError(f"ShardCtrler: op {op!r}; expecting JoinArgs, LeaveArgs, MoveArgs or QueryArgs")
        # Groups in gid order, so that every replica's dict iterates alike.
        self.configs.append(Config(latest.num + 1, shards, dict(sorted(groups.items()))))
        return None

    def query(self, num: int) -> Config:
        """Config num; the latest for -1 or a number past it."""
        return self.configs[num] if 0 <= num < len(self.configs) else self.configs[-1]

    def snapshot(self) -> Any:
        return self.configs

    def restore(self, state: Any) -> None:
        """Refuse a history that is not configs 0, 1, 2, ... in order."""
        if not (
            isinstance(state, list) and state and all(isinstance(c, Config) and c.num == i for i, c in enumerate(state))
        ):
            raise CorruptSnapshotError(f"corrupt snapshot: expected the configs numbered 0, 1, ..., got {state!r:.80}")
        self.configs = list(state)


class ShardCtrler:
    def __init__(self, servers: list[ClientEnd], me: int, persister: Persister) -> None:
        self.me = me
        self.rsm = RSM(servers, me, persister, -1, ConfigHistory(), topic="CTRL")
        self.rf = self.rsm.rf

    @handler
    def join(self, args: JoinArgs) -> JoinReply:
        for gid in args.servers:
            check_gid(gid)
        ok, _ = self.rsm.submit(args, args.client_id, args.seq)
        return JoinReply() if ok else JoinReply(True, ERR_WRONG_LEADER)

    @handler
    def leave(self, args: LeaveArgs) -> LeaveReply:
        ok, _ = self.rsm.submit(args, args.client_id, args.seq)
        return LeaveReply() if ok else LeaveReply(True, ERR_WRONG_LEADER)

    @handler
    def move(self, args: MoveArgs) -> MoveReply:
        check_shard(args.shard)
        check_gid(args.gid)
        ok, _ = self.rsm.submit(args, args.client_id, args.seq)
        return MoveReply() if ok else MoveReply(True, ERR_WRONG_LEADER)

    @handler
    def query(self, args: QueryArgs) -> QueryReply:
        ok, config = self.rsm.submit(args)
        return QueryReply(config=config) if ok else QueryReply(True, ERR_WRONG_LEADER)

    def kill(self) -> None:
        """Stop Raft and the apply loop; waiting handlers answer wrong_leader."""
        self.rsm.kill()

    def killed(self) -> bool:
        return self.rsm.killed()


def start_server(servers: list[ClientEnd], me: int, persister: Persister) -> ShardCtrler:
    """As the course's StartServer: servers[me] is this server's own end; returns at once."""
    return ShardCtrler(servers, me, persister)
