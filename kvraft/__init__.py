"""kvraft: a fault-tolerant key/value service on Raft (the course's Lab 3).

    from kvraft import Clerk, start_kv_server
    kv = start_kv_server(ends, me, persister, maxraftstate)   one replica; kv.rf is its Raft
    ck = Clerk(ends)                                          ck.get(k), ck.put(k, v), ck.append(k, v)

client.py (Clerk), server.py (KVServer, Op), common.py (Err strings, RPC arguments),
cluster.py (n replicas on a simulated network: partitions, crashes; shared by the tester and
``python -m kvraft``).
"""

from kvraft.client import Clerk, ClerkClosed
from kvraft.common import ERR_NO_KEY, ERR_WRONG_LEADER, OK
from kvraft.server import KVServer, Op, start_kv_server

__all__ = ["ERR_NO_KEY", "ERR_WRONG_LEADER", "OK", "Clerk", "ClerkClosed", "KVServer", "Op", "start_kv_server"]
