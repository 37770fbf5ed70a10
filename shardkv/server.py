"""ShardKV: one replica of a shard group (the course's shardkv/server.go).

    kv = start_server(servers, me, persister, maxraftstate, gid, ctrlers, make_end)   returns at once
    kv.rf          the Raft peer (the tester registers it as the "Raft" service)
    kv.kill()      every thread of this replica exits

RPCs (wire names by labrpc's CamelCase rule):

    "ShardKV.Get", "ShardKV.PutAppend"   clerks; ErrWrongGroup unless this group serves the key's shard
    "ShardKV.FetchShard"                 another group pulls a shard it now owns (any replica answers)
    "ShardKV.DeleteShard"                that group has it: drop our copy (the leader answers)

The group is a replicated state machine: rsm.RSM owns the Raft peer, the apply loop,
submit-and-wait and the snapshots; store.ShardStore is the state it replicates (the shards,
their states and per-shard duplicate tables, and the configuration reached). What a handler
decides is decided again when its entry is applied, since a config change may come between.

Reconfiguration (migration.py), run by the group's leader:

* Poll the controller about every 100 ms (handout 4B) for the configuration after ours, and
  put it in our log once every shard we hold is settled: configs strictly one at a time, in
  order, each at one log position on every replica.
* Pull, not push: the new owner fetches each shard it gained from the previous owner, which
  hands it over once it has reached the same configuration (so it has frozen the shard). The
  puller puts the data in its own log; the shard is served as soon as that entry applies.
  Two groups that swap shards in one change cannot deadlock: answering a fetch needs nothing
  from the asker.
* Garbage collection (challenge 1): the new owner then asks the previous owner to delete its
  copy, which does so through its log; on success the new owner marks the shard settled.
  The previous owner cannot pass that configuration until its shard is deleted, so a shard
  exists in exactly one group once both have settled.
"""

from __future__ import annotations

from collections.abc import Callable

import runtime
from labrpc import ClientEnd, debug, handler
from raft import Persister
from rsm import RSM
from shardctrler.client import Clerk as CtrlerClerk
from shardkv.common import (
    APPEND,
    ERR_NOT_READY,
    ERR_WRONG_GROUP,
    ERR_WRONG_LEADER,
    GET,
    OK,
    PUT,
    DeleteShardArgs,
    DeleteShardReply,
    FetchShardArgs,
    FetchShardReply,
    ShardGetArgs,
    ShardGetReply,
    ShardPutAppendArgs,
    ShardPutAppendReply,
    key2shard,
)
from shardkv.migration import MigrationMixin
from shardkv.store import ClientOp, DeleteShardOp, ShardStore


class ShardKV(MigrationMixin):
    def __init__(
        self,
        servers: list[ClientEnd],
        me: int,
        persister: Persister,
        maxraftstate: int,
        gid: int,
        ctrlers: list[ClientEnd],
        make_end: Callable[[str], ClientEnd],
    ) -> None:
        self.me = me
        self.gid = gid
        self.make_end = make_end  # a server name from a Config -> an end to it
        self.dead = runtime.Event()
        self.store = ShardStore(gid)  # guarded by rsm.mu
        self.rsm = RSM(servers, me, persister, maxraftstate, self.store, topic="SKV")
        self.rf = self.rsm.rf
        # This replica's own controller clerk, for polling (never Join: handout 4B).
        self.ctrler = CtrlerClerk(ctrlers)
        self._start_migration()

    # --- clerks' RPCs ----------------------------------------------------------------------

    @handler
    def get(self, args: ShardGetArgs) -> ShardGetReply:
        with self.rsm.mu:
            if not self.store.serves(key2shard(args.key)):
                return ShardGetReply(ERR_WRONG_GROUP)
        ok, result = self.rsm.submit(ClientOp(GET, args.key, "", args.client_id, args.seq))
        if not ok:
            return ShardGetReply(ERR_WRONG_LEADER)
        err, value = result
        return ShardGetReply(err, value)

    @handler
    def put_append(self, args: ShardPutAppendArgs) -> ShardPutAppendReply:
        if args.op not in (PUT, APPEND):
            raise ValueError(f"PutAppend: op {args.op!r}; expecting one of {PUT!r}, {APPEND!r}")
        shard = key2shard(args.key)
        with self.rsm.mu:
            if not self.store.serves(shard):
                return ShardPutAppendReply(ERR_WRONG_GROUP)
            # A retry of a Put/Append already applied (here, or by the shard's previous
            # owner: the table moved with the shard): OK without a second trip through the log.
            if self.store.is_duplicate(shard, args.client_id, args.seq):
                return ShardPutAppendReply(OK)
        ok, result = self.rsm.submit(ClientOp(args.op, args.key, args.value, args.client_id, args.seq))
        if not ok:
            return ShardPutAppendReply(ERR_WRONG_LEADER)
        err, _ = result
        return ShardPutAppendReply(err)

    # --- other groups' RPCs ----------------------------------------------------------------

    @handler
    def fetch_shard(self, args: FetchShardArgs) -> FetchShardReply:
        """Hand over a shard we lost in config args.config_num. Any replica may answer: once a
        replica has applied that config, the shard is frozen, so its copy is final."""
        with self.rsm.mu:
            held = self.store.offered(args.config_num, args.shard)
            if held is None:
                return FetchShardReply(ERR_NOT_READY)
            # Copies: the reply is encoded after we release the lock.
            return FetchShardReply(OK, dict(held.data), dict(held.dedup.last_seq))

    @handler
    def delete_shard(self, args: DeleteShardArgs) -> DeleteShardReply:
        """The shard's new owner has installed it: drop ours (challenge 1). OK once it is gone."""
        with self.rsm.mu:
            if self.store.config.num > args.config_num:
                return DeleteShardReply(OK)  # we could not have moved on while still holding it
        ok, err = self.rsm.submit(DeleteShardOp(args.config_num, args.shard))
        if not ok:
            return DeleteShardReply(ERR_WRONG_LEADER)
        if err == OK:
            debug.event("shard-deleted", self.me, group=self.gid, shard=args.shard, num=args.config_num)
        return DeleteShardReply(err)

    # --- life ------------------------------------------------------------------------------

    def kill(self) -> None:
        """Stop Raft, the apply loop and the migration loops (they must not go on pulling or
        deleting shards: the tester does not disable ends made by make_end)."""
        self.dead.set()
        self.ctrler.close()
        self.rsm.kill()

    def killed(self) -> bool:
        return self.dead.is_set()


def start_server(
    servers: list[ClientEnd],
    me: int,
    persister: Persister,
    maxraftstate: int,
    gid: int,
    ctrlers: list[ClientEnd],
    make_end: Callable[[str], ClientEnd],
) -> ShardKV:
    """As the course's StartServer: servers are this group's peers (servers[me] is this one);
    ctrlers reach the shard controllers; make_end(name) reaches any server a Config names;
    snapshot when the Raft state nears maxraftstate bytes (-1: never). Returns at once."""
    return ShardKV(servers, me, persister, maxraftstate, gid, ctrlers, make_end)
