"""An HTML timeline of a run, from its structured debug log (PY6824_DEBUG).

Usage::

    python -m tools.timeline LOGFILE [-o OUT.html]      (default OUT: LOGFILE with .html)

One self-contained file (inline SVG, CSS and JS; nothing fetched over the network): one lane
per peer, time left to right, and above them a lane for the tester. Drawn from the log's
*events* (labrpc/debug.py's EVENTS, read by tools/debuglog.py into a name and typed fields;
no free text is matched):

* each peer's role as a colour band (follower / candidate / leader, from ``became role=``),
  its term written in the band where it changes; a gap where the peer is dead (``killed``,
  the tester's ``crash``);
* RPCs as arrows where the log names both ends: RequestVote from ``vote-asked`` to
  ``vote-granted`` / ``vote-refused`` (refusals dashed, ending in a cross; paired by the
  candidate and its term), the vote back to ``vote-received``; AppendEntries rejections
  (``ae-rejected leader=``, stale-term ones included) and the leader's ``ae-back-up`` after
  one; InstallSnapshot from ``snap-sent`` to ``snap-installed``. An arrow whose send time is
  not logged is drawn upright at the receive time;
* commits (top, dark green) and applies (bottom, light green) as ticks with their index
  (``commit``, ``apply``), ``start`` as its index, every other line as a dot in its topic's
  colour;
* the tester's ``crash``, ``disconnect`` and ``partition`` (raft's config.py, kvraft's and
  shardkv's cluster.py) as shaded spans, a ``boot`` of a running peer as a restart mark, and
  each TEST line as a diamond on the tester lane (``fatal`` ones red).

Lab 4's shardkv runs several replica groups, each with its own S0, S1, ...: there the lanes are
per group and server ("G100 S0"), for the events with a ``group`` field (a group server's
``config``, ``shard-installed``, ``shard-deleted``, ``shard-settled``; the tester's ``boot``
and ``crash`` of a group's server; CTRL lines are the controller's, "CTRL S0"). A group's
configuration changes are flags with the config number and the shards it then serves, a
shard installed a triangle "+5", a shard deleted at its old owner a cross "-5", and the new
owner's "settled" a ring. In such a log, the lines that name no group (Raft's, the rsm's SKV)
keep lanes "S0 *" shared by every group's S0 and the controller's: drawn as marks only,
without roles or arrows, which would mix unrelated Raft instances.

Hovering any item shows its log line(s). Zoom with the buttons or the + / - / 0 keys.
The model (:func:`build_timeline`) is separate from the drawing (:func:`render_html`), so
tests and other tools can use the pairing logic without HTML.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from tools.cli import EXIT_USAGE, ArgumentParser, run
from tools.debuglog import ROLES, TOPICS, DebugLine, Entry, OtherLine, read_entries, topic_colour

# --------------------------------------------------------------------------- the model


# A lane: (group, peer). group "" for raft's and kvraft's peers (and, in a shardkv log, for
# the lines that name no group); "G100" for shardkv's group 100; "CTRL" for the controller.
Lane = tuple[str, int]
CTRL_GROUP = "CTRL"


def lane_name(lane: Lane, grouped: bool = False) -> str:
    """ "S0"; "G100 S0" in a group; "S0 *" for a lane shared by every group (grouped log)."""
    group, peer = lane
    if group:
        return f"{group} S{peer}"
    return f"S{peer} *" if grouped else f"S{peer}"


def _lane_order(lane: Lane) -> tuple[int, int, int]:
    group, peer = lane
    if not group:
        return (0, 0, peer)
    if group == CTRL_GROUP:
        return (1, 0, peer)
    return (2, int(group[1:]), peer)


@dataclass
class Band:
    """A stretch of one peer's life in one role and term (term None: not logged yet)."""

    peer: int
    start: int
    end: int
    role: str  # "F", "C" or "L"; "-" for a group's server whose lines carry no role
    term: int | None
    tip: str
    group: str = ""  # of the lane: see Lane


@dataclass
class Span:
    """Something the tester did to a peer for a while: crash, disconnect, partition."""

    peer: int
    start: int
    end: int
    kind: str
    label: str
    tip: str
    group: str = ""


@dataclass
class Arrow:
    """A message from one peer to another, as far as the log lets us pair its two ends."""

    src: int
    dst: int
    t_src: int
    t_dst: int
    kind: str  # a key of ARROW_STYLES
    tip: str

    @property
    def dropped(self) -> bool:
        return ARROW_STYLES[self.kind].dropped


@dataclass
class Mark:
    """One log line at one moment on one lane (peer None: the tester's lane)."""

    peer: int | None
    t: int
    kind: str  # "commit", "apply", "start", "restart", "dot", "persist", "test", "fatal",
    #            "config", "shard-in", "shard-gc", "shard-settled"
    topic: str
    label: str
    tip: str
    group: str = ""


@dataclass
class Section:
    """A test within the log: starts at make_config, named by the tester's begin line."""

    start: int
    label: str


@dataclass
class Timeline:
    peers: list[int] = field(default_factory=list)  # the peers of the lanes of group ""
    lanes: list[Lane] = field(default_factory=list)  # every lane, top to bottom
    grouped: bool = False  # a shardkv log: its lines tell groups apart
    t_start: int = 0
    t_end: int = 0
    bands: list[Band] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # FATAL lines, pytest's E lines, results


@dataclass(frozen=True)
class ArrowStyle:
    colour: str
    dropped: bool
    legend: str


ARROW_STYLES: dict[str, ArrowStyle] = {
    "vote-request": ArrowStyle(TOPICS["VOTE"].colour, False, "RequestVote, granted"),
    "vote-refused": ArrowStyle(TOPICS["DROP"].colour, True, "RequestVote, refused"),
    "vote-reply": ArrowStyle("#7a2f9a", False, "vote received"),
    "append-rejected": ArrowStyle(TOPICS["DROP"].colour, True, "AppendEntries, rejected"),
    "append-reply": ArrowStyle(TOPICS["APND"].colour, False, "rejection seen by leader"),
    "snapshot": ArrowStyle(TOPICS["SNAP"].colour, False, "InstallSnapshot"),
}

