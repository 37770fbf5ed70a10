"""Structured debug logging, our DPrintf: off and free unless PY6824_DEBUG names topics.

    PY6824_DEBUG=1            every topic
    PY6824_DEBUG=VOTE,LEAD    only these topics

One line per event, fixed columns, so a viewer can split a run per peer:

    <ms since start> <TOPIC> S<peer> T<term> <role letter> <text>

Topics: TIMR (election timer), VOTE, LEAD (role changes), APND (AppendEntries), CMIT (commit),
APLY (apply), PERS (persist), SNAP (snapshot), DROP (rejected or stale), CLNT (the clerks of
kvraft, shardctrler and shardkv), KVSV (kvraft server), CTRL (shardctrler server), SKV (shardkv
server: its rsm), CONF (a shardkv group's configuration changes), MIGR (shards pulled and
installed), GC (shards deleted, and settled), TEST (what the tester did). shardkv's CONF, MIGR
and GC lines begin with their group, ``G<gid> ``: several groups have an S0. Call sites check
``debug.enabled(topic)`` before formatting, so a disabled topic costs one dictionary look-up.
"""

from __future__ import annotations

import os
import sys

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
