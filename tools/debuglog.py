"""Reading labrpc/debug.py's structured log: one line -> one :class:`DebugLine`.

The format (labrpc/debug.py) is ``<ms since start> <TOPIC> S<peer> T<term> <role letter> <text>``
with ``--`` for "no peer" (the tester, clerks), ``T-`` for "no term" and ``-`` for "no role".
Everything else in a log (pytest's output, the tester's prints, tracebacks, the stress loop's
``#`` header) is an :class:`OtherLine`, kept in place so a viewer can show it where it occurred.

pytest writes its ``tests/raft/test_raft.py `` progress prefix without a newline, so a debug
line may begin in the middle of a text line; :func:`parse_lines` splits such a line in two.

A debug line whose text is a declared event (labrpc/debug.py's ``EVENTS``: ``<name> key=value
...``, of the event's topic, every required field present) carries its ``event`` name and
its typed ``fields``; :func:`parse_event` reads it from the same table the writers use. Any
other line (free text, an undeclared name, a missing field) is kept as it is, ``event`` None.

Shared by ``tools.logview`` (terminal viewer) and ``tools.timeline`` (HTML timeline), together
with :data:`TOPICS`, so both tools colour a topic the same way.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labrpc.debug import EVENTS


@dataclass(frozen=True)
class Topic:
    code: str  # as logged: up to four letters
    name: str  # what a user may type instead of the code (--only vote)
    colour: str  # "#rrggbb", used by rich in the terminal and by the HTML timeline


# One palette for both tools. Colours read on a dark terminal and on the timeline's white page.
TOPICS: dict[str, Topic] = {
    t.code: t
    for t in (
        Topic("TIMR", "timer", "#8a8a8a"),
        Topic("VOTE", "vote", "#b15fd1"),
        Topic("LEAD", "leader", "#d4a017"),
        Topic("APND", "append", "#2aa1b3"),
        Topic("CMIT", "commit", "#3a9d3a"),
        Topic("APLY", "apply", "#6cc36c"),
        Topic("PERS", "persist", "#5f7fbf"),
        Topic("SNAP", "snapshot", "#3f6fdf"),
        Topic("DROP", "drop", "#e0474c"),
        Topic("CLNT", "client", "#e07b39"),
        Topic("KVSV", "kvserver", "#c9753d"),
        # Lab 4: the services on rsm/ (rsm.RSM's topic argument) and shardkv's own work.
        Topic("CTRL", "ctrler", "#8c564b"),
        Topic("SKV", "shardkv", "#b0894f"),
        Topic("CONF", "config", "#d6336c"),
        Topic("MIGR", "migrate", "#0f9d8a"),
        Topic("GC", "gc", "#7d7d1a"),
        Topic("TEST", "test", "#4a4a9a"),
    )
}
UNKNOWN_TOPIC_COLOUR = "#999999"

# Roles as raft/raft.py's Role values log them.
ROLES = {"F": "follower", "C": "candidate", "L": "leader"}

# A debug line may follow a prefix (pytest's progress text), but not a digit (it would be part
# of a longer number) nor a quote (a traceback quoting source code that holds such a line).
_DEBUG_RE = re.compile(
    r"(?<![\d\"'])(?P<ms>\d{8,}) (?P<topic>[A-Z]{1,4}) +(?P<who>S\d+|--) +(?P<term>T\d+|T-) +"
    r"(?P<role>[A-Z-])(?: (?P<text>.*))?$"
)


@dataclass(frozen=True)
class DebugLine:
    """One event of the debug log."""

    ms: int  # milliseconds since the logging process imported labrpc.debug
    topic: str
    peer: int | None  # None for the tester's and clerks' lines
    term: int | None
    role: str  # "F", "C", "L" or "-"
    text: str
    raw: str  # the debug line itself, without any prefix: what a tooltip shows
    lineno: int = 0  # 1-based line number in the source file
    event: str | None = None  # the declared event the text is (labrpc/debug.py's EVENTS), if any
    fields: Mapping[str, Any] = field(default_factory=dict, hash=False)  # its values, typed
    note: str = ""  # an event's free phrase after its fields


@dataclass(frozen=True)
class OtherLine:
    """Any line that is not a debug line: shown full-width where it occurred."""

    text: str
    lineno: int = 0


Entry = DebugLine | OtherLine


def parse_line(line: str, lineno: int = 0) -> DebugLine | None:
    """The debug line a text line is (or ends with), or None."""
    match = _DEBUG_RE.search(line.rstrip("\r\n"))
    return _debug_line(match, lineno) if match else None


def _debug_line(match: re.Match[str], lineno: int) -> DebugLine:
    who, term = match["who"], match["term"]
    text = (match["text"] or "").rstrip()
    parsed = parse_event(match["topic"], text)
    name, fields, note = parsed if parsed else (None, {}, "")
    return DebugLine(
        ms=int(match["ms"]),
        topic=match["topic"],
        peer=int(who[1:]) if who != "--" else None,
        term=int(term[1:]) if term != "T-" else None,
        role=match["role"],
        text=text,
        raw=match.group(0).rstrip(),
        lineno=lineno,
        event=name,
        fields=fields,
        note=note,
    )


# One ``key=value`` after an event's name: a JSON-quoted value, or one without spaces.
_FIELD_RE = re.compile(r'\s*([a-z_]+)=("(?:[^"\\]|\\.)*"|[^\s"]+)(?=\s|$)')
_VALUE_RES = {
    "peer": re.compile(r"S(\d+)"),
    "group": re.compile(r"G(\d+)"),
    "int": re.compile(r"-?\d+"),
    "ints": re.compile(r"-?\d+(?:,-?\d+)*"),
    "peers": re.compile(r"S\d+(?:,S\d+)*"),
}


def _value(kind: str, text: str) -> Any:
    """A field's value as labrpc.debug.format_value wrote it, typed; ValueError if it is not."""
    if text.startswith('"'):
        text = json.loads(text)
        if kind in ("ints", "peers") and text == "":
            return ()
    if kind in ("str", "repr"):
        return text
    m = _VALUE_RES[kind].fullmatch(text)
    if m is None:
        raise ValueError(f"not a {kind}: {text!r}")
    if kind in ("peer", "group"):
        return int(m[1])
    if kind == "int":
        return int(text)
    return tuple(int(v.lstrip("S")) for v in text.split(","))