ROLE_COLOURS = {"F": "#c9d6e8", "C": "#f5b041", "L": "#2e8b57", "-": "#e2e2e2"}
ROLE_NAMES = {**ROLES, "-": "running (role not logged)"}
# What a shardkv group's lines become (see _config, _migrate, _gc): legend text per mark kind.
GROUP_MARKS = {
    "config": "config change",
    "shard-in": "shard installed",
    "shard-gc": "shard deleted (moved away)",
    "shard-settled": "shard settled",
}
SPAN_COLOURS = {"crash": "#333333", "disconnect": "#d04040", "partition": "#8040c0"}


@dataclass
class _PeerState:
    started: bool = False  # by the tester in this section, or else by logging its first line
    alive: bool = False
    role: str = "F"
    term: int | None = None
    band_start: int = 0
    band_tip: str = ""
    open_spans: dict[str, Span] = field(default_factory=dict)


def _names_a_group(line: DebugLine) -> bool:
    """Whether a line tells groups apart: an event with a ``group`` field (a shardkv server's
    config and shard events, shardkv's tester's boot and crash)."""
    return "group" in line.fields


def _shard_ranges(shards: Iterable[int]) -> str:
    """[0, 1, 2, 5, 7, 8] -> "0-2,5,7-8"."""
    runs: list[list[int]] = []
    for s in sorted(shards):
        if runs and s == runs[-1][1] + 1:
            runs[-1][1] = s
        else:
            runs.append([s, s])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


