"""shardkv: a sharded, replicated key/value service (the course's Lab 4B).

    from shardkv import Clerk, start_server
    kv = start_server(servers, me, persister, maxraftstate, gid, ctrlers, make_end)   one replica of group gid
    ck = Clerk(ctrlers, make_end)          ck.get(k), ck.put(k, v), ck.append(k, v), ck.close()

client.py (Clerk), server.py (ShardKV: RPC handlers; the design in its docstring), store.py
(ShardStore: the state machine a group replicates, shard states), migration.py (the leader's
config poller and shard mover), common.py (Err strings, key2shard, RPC arguments).
"""

from shardkv.client import Clerk, ClerkClosed
from shardkv.common import ERR_NO_KEY, ERR_WRONG_GROUP, ERR_WRONG_LEADER, OK, key2shard
from shardkv.server import ShardKV, start_server

__all__ = [
    "ERR_NO_KEY",
    "ERR_WRONG_GROUP",
    "ERR_WRONG_LEADER",
    "OK",
    "Clerk",
    "ClerkClosed",
    "ShardKV",
    "key2shard",
    "start_server",
]
