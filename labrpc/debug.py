"""Structured debug logging, our DPrintf: off and free unless PY6824_DEBUG names topics.

    PY6824_DEBUG=1            every topic
    PY6824_DEBUG=VOTE,LEAD    only these topics

One line per event, fixed columns, so a viewer can split a run per peer:

    <ms since start> <TOPIC> S<peer> T<term> <role letter> <text>

Topics: TIMR (election timer), VOTE, LEAD (role changes), APND (AppendEntries), CMIT (commit),
APLY (apply), PERS (persist), SNAP (snapshot), DROP (rejected or stale), CLNT (the clerks of
kvraft, shardctrler and shardkv), KVSV (kvraft server), CTRL (shardctrler server), SKV (shardkv
server: its rsm), CONF (a shardkv group's configuration changes), MIGR (shards pulled and
installed), GC (shards deleted, and settled), TEST (what the tester did). Call sites of
:func:`log` check ``debug.enabled(topic)`` before formatting, and :func:`event` formats nothing
for a disabled topic, so a disabled topic costs a look-up or two.

Events: the protocol the study tools read
-----------------------------------------

Most lines are free text (:func:`log`), for people. The lines the tools draw (tools/timeline.py:
arrows, role bands, marks, the tester's spans) are *events*, declared in :data:`EVENTS` and
written only through :func:`event`, whose text is the event's name and its fields::

    <name> key=value key=value ... [free phrase]

    00000630 VOTE S2  T1   F vote-granted cand=S1
    00002852 DROP S2  T4   F ae-rejected leader=S1 why=too-short prev=6 prev_term=1 x_len=2
    00002853 APND S1  T4   L ae-back-up peer=S2 prev=6 next=2
    00000035 TEST --  T-   - partition a=S0,S1 b=S2

A value never holds a space: a peer is ``S2``, a shardkv group ``G100``, a list ``0,1,2`` (peers
``S0,S1``); a text value with spaces (or none at all) is JSON-quoted: ``test="Test (2A): ..."``.
:func:`event` refuses (TypeError) a field the table does not declare or a missing required one,
so the tools' reader (tools/debuglog.py, from this same table) and the writers cannot drift
apart silently; tests/tools/test_timeline.py also draws live runs' logs. The events, by topic
(fields in the order written, ``[optional]`` ones; see EVENTS for each field's kind):

LEAD (Raft, raft/core.py)
    became role                  role: follower, candidate or leader (the line's role letter
                                 is still the old one); a leader's line ends with its log
    killed                       the peer was killed (the tester's crash); no term, no role
VOTE (Raft, raft/election.py)
    vote-asked last last_term    a candidate asks for votes; its log ends at (last, last_term)
    vote-granted cand            this peer voted for cand
    vote-refused cand why cand_term [voted last last_term my_last my_last_term]
                                 why: stale-term (cand_term below ours), already-voted (for
                                 voted), log-behind (cand's (last,last_term) behind ours)
    vote-received voter votes    a candidate counts voter's vote: votes so far, its own included
DROP / APND (Raft, raft/replication.py)
    ae-rejected leader why prev prev_term [term n x_term x_index x_len]
                                 a follower refused leader's AppendEntries. why: stale-term
                                 (the AE's term below ours; n its entries), too-short (our log
                                 is x_len long), conflict (our entry at prev is of x_term, which
                                 starts at x_index)
    ae-back-up peer prev next    the leader, after peer's rejection at prev, resumes at next
    start index [cmd]            the leader appended a command at index (APND)
CMIT / APLY / SNAP (Raft)
    commit index [leader_commit] commit_index moved to index (a follower: leader_commit is the
                                 leader's)
    apply first last             entries first..last go to the service
    snap-taken index             the service's snapshot through index; the log is compacted
    snap-sent to index           the leader sends its snapshot through index to a follower
    snap-installed leader index  a follower installed leader's snapshot through index
CONF / MIGR / GC (shardkv; the line's peer is the server within its group)
    config group num shards      group moved to config num; shards: each shard's gid
    shard-installed group shard num src [keys]   shard of config num, pulled from group src
    shard-deleted group shard num                group deleted its copy (it left in config num)
    shard-settled group shard src                the old owner src has deleted its copy
TEST (the testers: tests/raft/config.py, kvraft/cluster.py, shardkv/cluster.py; no peer)
    make-config n [unreliable snapshot]  a new cluster: a new test section
    begin test                           the test's name
    boot server [group last_applied]     (re)start a server (raft: start1); group: shardkv's
    crash server [group]                 crash a server (raft: crash1; shut down)
    disconnect server / connect server   cut a server off the network / reconnect it
    connect-all                          every server reconnected (ends partitions)
    partition a b                        two halves, each a list of peers
    cleanup                              the test is over
    fatal msg                            the tester found a bug
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import runtime

_setting = os.environ.get("PY6824_DEBUG", "").strip()
_ALL = _setting.lower() in ("1", "all", "true", "yes")
_topics = {t.strip().upper() for t in _setting.split(",") if t.strip()} if not _ALL else set()
_start = runtime.now()
_mu = runtime.Lock()


def set_start(start: float) -> float:
    """Count the lines' milliseconds from start (a runtime.now() value) from now on; return
    the previous start. The simulator's pytest plugin counts from its virtual 0."""
    global _start
    previous, _start = _start, start
    return previous


def enabled(topic: str) -> bool:
    return _ALL or topic in _topics


def log(topic: str, text: str, peer: int | None = None, term: int | None = None, role: str = "-") -> None:
    """Write one debug line to stderr if the topic is enabled."""
    if not (_ALL or topic in _topics):
        return
    ms = int((runtime.now() - _start) * 1000)
    who = f"S{peer}" if peer is not None else "--"
    when = f"T{term}" if term is not None else "T-"
    line = f"{ms:08d} {topic:<4} {who:<3} {when:<4} {role} {text}\n"
    with _mu:
        sys.stderr.write(line)


