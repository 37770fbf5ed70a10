"""The Clerk: a client of the replicated key/value service (the course's kvraft/client.go).

    ck = Clerk(servers)           servers: one ClientEnd per KVServer, in any order
    ck.get(key) -> str            "" if the key is missing
    ck.put(key, value)            ck.append(key, value)
    ck.close()                    later (and current) operations raise ClerkClosed

Every operation retries, forever, until some server answers it (handout 3A: "if the Clerk
sends an RPC to the wrong kvserver, or if it cannot reach the kvserver, the Clerk should
re-try by sending to a different kvserver"). The clerk remembers which server answered
last, since that is most likely still the leader.

A clerk runs one operation at a time, as the course's: the servers' duplicate detection
keeps only the highest sequence number seen per client.
"""

from __future__ import annotations

from typing import Any

import runtime
from kvraft.common import APPEND, ERR_WRONG_LEADER, PUT, GetArgs, GetReply, PutAppendArgs
from labrpc import ClientEnd, debug

# After every server has refused or failed, pause before the next round: an election is
# probably under way, and spinning would only steal CPU from it.
RETRY_PAUSE_S = 0.02


class ClerkClosed(Exception):
    """The clerk was closed (by its owner) while an operation was still retrying."""


class Clerk:
    def __init__(self, servers: list[ClientEnd]) -> None:
        self.servers = list(servers)
        # 62 random bits, as the course's nrand(): unique among clerks with high probability,
        # and it survives nothing, so a restarted program is simply a new client.
        self.client_id = runtime.randbits(62)
        self.seq = 0  # number of the last operation started; requests carry seq + 1, 2, ...
        self.leader = 0  # index into servers of the server that answered last
        # Deviation: the course's clerk has no way to stop; a Go test just abandons its
        # goroutine. Our harness fails a test whose threads outlive it, so the tester closes
        # its clerks at cleanup and a retrying operation gives up.
        self._closed = runtime.Event()

    def get(self, key: str) -> str:
        """The current value of key, or "" if it has none; retries until a server answers."""
        reply: GetReply = self._call("KVServer.Get", GetArgs(key, self.client_id, self._next_seq()))
        return reply.value

    def put_append(self, key: str, value: str, op: str) -> None:
        """op is PUT or APPEND; retries until a server has applied it (exactly once)."""
        self._call("KVServer.PutAppend", PutAppendArgs(key, value, op, self.client_id, self._next_seq()))

    def put(self, key: str, value: str) -> None:
        self.put_append(key, value, PUT)

    def append(self, key: str, value: str) -> None:
        self.put_append(key, value, APPEND)

    def close(self) -> None:
        """Make the current and every later operation raise ClerkClosed."""
        self._closed.set()

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def _call(self, method: str, args: Any) -> Any:
        """Send args to the last known leader, then to each other server in turn, until one
        answers with anything but ErrWrongLeader. A lost request or reply looks the same as a
        refusal: the same args (same seq) go to the next server."""
        n = len(self.servers)
        while True:
            for _ in range(n):
                if self._closed.is_set():
                    raise ClerkClosed(f"clerk {self.client_id} closed during {method}")
                ok, reply = self.servers[self.leader].call(method, args)
                if ok and reply.err != ERR_WRONG_LEADER:
                    if debug.enabled("CLNT"):
                        who = f"C{self.client_id % 10000}"
                        debug.log("CLNT", f"{who} {method} seq={args.seq} done by {self.leader}: {reply}")
                    return reply
                self.leader = (self.leader + 1) % n
            self._closed.wait(RETRY_PAUSE_S)
