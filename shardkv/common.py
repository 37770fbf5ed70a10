"""What clerks and shard servers say to each other (the course's shardkv/common.go).

    OK, ERR_NO_KEY, ERR_WRONG_GROUP, ERR_WRONG_LEADER   the course's Err strings
    ERR_NOT_READY                                       ours: between groups only
    key2shard(key) -> int                               the course's, unchanged
    ShardGetArgs / ShardGetReply                        "ShardKV.Get"
    ShardPutAppendArgs / ShardPutAppendReply            "ShardKV.PutAppend"; op is PUT or APPEND
    FetchShardArgs / FetchShardReply                    "ShardKV.FetchShard": a new owner pulls a shard
    DeleteShardArgs / DeleteShardReply                  "ShardKV.DeleteShard": it has it; drop ours

Clerk requests carry the clerk's client_id and a sequence number that grows by one per
operation, so a group can tell a retried Put/Append from a new one, even after the shard
moved to another group (the duplicate table travels with the shard: see store.py).

The course's GetArgs, PutAppendArgs, ... carry a "Shard" prefix here: the codec names a class
by its __qualname__ on the wire, and kvraft registered GetArgs and PutAppendArgs first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from labrpc import codec
from shardctrler.common import N_SHARDS

OK = "OK"
ERR_NO_KEY = "ErrNoKey"
ERR_WRONG_GROUP = "ErrWrongGroup"
ERR_WRONG_LEADER = "ErrWrongLeader"
# Not in the course's common.go (servers talk to each other only in students' code): the
# old owner has not reached the configuration the puller asks about yet.
ERR_NOT_READY = "ErrNotReady"

PUT = "Put"
APPEND = "Append"
GET = "Get"  # only in a server's log entry (ClientOp.kind), never in PutAppendArgs


def key2shard(key: str) -> int:
    """Which shard a key belongs to: its first byte mod N_SHARDS (the course says "please use
    this function, and please do not change it"); the empty key is in shard 0."""
    data = key.encode()
    return (data[0] if data else 0) % N_SHARDS


@codec.register
@dataclass
class ShardPutAppendArgs:
    key: str
    value: str
    op: str  # PUT or APPEND
    client_id: int
    seq: int  # this clerk's operation number, from 1


@codec.register
@dataclass
class ShardPutAppendReply:
    err: str = OK


@codec.register
@dataclass
class ShardGetArgs:
    key: str
    client_id: int
    seq: int


@codec.register
@dataclass
class ShardGetReply:
    err: str = OK
    value: str = ""  # "" when err is ERR_NO_KEY


@codec.register
@dataclass
class FetchShardArgs:
    config_num: int  # the configuration in which the shard moved to the caller's group
    shard: int


@codec.register
@dataclass
class FetchShardReply:
    err: str = OK
    data: dict[str, str] = field(default_factory=dict)
    last_seq: dict[int, int] = field(default_factory=dict)  # the shard's duplicate table


@codec.register
@dataclass
class DeleteShardArgs:
    config_num: int  # the configuration in which the shard left the old owner
    shard: int


@codec.register
@dataclass
class DeleteShardReply:
    err: str = OK
