"""Terminal viewer for the structured debug log: one column per peer, a colour per topic.

Usage::

    python -m tools.logview [FILE|-] [--only TOPICS] [--ignore TOPICS] [--peers 0,2]
                            [--from MS] [--to MS] [--plain] [--width N]

    PY6824_DEBUG=1 pytest -k test_re_election_2a -s 2>&1 | python -m tools.logview
    python -m tools.logview stress-logs/<run>/raft.test_raft.test_backup_2b-7.log --only vote,lead

FILE is any log holding labrpc/debug.py lines: a stress iteration's kept log, or a pytest run's
stderr (stdin when FILE is ``-`` or absent; the whole input is read first, because the number
of columns is the number of peers in the log). Each peer's lines go in that peer's column,
prefixed by the time in ms; the tester's TEST lines and every line that is not a debug line
(pytest's output, ``Test (2A): ...``, tracebacks, thread dumps) span the full width where they
occurred.

TOPICS are comma-separated codes or names: TIMR/timer, VOTE/vote, LEAD/leader, APND/append,
CMIT/commit, APLY/apply, PERS/persist, SNAP/snapshot, DROP/drop, CLNT/client, KVSV/kvserver,
CTRL/ctrler, SKV/shardkv, CONF/config, MIGR/migrate, GC/gc, TEST/test (Lab 4's shardkv log:
``--only conf,migr,gc,test`` is the story of its configurations and shard moves). ``--only`` and
``--ignore`` apply to every debug line, TEST included. ``--from`` / ``--to`` keep debug lines with
FROM <= ms <= TO, and the other lines that follow them.

Colour when stdout is a terminal; plain text (no escape codes, 160 columns unless ``--width``
or $COLUMNS says otherwise) when it is not, or with ``--plain``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from tools.cli import EXIT_USAGE, ArgumentParser, int_in, run
from tools.debuglog import DebugLine, Entry, NotADebugLog, OtherLine, peers_of, read_entries, topic_codes, topic_colour

PLAIN_WIDTH = 160  # wide enough for five peer columns of useful width
MIN_WIDTH, MAX_WIDTH = 40, 10_000  # --width: below 40 a column holds a few letters at most
TIME_WIDTH = 8  # the log's own zero-padded milliseconds


@dataclass(frozen=True)
class Selection:
    """Which lines to show."""

    only: frozenset[str] | None = None  # topic codes; None: every topic
    ignore: frozenset[str] = frozenset()
    peers: frozenset[int] | None = None  # None: every peer
    start_ms: int | None = None
    end_ms: int | None = None

    def keeps_debug(self, line: DebugLine) -> bool:
        return (
            (self.only is None or line.topic in self.only)
            and line.topic not in self.ignore
            and (self.peers is None or line.peer is None or line.peer in self.peers)
            and self.in_window(line.ms)
        )

    def in_window(self, ms: int | None) -> bool:
        """ms None: before the first debug line (pytest's header), outside any --from window."""
        if ms is None:
            return self.start_ms is None
        return (self.start_ms is None or ms >= self.start_ms) and (self.end_ms is None or ms <= self.end_ms)


def select(entries: Iterable[Entry], selection: Selection) -> Iterator[Entry]:
    """The entries to show. A non-debug line belongs to the time of the debug line before it,
    so a traceback stays with the moment it was printed; topic and peer filters leave it."""
    last_ms: int | None = None
    for entry in entries:
        if isinstance(entry, DebugLine):
            last_ms = entry.ms
            if selection.keeps_debug(entry):
                yield entry
        elif selection.in_window(last_ms):
            yield entry


def columns_for(entries: Sequence[Entry], selection: Selection) -> list[int]:
    """One column per peer in the log (all of them, not only those that survive the filters,
    so a peer keeps its column position whatever the filter), minus those --peers excludes."""
    return [p for p in peers_of(entries) if selection.peers is None or p in selection.peers]


# --------------------------------------------------------------------------- rendering


def _cell(line: DebugLine) -> Text:
    colour = topic_colour(line.topic)
    term = f"T{line.term}" if line.term is not None else "T-"
    return Text.assemble((line.topic, f"bold {colour}"), " ", (f"{term} {line.role}", "dim"), " ", (line.text, colour))


def _full_width(entry: Entry) -> Text:
    if isinstance(entry, OtherLine):
        return Text(entry.text, style="dim")
    # White on the topic's colour: the tester's actions are the chapter breaks of the story.
    return Text(
        f"{entry.ms:0{TIME_WIDTH}d} {entry.topic} {entry.text}", style=f"bold #ffffff on {topic_colour(entry.topic)}"
    )


class ColumnRenderer:
    """Prints entries: runs of peer lines as one grid (so rich lays them out together), every
    other line full-width between them."""

    def __init__(self, console: Console, columns: Sequence[int], plain: bool = False) -> None:
        self.console = console
        self.columns = list(columns)
        self.index = {peer: i for i, peer in enumerate(self.columns)}
        self.plain = plain

    def _print(self, renderable: RenderableType, soft_wrap: bool = False) -> None:
        if not self.plain:
            self.console.print(renderable, soft_wrap=soft_wrap)
            return
        # rich pads every table cell to its width; plain text is for grep and diff, so the
        # padding at the end of each line goes.
        with self.console.capture() as captured:
            self.console.print(renderable, soft_wrap=soft_wrap)
        lines = captured.get().splitlines()
        self.console.file.write("".join(line.rstrip() + "\n" for line in lines))

    def _grid(self) -> Table:
        grid = Table.grid(expand=True, padding=(0, 1))
        grid.add_column(width=TIME_WIDTH, justify="right", no_wrap=True)
        for _ in self.columns:
            grid.add_column(ratio=1, overflow="fold")
        return grid

    def header(self) -> None:
        grid = self._grid()
        grid.add_row(Text("ms", style="bold"), *(Text(f"S{p}", style="bold underline") for p in self.columns))
        self._print(grid)

    def _row(self, grid: Table, line: DebugLine) -> None:
        cells: list[Text] = [Text()] * len(self.columns)
        cells[self.index[line.peer]] = _cell(line)  # type: ignore[index]  # peer lines only
        grid.add_row(Text(f"{line.ms:0{TIME_WIDTH}d}", style="dim"), *cells)

    def render(self, entries: Iterable[Entry]) -> None:
        grid: Table | None = None
        for entry in entries:
            if isinstance(entry, DebugLine) and entry.peer in self.index:
                grid = grid or self._grid()
                self._row(grid, entry)
                continue
            if grid is not None:
                self._print(grid)
                grid = None
            # soft_wrap: a long traceback line stays one line in a file, for grep.
            self._print(_full_width(entry), soft_wrap=True)
        if grid is not None:
            self._print(grid)


def wants_plain(plain_flag: bool) -> bool:
    return plain_flag or not Console().is_terminal


def make_console(plain: bool, width: int | None) -> Console:
    """Colour on a terminal; no escape codes when plain."""
    if plain:
        if width is None:
            columns = os.environ.get("COLUMNS", "")
            width = int(columns) if columns.isdigit() else PLAIN_WIDTH
        return Console(color_system=None, force_terminal=False, highlight=False, width=width)
    return Console(highlight=False, width=width)


# --------------------------------------------------------------------------- command line


def _topics(text: str) -> frozenset[str]:
    try:
        return frozenset(topic_codes(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _peers(text: str) -> frozenset[int]:
    try:
        peers = frozenset(int(p.strip().removeprefix("S")) for p in text.split(",") if p.strip())
    except ValueError:
        peers = frozenset()  # refused below, with the same message
    if not peers or min(peers) < 0:
        raise argparse.ArgumentTypeError(f"expected peer numbers like 0,2, got {text!r}")
    return peers


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="python -m tools.logview", description="Show a py6824 debug log (PY6824_DEBUG) with one column per peer."
    )
    parser.add_argument("file", nargs="?", default="-", metavar="FILE", help="log file; '-' or absent: stdin")
    parser.add_argument("--only", type=_topics, metavar="TOPICS", help="show only these topics, e.g. vote,LEAD")
    parser.add_argument(
        "--ignore", type=_topics, default=frozenset(), metavar="TOPICS", help="hide these topics, e.g. PERS"
    )
    parser.add_argument("--peers", type=_peers, metavar="LIST", help="only these peers' columns, e.g. 0,2")
    parser.add_argument("--from", dest="start_ms", type=int_in(0), metavar="MS", help="start of the time window")
    parser.add_argument("--to", dest="end_ms", type=int_in(0), metavar="MS", help="end of the time window")
    parser.add_argument("--plain", action="store_true", help="no colour (the default when piped)")
    parser.add_argument("--width", type=int_in(MIN_WIDTH, MAX_WIDTH), metavar="N", help="output width in columns")
    return parser


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = build_parser()
    ns = parser.parse_args(argv)
    if ns.start_ms is not None and ns.end_ms is not None and ns.start_ms > ns.end_ms:
        parser.error(f"--from {ns.start_ms} is after --to {ns.end_ms}: the window is empty")
    return ns


def main(argv: Sequence[str] | None = None) -> int:
    ns = parse_args(argv)
    selection = Selection(only=ns.only, ignore=ns.ignore, peers=ns.peers, start_ms=ns.start_ms, end_ms=ns.end_ms)
    try:
        entries = read_entries(ns.file)
    except (OSError, NotADebugLog) as exc:
        print(f"logview: {exc}", file=sys.stderr)
        return EXIT_USAGE
    plain = wants_plain(ns.plain)
    renderer = ColumnRenderer(make_console(plain, ns.width), columns_for(entries, selection), plain)
    try:
        renderer.header()
        renderer.render(select(entries, selection))
    except BrokenPipeError:  # `| head`: the reader has seen enough
        sys.stderr.close()
    return 0


if __name__ == "__main__":
    run("tools.logview", main)
