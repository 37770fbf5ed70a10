"""The controller's Clerk (the course's shardctrler/client.go).

    ck = Clerk(servers)            servers: one ClientEnd per controller replica, in any order
    ck.query(num) -> Config        config num; -1 (or past the latest): the latest
    ck.join({gid: [server, ...]})  ck.leave([gid, ...])  ck.move(shard, gid)
    ck.close()                     later (and current) operations raise ClerkClosed

As the course's clerk: every operation tries the servers in turn until one answers as the
leader, and sleeps 100 ms after each round that found none; it never gives up. Deviation: it
starts each round at the server that answered last (the course's starts at server 0), since
the shardkv servers and clerks query the controller often. One operation at a time per
clerk: the servers' duplicate detection keeps only the highest seq per client.
"""

from __future__ import annotations

from typing import Any

import runtime
from kvraft.client import ClerkClosed
from labrpc import ClientEnd, debug
from shardctrler.common import Config, JoinArgs, LeaveArgs, MoveArgs, QueryArgs, QueryReply, check_gid, check_shard

# The course's clerk sleeps this long after asking every server in vain: an election is
# probably under way.
RETRY_PAUSE_S = 0.1

__all__ = ["Clerk", "ClerkClosed", "make_clerk"]


class Clerk:
    def __init__(self, servers: list[ClientEnd]) -> None:
        self.servers = list(servers)
        # 62 random bits, as the course's nrand(): unique among clerks with high probability.
        self.client_id = runtime.randbits(62)
        self.seq = 0  # number of the last Join/Leave/Move started
        self.leader = 0  # index into servers of the server that answered last
        # Deviation: the course's clerk cannot be stopped; our harness fails a test whose
        # threads outlive it, so testers close their clerks at cleanup.
        self._closed = runtime.Event()

    def query(self, num: int) -> Config:
        """Config number num, or the latest if num is -1 or past the latest."""
        reply: QueryReply = self._call("ShardCtrler.Query", QueryArgs(num))
        return reply.config

    def join(self, servers: dict[int, list[str]]) -> None:
        """Add the groups gid -> server names, and rebalance."""
        for gid in servers:
            check_gid(gid)
        self._call(
            "ShardCtrler.Join",
            JoinArgs({gid: list(names) for gid, names in servers.items()}, self.client_id, self._next_seq()),
        )

    def leave(self, gids: list[int]) -> None:
        """Remove these groups, and hand their shards to the others."""
        self._call("ShardCtrler.Leave", LeaveArgs(list(gids), self.client_id, self._next_seq()))

    def move(self, shard: int, gid: int) -> None:
        """Put shard on group gid (no rebalancing: for tests and fine tuning)."""
        check_shard(shard)
        check_gid(gid)
        self._call("ShardCtrler.Move", MoveArgs(shard, gid, self.client_id, self._next_seq()))

    def close(self) -> None:
        """Make the current and every later operation raise ClerkClosed."""
        self._closed.set()

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def _call(self, method: str, args: Any) -> Any:
        """Ask each server in turn until one answers as the leader; a lost request or reply
        looks like a refusal, and the same args (same seq) go to the next server."""
        n = len(self.servers)
        while True:
            for _ in range(n):
                if self._closed.is_set():
                    raise ClerkClosed(f"controller clerk {self.client_id} closed during {method}")
                ok, reply = self.servers[self.leader].call(method, args)
                if ok and not reply.wrong_leader:
                    if debug.enabled("CLNT"):
                        debug.log("CLNT", f"C{self.client_id % 10000} {method} done by {self.leader}: {args}")
                    return reply
                self.leader = (self.leader + 1) % n
            self._closed.wait(RETRY_PAUSE_S)


make_clerk = Clerk  # the course's MakeClerk