class TimelineBuilder:
    """Feeds debug lines, in log order, into a Timeline: the events (labrpc/debug.py's EVENTS,
    parsed by tools/debuglog.py) through a handler each, every other line as a dot."""

    def __init__(self) -> None:
        self.tl = Timeline()
        self.state: dict[Lane, _PeerState] = {}
        self.now = 0
        self.grouped = False  # set by feed: the log tells shardkv's groups apart
        self.group = ""  # the lane group of the line being fed
        # Pairing tables, keyed so that a later line can find its request.
        self.asks: dict[tuple[int, int], DebugLine] = {}  # (candidate, term)
        self.votes: dict[tuple[int, int, int], DebugLine] = {}  # (voter, candidate, term)
        self.rejects: dict[tuple[int, int, int], DebugLine] = {}  # (follower, leader, prev)
        self.snaps: dict[tuple[int, int, int], DebugLine] = {}  # (leader, follower, index)
        # A peer's events, by name (a lane's line that is no event is a dot, PERS a tick).
        self.handlers: dict[str, Callable[[DebugLine], None]] = {
            "became": self._became,
            "killed": self._killed,
            "vote-asked": self._vote_asked,
            "vote-granted": self._vote_granted,
            "vote-refused": self._vote_refused,
            "vote-received": self._vote_received,
            "ae-rejected": self._ae_rejected,
            "ae-back-up": self._ae_back_up,
            "start": self._started,
            "commit": self._commit,
            "apply": self._apply,
            "snap-taken": self._snapshot,
            "snap-sent": self._snap_sent,
            "snap-installed": self._snap_installed,
            "config": self._config,
            "shard-installed": self._shard_installed,
            "shard-deleted": self._shard_deleted,
            "shard-settled": self._shard_settled,
        }
        # The tester's events (the TEST lines of raft's config.py, kvraft's and shardkv's cluster.py).
        self.tester_handlers: dict[str, Callable[[DebugLine], None]] = {
            "make-config": self._test_section,
            "begin": self._test_begin,
            "crash": self._test_crash,
            "boot": self._test_boot,
            "disconnect": self._test_disconnect,
            "connect": self._test_connect,
            "connect-all": self._test_connect_all,
            "partition": self._test_partition,
            "cleanup": self._test_cleanup,
        }

    # --- driving -----------------------------------------------------------------------------

    def feed(self, entries: Iterable[Entry]) -> Timeline:
        lines = [e for e in entries if isinstance(e, DebugLine)]
        self.grouped = self.tl.grouped = any(map(_names_a_group, lines))
        for line in lines:
            self.now = line.ms
            self.group = ""
            if line.peer is None:
                self._peerless(line)
            else:
                self._peer_line(line)
        self._finish()
        return self.tl

    def _finish(self) -> None:
        tl = self.tl
        times = [m.t for m in tl.marks]
        tl.t_start = min(times, default=0)
        tl.t_end = max(times, default=0)
        self.now = tl.t_end
        for lane in self.state:
            self._close_all(lane)
        lanes = set(self.state) | {(m.group, m.peer) for m in tl.marks if m.peer is not None}
        tl.lanes = sorted(lanes, key=_lane_order)
        tl.peers = [peer for group, peer in tl.lanes if not group]

    def _peer(self, lane: Lane) -> _PeerState:
        return self.state.setdefault(lane, _PeerState())

    def _shared(self, lane: Lane) -> bool:
        """A lane of a grouped log for lines that name no group: every group's S<n> in one."""
        return self.grouped and not lane[0]

    # --- peers' lines --------------------------------------------------------------------------

    def _lane_of(self, line: DebugLine) -> Lane:
        assert line.peer is not None
        if self.grouped:
            if "group" in line.fields:
                return (f"G{line.fields['group']}", line.peer)
            if line.topic == "CTRL":
                return (CTRL_GROUP, line.peer)
        return ("", line.peer)

    def _peer_line(self, line: DebugLine) -> None:
        lane = self._lane_of(line)
        self.group = lane[0]
        st = self._peer(lane)
        if not st.started:  # no boot in the log (no TEST topic, or a kvraft run): its first line
            self._start(lane, line.raw)
        if st.alive:
            self._update_role(lane, st, line)
        handler = self.handlers.get(line.event or "")
        if handler is not None:
            handler(line)
        else:
            self._mark(line, "persist" if line.topic == "PERS" else "dot")

    def _update_role(self, lane: Lane, st: _PeerState, line: DebugLine) -> None:
        """A new band when the role or the term changes. A "became" event carries the role it
        leaves in its role letter, so its role field gives the new one."""
        role = line.role if line.role in ROLES else st.role
        if line.event == "became" and line.fields["role"] in ROLES.values():
            role = line.fields["role"][0].upper()
        term = line.term if line.term is not None else st.term
        if (role, term) != (st.role, st.term):
            self._close_band(lane)
            st.role, st.term, st.band_start, st.band_tip = role, term, line.ms, line.raw

    def _mark(self, line: DebugLine, kind: str, label: str = "", tip: str = "") -> None:
        tip = f"{line.raw}\n{tip}" if tip else line.raw
        self.tl.marks.append(Mark(line.peer, line.ms, kind, line.topic, label, tip, self.group))

    def _arrow(self, src: int, request: DebugLine | None, dst: int, t_dst: int, kind: str, *lines: DebugLine) -> None:
        """request None: its send time is not logged, so the arrow is drawn at t_dst."""
        if self.grouped:
            return  # the log's S0 is any group's: pairing by peer and term would mix groups
        t_src = request.ms if request is not None else t_dst
        tip = "\n".join(x.raw for x in ((request,) if request else ()) + lines)
        self.tl.arrows.append(Arrow(src, dst, t_src, t_dst, kind, tip))

    # Raft's events. Each handler is called with a line of a peer, so peer is set; a Raft line
    # carries its term (but "killed").

    def _became(self, line: DebugLine) -> None:
        self._mark(line, "dot")

    def _killed(self, line: DebugLine) -> None:
        assert line.peer is not None
        self._mark(line, "dot")
        if not self._shared((self.group, line.peer)):
            self._die((self.group, line.peer))

    def _vote_asked(self, line: DebugLine) -> None:
        assert line.peer is not None and line.term is not None
        self._mark(line, "dot")
        self.asks[(line.peer, line.term)] = line

    def _vote_granted(self, line: DebugLine) -> None:
        assert line.peer is not None and line.term is not None
        self._mark(line, "dot")
        cand = line.fields["cand"]
        self.votes[(line.peer, cand, line.term)] = line
        self._arrow(cand, self.asks.get((cand, line.term)), line.peer, line.ms, "vote-request", line)

    def _vote_refused(self, line: DebugLine) -> None:
        assert line.peer is not None
        self._mark(line, "dot")
        cand = line.fields["cand"]
        ask = self.asks.get((cand, line.fields["cand_term"]))
        self._arrow(cand, ask, line.peer, line.ms, "vote-refused", line)

    def _vote_received(self, line: DebugLine) -> None:
        assert line.peer is not None and line.term is not None
        self._mark(line, "dot")
        voter = line.fields["voter"]
        self._arrow(voter, self.votes.get((voter, line.peer, line.term)), line.peer, line.ms, "vote-reply", line)

    def _ae_rejected(self, line: DebugLine) -> None:
        """The follower's side; its send time is not logged. A consistency-check failure is
        kept for the leader's back-up to pair with."""
        assert line.peer is not None
        self._mark(line, "dot")
        leader = line.fields["leader"]
        if line.fields["why"] != "stale-term":
            self.rejects[(line.peer, leader, line.fields["prev"])] = line
        self._arrow(leader, None, line.peer, line.ms, "append-rejected", line)

    def _ae_back_up(self, line: DebugLine) -> None:
        assert line.peer is not None
        self._mark(line, "dot")
        follower = line.fields["peer"]
        reject = self.rejects.get((follower, line.peer, line.fields["prev"]))
        self._arrow(follower, reject, line.peer, line.ms, "append-reply", line)

    def _started(self, line: DebugLine) -> None:
        self._mark(line, "start", str(line.fields["index"]))

    def _commit(self, line: DebugLine) -> None:
        self._mark(line, "commit", str(line.fields["index"]))

    def _apply(self, line: DebugLine) -> None:
        first, last = line.fields["first"], line.fields["last"]
        self._mark(line, "apply", str(first) if first == last else f"{first}..{last}")

    def _snapshot(self, line: DebugLine) -> None:
        self._mark(line, "dot", str(line.fields["index"]))

    def _snap_sent(self, line: DebugLine) -> None:
        assert line.peer is not None
        self.snaps[(line.peer, line.fields["to"], line.fields["index"])] = line
        self._snapshot(line)

    def _snap_installed(self, line: DebugLine) -> None:
        assert line.peer is not None
        leader, index = line.fields["leader"], line.fields["index"]
        self._arrow(leader, self.snaps.get((leader, line.peer, index)), line.peer, line.ms, "snapshot", line)
        self._snapshot(line)

    # --- shardkv's groups (self.group: the line's group, "G<gid>") ----------------------------

    def _config(self, line: DebugLine) -> None:
        if not self.group:  # not a grouped log: cannot be, a config event names its group
            self._mark(line, "dot")
            return
        num, owners = line.fields["num"], line.fields["shards"]
        mine = [shard for shard, gid in enumerate(owners) if f"G{gid}" == self.group]
        serves = (
            f"{self.group} serves shards {_shard_ranges(mine)} ({len(mine)} of {len(owners)})"
            if mine
            else f"{self.group} serves no shard"
        )
        label = f"c{num}" + (f" [{_shard_ranges(mine)}]" if mine else " []")
        self._mark(line, "config", label, serves)

    def _shard_installed(self, line: DebugLine) -> None:
        shard, num, src = line.fields["shard"], line.fields["num"], line.fields["src"]
        self._mark(line, "shard-in", f"+{shard}", f"shard {shard} moved G{src} -> {self.group} (config {num})")

    def _shard_deleted(self, line: DebugLine) -> None:
        shard, num = line.fields["shard"], line.fields["num"]
        tip = f"{self.group} dropped its copy of shard {shard}, which left it in config {num}"
        self._mark(line, "shard-gc", f"\u2212{shard}", tip)

    def _shard_settled(self, line: DebugLine) -> None:
        shard, src = line.fields["shard"], line.fields["src"]
        tip = f"shard {shard} settled in {self.group}: its old owner G{src} has deleted it"
        self._mark(line, "shard-settled", f"\u2713{shard}", tip)

    # --- the tester's lines --------------------------------------------------------------------

    def _peerless(self, line: DebugLine) -> None:
        fatal = line.event == "fatal"
        self._mark(line, "fatal" if fatal else "test" if line.topic == "TEST" else "dot")
        if fatal:
            self.tl.problems.append(line.raw)
        handler = self.tester_handlers.get(line.event or "")
        if handler is not None:
            handler(line)

    @staticmethod
    def _tester_lane(line: DebugLine) -> Lane:
        """The lane a tester's event names: its server, in its group if it names one."""
        group = line.fields.get("group")
        return ("" if group is None else f"G{group}", line.fields["server"])

    def _test_section(self, line: DebugLine) -> None:
        for lane in list(self.state):
            self._close_all(lane)
        self.state.clear()
        for table in (self.asks, self.votes, self.rejects, self.snaps):
            table.clear()  # a new cluster: its terms start again, and must not pair with the last's
        self.tl.sections.append(Section(line.ms, ""))

    def _test_begin(self, line: DebugLine) -> None:
        if not self.tl.sections:
            self.tl.sections.append(Section(line.ms, ""))
        self.tl.sections[-1].label = line.fields["test"]

    def _test_crash(self, line: DebugLine) -> None:
        lane = self._tester_lane(line)
        if self._peer(lane).started:  # raft's start1 calls crash1 first, also before the first start
            self._die(lane)
            self._open_span(lane, "crash", "crashed", line.raw)

    def _test_boot(self, line: DebugLine) -> None:
        lane = self._tester_lane(line)
        if self._peer(lane).started:
            # The tester restarts a peer within a millisecond of crashing it, so the crash span
            # is invisible: a restart needs a mark of its own.
            self.tl.marks.append(Mark(lane[1], line.ms, "restart", line.topic, "restart", line.raw, lane[0]))
        self._close_span(lane, "crash")
        self._start(lane, line.raw)

    def _test_disconnect(self, line: DebugLine) -> None:
        lane = self._tester_lane(line)
        if self._peer(lane).started:
            self._open_span(lane, "disconnect", "disconnected", line.raw)

    def _test_connect(self, line: DebugLine) -> None:
        self._close_span(self._tester_lane(line), "disconnect")

    def _test_connect_all(self, _line: DebugLine) -> None:
        for lane in self.state:
            self._close_span(lane, "disconnect")
            self._close_span(lane, "partition")

    def _test_partition(self, line: DebugLine) -> None:
        for half in (line.fields["a"], line.fields["b"]):
            label = "partition {" + ",".join(map(str, half)) + "}"
            for lane in (("", p) for p in half):
                if self._peer(lane).started:
                    self._close_span(lane, "partition")
                    self._open_span(lane, "partition", label, line.raw)

    def _test_cleanup(self, line: DebugLine) -> None:
        self._test_connect_all(line)

    # --- lifecycles ----------------------------------------------------------------------------

    def _start(self, lane: Lane, tip: str) -> None:
        st = self._peer(lane)
        self._close_band(lane)
        st.started = True
        # A shared lane (grouped log, no group named) has no band: its lines are many peers'.
        st.alive = not self._shared(lane)
        # A restarted peer is a follower; its term is whatever it persisted, unknown until it
        # logs. A group's server: its lines carry no role, so its band says only "running".
        st.role = "-" if lane[0] else "F"
        st.term, st.band_start, st.band_tip = None, self.now, tip

    def _die(self, lane: Lane) -> None:
        self._close_band(lane, replaced=False)
        self._peer(lane).alive = False

    def _close_band(self, lane: Lane, replaced: bool = True) -> None:
        """replaced: a new band follows at once, so a state that lasted under 1 ms is not drawn;
        a peer's last band (it dies, the log ends) is kept however short."""
        st = self._peer(lane)
        if st.alive and (self.now > st.band_start or not replaced):
            self.tl.bands.append(Band(lane[1], st.band_start, self.now, st.role, st.term, st.band_tip, lane[0]))
            st.band_start = self.now

    def _open_span(self, lane: Lane, kind: str, label: str, tip: str) -> None:
        spans = self._peer(lane).open_spans
        if kind not in spans:
            spans[kind] = Span(lane[1], self.now, self.now, kind, label, tip, lane[0])

    def _close_span(self, lane: Lane, kind: str) -> None:
        span = self._peer(lane).open_spans.pop(kind, None)
        if span is not None:
            span.end = self.now
            self.tl.spans.append(span)

    def _close_all(self, lane: Lane) -> None:
        self._die(lane)
        for kind in list(self._peer(lane).open_spans):
            self._close_span(lane, kind)


