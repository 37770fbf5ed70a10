"""What the clerk and the servers say to each other (the course's kvraft/common.go).

    OK, ERR_NO_KEY, ERR_WRONG_LEADER      the Err strings, spelled as the course spells them
    GetArgs / GetReply                    "KVServer.Get"
    PutAppendArgs / PutAppendReply        "KVServer.PutAppend"; op is PUT or APPEND

Every request carries the clerk's client_id and a sequence number that grows by one per
operation, so a server can tell a retried Put/Append from a new one (handout 3A: "your
scheme for duplicate detection should free server memory quickly"; we keep one int per
client).
"""

from __future__ import annotations

from dataclasses import dataclass

from labrpc import codec

OK = "OK"
ERR_NO_KEY = "ErrNoKey"
ERR_WRONG_LEADER = "ErrWrongLeader"

# PutAppendArgs.op, as the course spells them.
PUT = "Put"
APPEND = "Append"
GET = "Get"  # only in a server's log entry (Op.kind), never in PutAppendArgs


@codec.register
@dataclass
class PutAppendArgs:
    key: str
    value: str
    op: str  # PUT or APPEND
    client_id: int
    seq: int  # this clerk's operation number, from 1


@codec.register
@dataclass
class PutAppendReply:
    err: str = OK


@codec.register
@dataclass
class GetArgs:
    key: str
    client_id: int
    seq: int


@codec.register
@dataclass
class GetReply:
    err: str = OK
    value: str = ""  # "" when err is ERR_NO_KEY, as the course's Get returns for a missing key