def parse_event(topic: str, text: str) -> tuple[str, dict[str, Any], str] | None:
    """(name, fields, free phrase) of an event line's text, per labrpc/debug.py's EVENTS;
    None for anything else: free text, an event of another topic, a required field missing
    or a value of the wrong kind."""
    name, _, rest = text.partition(" ")
    ev = EVENTS.get(name)
    if ev is None or ev.topic != topic:
        return None
    fields: dict[str, Any] = {}
    pos = 0
    while m := _FIELD_RE.match(rest, pos):
        spec = ev.field(m[1])
        if spec is None or m[1] in fields:
            break  # the free phrase begins
        try:
            fields[m[1]] = _value(spec.kind, m[2])
        except ValueError:
            return None
        pos = m.end()
    if any(f.required and f.name not in fields for f in ev.fields):
        return None
    return name, fields, rest[pos:].strip()


def parse_lines(lines: Iterable[str]) -> Iterator[Entry]:
    """Every line as a DebugLine or an OtherLine, in order; a prefixed debug line yields its
    prefix as an OtherLine first."""
    for lineno, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        match = _DEBUG_RE.search(line)
        if match is None:
            yield OtherLine(line, lineno)
            continue
        prefix = line[: match.start()].rstrip()
        if prefix:
            yield OtherLine(prefix, lineno)
        yield _debug_line(match, lineno)


class NotADebugLog(ValueError):
    """The input is not a py6824 debug log: binary, not UTF-8, or without one debug line.

    The viewers refuse it rather than show an empty page: a wrong file name or a run made
    without PY6824_DEBUG should say so."""


def read_entries(source: str | Path | None) -> list[Entry]:
    """Parse a debug log: a file, or stdin when source is None or "-".

    Raises NotADebugLog (naming the source) for bytes that are not UTF-8 text and for text
    in which no line is a debug line; OSError when the file cannot be read.
    """
    if source is None or str(source) == "-":
        name, data = "stdin", sys.stdin.buffer.read()
    else:
        name, data = str(source), Path(source).read_bytes()
    try:
        text = data.decode("utf-8")  # as labrpc/debug.py, pytest and stress.py write logs
    except UnicodeDecodeError as exc:
        raise NotADebugLog(
            f"{name}: not a py6824 debug log: not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start})"
        ) from None
    # newline=None: universal newlines, as open() reads a text file.
    entries = list(parse_lines(io.StringIO(text, newline=None)))
    if not any(isinstance(e, DebugLine) for e in entries):
        why = (
            "binary data"
            if "\0" in text  # NUL bytes: valid UTF-8, but no text log has them
            else "no line in it is a debug line (was it written with PY6824_DEBUG set?)"
        )
        raise NotADebugLog(f"{name}: not a py6824 debug log: {why}")
    return entries


def peers_of(entries: Iterable[Entry]) -> list[int]:
    """The peers that logged at least one line, ascending."""
    return sorted({e.peer for e in entries if isinstance(e, DebugLine) and e.peer is not None})


def topic_codes(spec: str) -> set[str]:
    """Topic codes from a comma-separated list of codes or names ("vote,LEAD,commit").

    Raises ValueError naming an unknown topic, so a typo is not a silent empty filter.
    """
    by_name = {t.name: t.code for t in TOPICS.values()}
    codes: set[str] = set()
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            continue
        code = item.upper() if item.upper() in TOPICS else by_name.get(item.lower())
        if code is None:
            known = ", ".join(f"{t.code} ({t.name})" for t in TOPICS.values())
            raise ValueError(f"unknown topic {item!r}; known: {known}")
        codes.add(code)
    return codes


def topic_colour(code: str) -> str:
    topic = TOPICS.get(code)
    return topic.colour if topic else UNKNOWN_TOPIC_COLOUR