def build_timeline(entries: Sequence[Entry]) -> Timeline:
    """The timeline of a parsed log; also collects what went wrong, for the page's header."""
    tl = TimelineBuilder().feed(entries)
    tl.problems.extend(_failure_lines(entries))
    if tl.grouped and not tl.sections:
        tl.sections.extend(_test_headers(entries))
    return tl


def _test_headers(entries: Iterable[Entry]) -> list[Section]:
    """shardkv's tester logs no begin line: its printed "Test: ... ..." headers name the
    sections, each at the time of the debug line before it."""
    sections, last_ms = [], 0
    for entry in entries:
        if isinstance(entry, DebugLine):
            last_ms = entry.ms
        elif re.match(r"Test\b.*: .*\.\.\.$", entry.text):
            sections.append(Section(last_ms, entry.text.removesuffix("...").strip()))
    return sections


def _failure_lines(entries: Iterable[Entry]) -> list[str]:
    """pytest's E lines, Timeout banners and the stress loop's result line: the first few."""
    wanted = re.compile(r"^(E   |# result: |\++ Timeout \++$|=+ .*(failed|error).* =+$)")
    found = [e.text for e in entries if isinstance(e, OtherLine) and wanted.match(e.text)]
    return list(dict.fromkeys(found))[:8]  # pytest-timeout prints its banner twice


# --------------------------------------------------------------------------- drawing

AXIS_H = 26  # the time axis, drawn by the page's script at the current zoom
TESTER_H = 38
LANE_H = 62
BAND_Y, BAND_H = 22, 16  # within a lane
FIT_WIDTH_PX = 1500  # the drawing's width before the page fits it to the window
MIN_SCALE, MAX_SCALE = 0.01, 4.0  # px per ms


def _lane_top(index: int) -> int:
    return AXIS_H + TESTER_H + index * LANE_H


def _band_mid(index: int) -> int:
    return _lane_top(index) + BAND_Y + BAND_H // 2


