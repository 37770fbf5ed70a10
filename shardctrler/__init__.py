"""shardctrler: the shard controller (the course's Lab 4A).

    from shardctrler import Clerk, Config, N_SHARDS, start_server
    sc = start_server(ends, me, persister)      one replica; sc.rf is its Raft
    ck = Clerk(ends)                            ck.query(num), ck.join({gid: servers}),
                                                ck.leave(gids), ck.move(shard, gid)

common.py (Config, N_SHARDS, RPC arguments), client.py (Clerk), server.py (ShardCtrler, its
state machine ConfigHistory), balance.py (rebalance: even, minimal, deterministic).
"""

from shardctrler.balance import rebalance
from shardctrler.client import Clerk, ClerkClosed, make_clerk
from shardctrler.common import ERR_WRONG_LEADER, N_SHARDS, OK, Config
from shardctrler.server import ShardCtrler, start_server

__all__ = [
    "ERR_WRONG_LEADER",
    "N_SHARDS",
    "OK",
    "Clerk",
    "ClerkClosed",
    "Config",
    "ShardCtrler",
    "make_clerk",
    "rebalance",
    "start_server",
]