# --------------------------------------------------------------------------- events

# A field's kind: how its value is written, and read back (tools/debuglog.py).
#   peer  -> "S2" (an int)        group -> "G100" (a gid, int)      int -> "7"
#   ints  -> "0,1,2" (a list)     peers -> "S0,S1" (a list of ints) str -> as is, or JSON-quoted
#   repr  -> repr(value), JSON-quoted if it holds a space (read back as the str it wrote)
KINDS = ("peer", "group", "int", "ints", "peers", "str", "repr")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    required: bool = True


@dataclass(frozen=True)
class Event:
    name: str
    topic: str
    fields: tuple[Field, ...]  # in the order written

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def _event(name: str, topic: str, spec: str = "") -> Event:
    """spec: "cand:peer why cand_term:int [voted:peer]": name:kind (kind str if none), an
    optional field in brackets."""
    fields = []
    for item in spec.split():
        required = not item.startswith("[")
        fname, _, kind = item.strip("[]").partition(":")
        kind = kind or "str"
        assert kind in KINDS, f"{name}: field {fname} of unknown kind {kind}"
        fields.append(Field(fname, kind, required))
    return Event(name, topic, tuple(fields))


# The protocol: every event a study tool reads. See the module docstring for what each means.
EVENTS: dict[str, Event] = {
    e.name: e
    for e in (
        # Raft
        _event("became", "LEAD", "role"),
        _event("killed", "LEAD"),
        _event("vote-asked", "VOTE", "last:int last_term:int"),
        _event("vote-granted", "VOTE", "cand:peer"),
        _event(
            "vote-refused",
            "VOTE",
            "cand:peer why cand_term:int [voted:peer] [last:int] [last_term:int] [my_last:int] [my_last_term:int]",
        ),
        _event("vote-received", "VOTE", "voter:peer votes:int"),
        _event(
            "ae-rejected",
            "DROP",
            "leader:peer why prev:int prev_term:int [term:int] [n:int] [x_term:int] [x_index:int] [x_len:int]",
        ),
        _event("ae-back-up", "APND", "peer:peer prev:int next:int"),
        _event("start", "APND", "index:int [cmd:repr]"),
        _event("commit", "CMIT", "index:int [leader_commit:int]"),
        _event("apply", "APLY", "first:int last:int"),
        _event("snap-taken", "SNAP", "index:int"),
        _event("snap-sent", "SNAP", "to:peer index:int"),
        _event("snap-installed", "SNAP", "leader:peer index:int"),
        # shardkv's groups
        _event("config", "CONF", "group:group num:int shards:ints"),
        _event("shard-installed", "MIGR", "group:group shard:int num:int src:group [keys:int]"),
        _event("shard-deleted", "GC", "group:group shard:int num:int"),
        _event("shard-settled", "GC", "group:group shard:int src:group"),
        # the testers
        _event("make-config", "TEST", "n:int [unreliable] [snapshot]"),
        _event("begin", "TEST", "test"),
        _event("boot", "TEST", "server:peer [group:group] [last_applied:int]"),
        _event("crash", "TEST", "server:peer [group:group]"),
        _event("disconnect", "TEST", "server:peer"),
        _event("connect", "TEST", "server:peer"),
        _event("connect-all", "TEST"),
        _event("partition", "TEST", "a:peers b:peers"),
        _event("cleanup", "TEST"),
        _event("fatal", "TEST", "msg"),
    )
}


def format_value(kind: str, value: Any) -> str:
    """A field's value as written: never a space, never empty."""
    if kind == "peer":
        return f"S{int(value)}"
    if kind == "group":
        return f"G{int(value)}"
    if kind == "int":
        return str(int(value))
    if kind == "ints":
        return ",".join(str(int(v)) for v in value) or '""'
    if kind == "peers":
        return ",".join(f"S{int(v)}" for v in value) or '""'
    text = repr(value) if kind == "repr" else str(value)
    if not text or any(c.isspace() or c == '"' for c in text):
        return json.dumps(text)
    return text


def format_event(name: str, fields: Mapping[str, Any], text: object = "") -> str:
    """The text of an event line: ``<name> key=value ... [text]``. Raises TypeError for an
    undeclared event or field, or a missing required field."""
    ev = EVENTS.get(name)
    if ev is None:
        raise TypeError(f"debug.event: undeclared event {name!r} (see labrpc/debug.py's EVENTS)")
    unknown = set(fields) - {f.name for f in ev.fields}
    missing = [f.name for f in ev.fields if f.required and f.name not in fields]
    if unknown or missing:
        raise TypeError(f"debug.event {name!r}: unknown fields {sorted(unknown)}, missing {missing}")
    parts = [name] + [f"{f.name}={format_value(f.kind, fields[f.name])}" for f in ev.fields if f.name in fields]
    if text != "":
        parts.append(str(text))
    return " ".join(parts)


def event(
    name: str, peer: int | None = None, term: int | None = None, role: str = "-", /, *, text: object = "", **fields: Any
) -> None:
    """Write the declared event ``name`` with its fields (see EVENTS), then an optional free
    phrase (str(text)), as one line of the event's topic, if that topic is enabled. Values
    are formatted only then: pass objects, not their str()."""
    ev = EVENTS.get(name)
    if ev is None:  # refused even when logging is off: a misspelt event fails every run
        raise TypeError(f"debug.event: undeclared event {name!r} (see labrpc/debug.py's EVENTS)")
    if _ALL or ev.topic in _topics:
        log(ev.topic, format_event(name, fields, text), peer, term, role)