class SvgWriter:
    """Every positioned element carries data-t (and data-t2 for an end time), so the page's
    script can redraw it at another zoom; x is written too, so the file reads without JS."""

    def __init__(self, tl: Timeline, scale: float) -> None:
        self.tl = tl
        self.scale = scale
        self.lane = {lane: i for i, lane in enumerate(tl.lanes)}
        self.out: list[str] = []

    def x(self, t: int) -> float:
        return round((t - self.tl.t_start) * self.scale, 1)

    def _title(self, tip: str) -> str:
        return f"<title>{html.escape(tip)}</title>"

    def rect(self, cls: str, t: int, t2: int, y: int, h: int, tip: str, fill: str = "") -> None:
        width = max(self.x(t2) - self.x(t), 1.0)
        style = f' fill="{fill}"' if fill else ""
        self.out.append(
            f'<rect class="{cls}" data-t="{t}" data-t2="{t2}" x="{self.x(t)}" y="{y}" '
            f'width="{width}" height="{h}"{style}>{self._title(tip)}</rect>'
        )

    def text(self, cls: str, t: int, y: int, text: str, t2: int | None = None, dx: int = 0) -> None:
        end = f' data-t2="{t2}"' if t2 is not None else ""
        self.out.append(
            f'<text class="{cls}" data-t="{t}"{end} data-dx="{dx}" x="{self.x(t) + dx}" '
            f'y="{y}">{html.escape(text)}</text>'
        )

    def group(self, cls: str, t: int, y: int, body: str, tip: str) -> None:
        self.out.append(
            f'<g class="{cls}" data-t="{t}" data-y="{y}" transform="translate({self.x(t)},{y})">'
            f"{self._title(tip)}{body}</g>"
        )

    def line(self, cls: str, t: int, t2: int, y1: int, y2: int, tip: str = "", extra: str = "") -> None:
        title = self._title(tip) if tip else ""
        self.out.append(
            f'<line class="{cls}" data-t="{t}" data-t2="{t2}" x1="{self.x(t)}" y1="{y1}" '
            f'x2="{self.x(t2)}" y2="{y2}"{extra}>{title}</line>'
        )

    # --- the layers, back to front ----------------------------------------------------------

    def draw(self) -> str:
        height = _lane_top(len(self.tl.lanes))
        self._lanes(height)
        for band in self.tl.bands:
            self._band(band)
        for span in self.tl.spans:
            self._span(span)
        for mark in self.tl.marks:
            self._mark(mark)
        for arrow in self.tl.arrows:
            self._arrow(arrow)
        width = self.x(self.tl.t_end) + 40
        return (
            f'<svg id="tl" width="{width}" height="{height + 4}" '
            f'data-t0="{self.tl.t_start}" data-scale="{self.scale}">{_svg_defs()}'
            f'<g id="axis"></g>{"".join(self.out)}</svg>'
        )

    def _lanes(self, height: int) -> None:
        t0, t1 = self.tl.t_start, self.tl.t_end
        self.rect("lane tester", t0, t1, AXIS_H, TESTER_H - 2, "the tester (TEST lines)")
        groups = list(dict.fromkeys(group for group, _ in self.tl.lanes))
        for i, lane in enumerate(self.tl.lanes):
            # A grouped log shades by group, so a group's servers read as one block.
            shade = groups.index(lane[0]) % 2 if self.tl.grouped else i % 2
            self.rect(f"lane lane-{shade}", t0, t1, _lane_top(i), LANE_H - 2, _lane_tip(lane, self.tl.grouped))
            if self.tl.grouped and i and lane[0] != self.tl.lanes[i - 1][0]:
                self.line("group-sep", t0, t1, _lane_top(i) - 1, _lane_top(i) - 1)
        for section in self.tl.sections:
            self.line("section", section.start, section.start, AXIS_H, height, section.label)
            self.text("section-label", section.start, AXIS_H + 12, section.label, dx=4)

    def _band(self, band: Band) -> None:
        i = self.lane[(band.group, band.peer)]
        role = ROLE_NAMES.get(band.role, band.role)
        term = (
            f"T{band.term}"
            if band.term is not None
            else "term not logged"
            if band.role == "-"
            else "term not logged yet"
        )
        tip = f"{lane_name((band.group, band.peer))} {role}, {term}, {band.start}-{band.end} ms\n{band.tip}"
        self.rect(f"band role-{band.role}", band.start, band.end, _lane_top(i) + BAND_Y, BAND_H, tip)
        if band.term is not None:
            self.text(
                f"term on-{band.role}", band.start, _lane_top(i) + BAND_Y + 12, f"T{band.term}", t2=band.end, dx=3
            )

    def _span(self, span: Span) -> None:
        i = self.lane[(span.group, span.peer)]
        top = _lane_top(i) + 2
        tip = f"{lane_name((span.group, span.peer))} {span.label}, {span.start}-{span.end} ms\n{span.tip}"
        self.rect(f"span span-{span.kind}", span.start, span.end, top, LANE_H - 6, tip, fill=f"url(#hatch-{span.kind})")
        self.text(f"span-label span-label-{span.kind}", span.start, top + LANE_H - 10, span.label, t2=span.end, dx=3)

    def _mark(self, mark: Mark) -> None:
        if mark.peer is None:
            # Below the section label, which sits at the top of the tester's lane.
            self.group(f"mark {mark.kind}", mark.t, AXIS_H + TESTER_H - 12, _diamond(mark), mark.tip)
            return
        y = _lane_top(self.lane[(mark.group, mark.peer)])
        self.group(f"mark {mark.kind}", mark.t, y, _mark_shape(mark), mark.tip)

    def _arrow(self, arrow: Arrow) -> None:
        y1, y2 = _band_mid(self.lane[("", arrow.src)]), _band_mid(self.lane[("", arrow.dst)])
        # Stop short of the receiver's band so the head stays visible.
        y2 += -BAND_H // 2 if y2 > y1 else BAND_H // 2
        marker = "cross" if arrow.dropped else "head"
        colour = ARROW_STYLES[arrow.kind].colour
        extra = f' stroke="{colour}" marker-end="url(#{marker}-{arrow.kind})"'
        self.line(f"arrow {arrow.kind}", arrow.t_src, arrow.t_dst, y1, y2, arrow.tip, extra)


def _diamond(mark: Mark) -> str:
    size = 6 if mark.kind == "fatal" else 4
    return f'<path d="M0,{-size} L{size},0 L0,{size} L{-size},0 Z"/>'


def _mark_shape(mark: Mark) -> str:
    """A mark's shape, relative to the top of its lane."""
    colour = topic_colour(mark.topic)
    label = html.escape(mark.label)
    top, bottom = BAND_Y, BAND_Y + BAND_H
    # A leader's start and its commit often share a moment: the start's label goes left of
    # its triangle, the commit's right of its tick.
    if mark.kind == "commit":
        return (
            f'<line y1="{top - 10}" y2="{bottom}" stroke="{colour}"/>'
            f'<text class="lbl" x="2" y="{top - 3}" fill="{colour}">{label}</text>'
        )
    if mark.kind == "apply":
        return (
            f'<line y1="{top}" y2="{bottom + 10}" stroke="{colour}"/>'
            f'<text class="lbl" x="2" y="{bottom + 10}" fill="{colour}">{label}</text>'
        )
    if mark.kind == "start":
        return (
            f'<path d="M-4,{top - 8} L4,{top - 8} L0,{top - 2} Z" fill="{colour}"/>'
            f'<text class="lbl" x="-5" y="{top - 3}" text-anchor="end" fill="{colour}">+{label}</text>'
        )
    if mark.kind == "restart":
        return (
            f'<rect x="-1.5" y="2" width="3" height="{LANE_H - 8}" fill="#222"/>'
            f'<text class="lbl restart-label" x="3" y="{LANE_H - 8}">{label}</text>'
        )
    if mark.kind == "persist":
        return f'<line y1="{bottom}" y2="{bottom + 3}" stroke="{colour}"/>'
    # A shardkv group's: a flag across the lane for a config, shard moves below the band.
    if mark.kind == "config":
        return (
            f'<line y1="3" y2="{LANE_H - 6}" stroke="{colour}" stroke-width="2"/>'
            f'<path d="M0,3 L9,7 L0,11 Z" fill="{colour}"/>'
            f'<text class="lbl conf-label" x="11" y="12" fill="{colour}">{label}</text>'
        )
    if mark.kind == "shard-in":
        return (
            f'<path d="M-4,{bottom + 10} L4,{bottom + 10} L0,{bottom + 2} Z" fill="{colour}"/>'
            f'<text class="lbl" x="5" y="{bottom + 10}" fill="{colour}">{label}</text>'
        )
    if mark.kind == "shard-gc":
        return (
            f'<path d="M-3,{bottom + 3} L3,{bottom + 9} M3,{bottom + 3} L-3,{bottom + 9}" '
            f'stroke="{colour}" stroke-width="2"/>'
            f'<text class="lbl" x="5" y="{bottom + 10}" fill="{colour}">{label}</text>'
        )
    if mark.kind == "shard-settled":
        return (
            f'<circle cy="{bottom + 6}" r="3" fill="#fff" stroke="{colour}" stroke-width="1.5"/>'
            f'<text class="lbl" x="5" y="{bottom + 10}" fill="{colour}">{label}</text>'
        )
    return f'<circle cy="{top + BAND_H // 2}" r="2.6" fill="{colour}"/>'


def _svg_defs() -> str:
    """Arrow heads (one per kind: markers do not inherit the line's colour everywhere) and
    the hatchings of the tester's spans."""
    parts = []
    for kind, style in ARROW_STYLES.items():
        parts.append(
            f'<marker id="head-{kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            f'fill="{style.colour}"/></marker>'
        )
        parts.append(
            f'<marker id="cross-{kind}" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="9" '
            f'markerHeight="9"><path d="M1,1 L9,9 M9,1 L1,9" stroke="{style.colour}" '
            f'stroke-width="2"/></marker>'
        )
    for kind, colour in SPAN_COLOURS.items():
        opacity = 0.55 if kind == "crash" else 0.35  # a dead peer is darker than a cut one
        parts.append(
            f'<pattern id="hatch-{kind}" width="8" height="8" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="8" height="8" fill="{colour}" '
            f'fill-opacity="{opacity / 3:.2f}"/><line x1="0" y1="0" x2="0" y2="8" '
            f'stroke="{colour}" stroke-opacity="{opacity}" stroke-width="3"/></pattern>'
        )
    return f"<defs>{''.join(parts)}</defs>"


def fit_scale(tl: Timeline, width_px: int = FIT_WIDTH_PX) -> float:
    span = max(tl.t_end - tl.t_start, 1)
    return min(max(width_px / span, MIN_SCALE), MAX_SCALE)


def _lane_tip(lane: Lane, grouped: bool) -> str:
    if grouped and not lane[0]:
        return (
            f"S{lane[1]} of any group or of the controller: lines that name no group "
            f"(Raft's, the rsm's), drawn without roles or arrows"
        )
    return lane_name(lane)


def _lane_labels(tl: Timeline) -> str:
    rows = [f'<text x="6" y="{AXIS_H + TESTER_H // 2 + 4}" class="who">tester</text>']
    names = [lane_name(lane, tl.grouped) for lane in tl.lanes]
    for i, (lane, name) in enumerate(zip(tl.lanes, names, strict=True)):
        rows.append(
            f'<text x="6" y="{_band_mid(i) + 5}" class="who peer">{html.escape(name)}'
            f"<title>{html.escape(_lane_tip(lane, tl.grouped))}</title></text>"
        )
    width = max([58] + [14 + 8 * len(name) for name in names])  # bold 12px monospace: ~7.3 px a letter
    return f'<svg width="{width}" height="{_lane_top(len(tl.lanes)) + 4}" class="labels">{"".join(rows)}</svg>'


def _legend(tl: Timeline) -> str:
    items = [f'<span class="sw" style="background:{ROLE_COLOURS[r]}"></span>{name}' for r, name in ROLES.items()]
    if tl.grouped:
        items.append(f'<span class="sw" style="background:{ROLE_COLOURS["-"]}"></span>{ROLE_NAMES["-"]}')
        items += [
            f'<svg class="mk" width="14" height="14" viewBox="-7 -7 14 14">{_legend_mark(kind)}</svg>'
            f"{html.escape(text)}"
            for kind, text in GROUP_MARKS.items()
        ]
    items += [
        f'<span class="ar" style="border-color:{s.colour}; border-style:'
        f'{"dashed" if s.dropped else "solid"}"></span>{html.escape(s.legend)}'
        for s in ARROW_STYLES.values()
    ]
    items += [f'<span class="sw hatch" style="color:{colour}"></span>{kind}' for kind, colour in SPAN_COLOURS.items()]
    items += [f'<span class="dot" style="background:{t.colour}"></span>{t.code}' for t in TOPICS.values()]
    return " ".join(f"<span class=item>{i}</span>" for i in items)


def _legend_mark(kind: str) -> str:
    """A small copy of a group mark's shape, for the legend (its SVG centred on 0,0)."""
    topic = {"config": "CONF", "shard-in": "MIGR"}.get(kind, "GC")
    colour = topic_colour(topic)
    return {
        "config": (
            f'<line y1="-6" y2="6" stroke="{colour}" stroke-width="2"/><path d="M0,-6 L7,-3 L0,0 Z" fill="{colour}"/>'
        ),
        "shard-in": f'<path d="M-4,4 L4,4 L0,-4 Z" fill="{colour}"/>',
        "shard-gc": f'<path d="M-3,-3 L3,3 M3,-3 L-3,3" stroke="{colour}" stroke-width="2"/>',
        "shard-settled": f'<circle r="3" fill="#fff" stroke="{colour}" stroke-width="1.5"/>',
    }[kind]


def render_html(tl: Timeline, source: str) -> str:
    """The whole page: header, legend, lane labels, the drawing, and the zoom script."""
    scale = fit_scale(tl)
    title = " / ".join(s.label for s in tl.sections if s.label) or source
    seconds = (tl.t_end - tl.t_start) / 1000
    problems = "".join(f"<div>{html.escape(p)}</div>" for p in tl.problems)
    counts = f"{len(tl.arrows)} arrows, {len(tl.marks)} lines drawn"
    return _PAGE.substitute(
        title=html.escape(title),
        source=html.escape(source),
        seconds=f"{seconds:.1f}",
        lanes=(f"{len(tl.lanes)} lanes" if tl.grouped else f"{len(tl.peers)} peers"),
        counts=counts,
        t0=tl.t_start,
        t1=tl.t_end,
        note=_GROUPED_NOTE if tl.grouped else "",
        problems=f'<div class="problems">{problems}</div>' if problems else "",
        legend=_legend(tl),
        labels=_lane_labels(tl),
        svg=SvgWriter(tl, scale).draw(),
        config=json.dumps({"minScale": MIN_SCALE, "maxScale": MAX_SCALE}),
        role_f=ROLE_COLOURS["F"],
        role_c=ROLE_COLOURS["C"],
        role_l=ROLE_COLOURS["L"],
    )


def write_timeline(log: Path, out: Path | None = None) -> Path:
    """Read a log, write its timeline (default: beside it, suffix .html); return the path.

    Raises NotADebugLog, before writing anything, when the log is not a debug log, and
    ValueError when out would overwrite the log itself (a log named *.html)."""
    out = out or log.with_suffix(".html")
    if out.resolve() == log.resolve():
        raise ValueError(f"{out}: the timeline would overwrite its own log; name another with -o")
    tl = build_timeline(read_entries(log))
    out.write_text(render_html(tl, log.name), encoding="utf-8")
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="python -m tools.timeline", description="Write an HTML timeline of a PY6824_DEBUG log."
    )
    parser.add_argument("log", type=Path, metavar="LOGFILE")
    parser.add_argument(
        "-o", "--output", type=Path, metavar="OUT.html", help="where to write (default: LOGFILE with suffix .html)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    ns = build_parser().parse_args(argv)
    try:
        out = write_timeline(ns.log, ns.output)
    except (OSError, ValueError) as exc:  # NotADebugLog is a ValueError
        print(f"timeline: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(out)
    return 0


_GROUPED_NOTE = (
    '<div class="note">Lanes per shardkv group and server ("G100 S0") and the '
    'controller\'s ("CTRL S0"), for the lines that name them; a lane "S0 *" holds the '
    "lines that name no group (Raft's, the rsm's SKV): any group's S0 or the "
    "controller's, so drawn without roles or arrows.</div>"
)

# The page. $names are filled in by render_html (string.Template: CSS and JS keep their braces).
_PAGE = Template("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>$title - py6824 timeline</title>
<style>
body { font: 13px/1.35 system-ui, sans-serif; margin: 10px 14px; color: #222; background: #fff; }
h1 { font-size: 16px; margin: 0 0 2px; }
.meta { color: #666; margin-bottom: 4px; }
.problems { color: #b00; font-family: ui-monospace, monospace; font-size: 12px; margin: 4px 0;
            white-space: pre-wrap; }
.legend { margin: 4px 0 6px; font-size: 12px; color: #444; }
.legend .item { margin-right: 10px; white-space: nowrap; display: inline-block; }
.sw { display: inline-block; width: 16px; height: 10px; margin-right: 3px; vertical-align: -1px;
      border: 1px solid #999; }
.sw.hatch { background: repeating-linear-gradient(45deg, currentColor 0 2px, transparent 2px 6px); }
.ar { display: inline-block; width: 18px; border-top: 2px solid; margin-right: 3px; vertical-align: 3px; }
.dot { display: inline-block; width: 8px; height: 8px; border-radius: 4px; margin-right: 2px; }
.controls button { font-size: 12px; margin-right: 3px; }
.wrap { display: flex; border: 1px solid #ccc; }
.labels { flex: none; background: #fafafa; border-right: 1px solid #ccc; }
.scroller { overflow-x: auto; flex: 1; }
svg text { font: 10px ui-monospace, monospace; }
.who { font: bold 12px ui-monospace, monospace; fill: #333; }
.lane-0 { fill: #ffffff; } .lane-1 { fill: #f6f7f9; } .lane.tester { fill: #eef0f7; }
.band.role-F { fill: $role_f; } .band.role-C { fill: $role_c; } .band.role-L { fill: $role_l; }
.term { font-weight: bold; fill: #223; pointer-events: none; } .term.on-L { fill: #fff; }
.span { stroke: none; }
.restart-label { fill: #222; font-weight: bold; }
.span-label { fill: #333; font-style: italic; pointer-events: none; }
.span-label-disconnect { fill: #a02020; } .span-label-partition { fill: #6030a0; }
.section { stroke: #4a4a9a; stroke-dasharray: 4 3; }
.section-label { fill: #4a4a9a; font-weight: bold; }
.group-sep { stroke: #888; stroke-width: 1; }
.conf-label { font-weight: bold; }
.mk { vertical-align: -2px; margin-right: 2px; }
.note { font-size: 12px; color: #555; margin: 0 0 6px; }
.arrow { stroke-width: 1.3; fill: none; }
.arrow.vote-refused, .arrow.append-rejected { stroke-dasharray: 4 2; }
.mark.test path { fill: #4a4a9a; } .mark.fatal path { fill: #d01010; }
.dense .lbl, .dense .persist { display: none; }
#axis line { stroke: #ddd; } #axis text { fill: #777; }
#tip { position: fixed; display: none; background: #fffbe6; border: 1px solid #d9c77a; padding: 4px 6px;
       font: 12px ui-monospace, monospace; white-space: pre; pointer-events: none; z-index: 9;
       box-shadow: 0 1px 4px rgba(0,0,0,.2); max-width: 90vw; overflow: hidden; }
svg [data-tip]:hover { opacity: .75; }
</style></head>
<body>
<h1>$title</h1>
<div class="meta">$source &middot; $seconds s ($t0-$t1 ms) &middot; $lanes &middot; $counts
&middot; <span class="controls"><button id="zin">+ zoom in</button><button id="zout">&minus; zoom out</button>
<button id="zfit">fit</button></span></div>
$problems
<div class="legend">$legend</div>
$note
<div class="wrap">$labels<div class="scroller" id="scroller">$svg</div></div>
<div id="tip"></div>
<script>
"use strict";
(function () {
  const cfg = $config;
  const svg = document.getElementById("tl"), scroller = document.getElementById("scroller");
  const tip = document.getElementById("tip");
  const t0 = +svg.dataset.t0;
  const items = Array.from(svg.querySelectorAll("[data-t]"));
  let scale = +svg.dataset.scale;
  let t1 = t0;
  for (const el of items) t1 = Math.max(t1, +el.dataset.t, +(el.dataset.t2 || 0));
  const X = (t) => (t - t0) * scale;

  // Move every <title> into data-tip: one instant tooltip instead of the browser's slow one.
  for (const title of Array.from(svg.querySelectorAll("title"))) {
    title.parentNode.dataset.tip = title.textContent;
    title.remove();
  }
  svg.addEventListener("mousemove", (ev) => {
    const el = ev.target.closest("[data-tip]");
    if (!el) { tip.style.display = "none"; return; }
    tip.textContent = el.dataset.tip;
    tip.style.display = "block";
    const w = tip.offsetWidth;
    tip.style.left = Math.max(4, Math.min(ev.clientX + 12, window.innerWidth - w - 8)) + "px";
    tip.style.top = (ev.clientY + 14) + "px";
  });
  svg.addEventListener("mouseleave", () => { tip.style.display = "none"; });

  function niceStep(pxPerMs) {
    const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000];
    return steps.find((s) => s * pxPerMs >= 70) || 60000;
  }
  function drawAxis() {
    // The SVG namespace from the element itself: the page names no URL at all.
    const axis = document.getElementById("axis"), ns = svg.namespaceURI;
    axis.replaceChildren();
    const step = niceStep(scale), h = +svg.getAttribute("height");
    for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
      const line = document.createElementNS(ns, "line");
      line.setAttribute("x1", X(t)); line.setAttribute("x2", X(t));
      line.setAttribute("y1", 16); line.setAttribute("y2", h);
      const text = document.createElementNS(ns, "text");
      text.setAttribute("x", X(t) + 2); text.setAttribute("y", 12);
      text.textContent = t >= 1000 ? (t / 1000) + " s" : t + " ms";
      axis.append(line, text);
    }
  }
  function layout() {
    for (const el of items) {
      const x = X(+el.dataset.t), x2 = el.dataset.t2 === undefined ? x : X(+el.dataset.t2);
      switch (el.tagName) {
        case "rect": el.setAttribute("x", x); el.setAttribute("width", Math.max(x2 - x, 1)); break;
        case "line": el.setAttribute("x1", x); el.setAttribute("x2", x2); break;
        case "text":
          el.setAttribute("x", x + +(el.dataset.dx || 0));
          // A label wider than its band or span would spill over the next one: hide it.
          if (el.dataset.t2 !== undefined) {
            el.style.display = (x2 - x < el.getComputedTextLength() + 6) ? "none" : "";
          }
          break;
        case "g": el.setAttribute("transform", "translate(" + x + "," + el.dataset.y + ")"); break;
      }
    }
    svg.setAttribute("width", X(t1) + 40);
    svg.classList.toggle("dense", scale < 0.2);
    drawAxis();
  }
  function zoom(factor, anchorPx) {
    const anchor = anchorPx === undefined ? scroller.clientWidth / 2 : anchorPx;
    const t = t0 + (scroller.scrollLeft + anchor) / scale;
    scale = Math.min(cfg.maxScale, Math.max(cfg.minScale, scale * factor));
    layout();
    scroller.scrollLeft = X(t) - anchor;
  }
  function fit() {
    const fitting = (scroller.clientWidth - 50) / Math.max(t1 - t0, 1);
    scale = Math.min(cfg.maxScale, Math.max(cfg.minScale, fitting));
    layout();
  }
  document.getElementById("zin").onclick = () => zoom(2);
  document.getElementById("zout").onclick = () => zoom(0.5);
  document.getElementById("zfit").onclick = fit;
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "+" || ev.key === "=") zoom(2);
    else if (ev.key === "-") zoom(0.5);
    else if (ev.key === "0") fit();
  });
  scroller.addEventListener("wheel", (ev) => {
    if (!ev.ctrlKey) return;
    ev.preventDefault();
    zoom(ev.deltaY < 0 ? 1.25 : 0.8, ev.clientX - scroller.getBoundingClientRect().left);
  }, { passive: false });
  fit();
})();
</script>
</body></html>
""")


if __name__ == "__main__":
    run("tools.timeline", main)
