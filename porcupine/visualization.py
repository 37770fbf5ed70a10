"""A self-contained HTML page showing a checked history (the course's porcupine/visualization.go).

    result, info = check_operations_verbose(model, history, timeout_s)
    visualize_path(model, info, "/tmp/history.html")     or  visualize(model, info, file_obj)

What the page shows: one row per client; each operation a bar from its call to its return,
labelled with ``describe_operation``; all partitions share the rows and the time axis. Over the
bars, a partial linearization is drawn as points (where each operation takes effect) joined by
a line; the longest one of each partition is shown at first. In a partition the checker found
illegal, the operations that could have come next after the longest prefix but that the model
rejects are red, both their bars and their points: that is where the history stops being
linearizable. Hovering a bar shows its times and the state before and after it in the longest
prefix containing it; clicking pins that view, and "jump to first error" scrolls to the
earliest red operation.

Time is warped, as porcupine does, so the picture stays readable: only the order of the call
and return instants matters, so each distinct instant gets an x position, at least a small gap
after the previous one, and far enough along that every bar fits its label and the points of
the linearizations that pass through it. One left-to-right scan finds the smallest such
positions (_layout). Real times are in the tooltips.

Everything (data as JSON, CSS, SVG, script) is inline: the file opens without a network.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import IO, Any

from porcupine.checker import CALL, Entry, LinearizationInfo
from porcupine.model import CheckResult, Model

# Layout, in pixels.
_ROW_HEIGHT = 30  # one bar
_ROW_GAP = 16
_LEFT = 90  # room for the client labels
_TOP = 36  # room for the time ticks
_SLOT_GAP = 18  # between two distinct instants
_POINT_GAP = 16  # between successive linearization points
_POINT_MARGIN = 8  # a point keeps this far from the end of its bar
_CHAR_WIDTH = 7.3  # of the 12 px monospace label font
_LABEL_PADDING = 12
_MAX_LABEL = 48  # characters shown in a bar; the tooltip has the full description


@dataclass
class _Op:
    """One operation of one partition, with what the page needs."""

    client: int
    start: int
    end: int
    input: Any
    output: Any
    description: str = ""
    start_slot: tuple[int, int] = (0, 0)  # (time, 0): the call instant
    end_slot: tuple[int, int] = (0, 1)  # (time, 1): the return instant, after calls at that time
    x0: float = 0.0
    x1: float = 0.0


@dataclass
class _Linearization:
    """A partial linearization: ops in order with the state after each, and the rejected next ops."""

    ops: list[int]
    states: list[str]
    rejected: list[int] = field(default_factory=list)
    points: list[float] = field(default_factory=list)  # x of each op's point, filled by _layout
    rejected_points: list[float] = field(default_factory=list)


@dataclass
class _Partition:
    ops: list[_Op]
    result: CheckResult
    linearizations: list[_Linearization]


def visualize(model: Model, info: LinearizationInfo, file_obj: IO[str]) -> None:
    """Write the page for ``info`` (from check_operations_verbose or check_events_verbose)."""
    partitions = _visualization_data(model, info)
    _layout(partitions)
    file_obj.write(_render(partitions))


def visualize_path(model: Model, info: LinearizationInfo, path: str) -> None:
    """visualize() into a new file at ``path``."""
    with open(path, "w", encoding="utf-8") as file_obj:
        visualize(model, info, file_obj)


# ----------------------------------------------------------------------------------------------
# Data: replay the partial linearizations through the model


def _visualization_data(model: Model, info: LinearizationInfo) -> list[_Partition]:
    partitions = []
    for p, entries in enumerate(info.history):
        ops = _ops_of(model, entries)
        result = info.partition_results[p] if p < len(info.partition_results) else CheckResult.UNKNOWN
        partials = info.partial_linearizations[p] if p < len(info.partial_linearizations) else []
        lins = [_replay(model, ops, partial) for partial in partials]
        partitions.append(_Partition(ops, result, lins))
    return partitions


def _ops_of(model: Model, entries: list[Entry]) -> list[_Op]:
    """Pair each call entry with its return entry (ids are 0..n-1 within a partition)."""
    calls = {e.id: e for e in entries if e.kind == CALL}
    ops: list[_Op] = [None] * len(calls)  # type: ignore[list-item]  # each slot filled below (ids are 0..n-1)
    for e in entries:
        if e.kind != CALL:
            call = calls[e.id]
            op = _Op(call.client_id, call.time, e.time, call.value, e.value)
            op.description = model.describe_operation(call.value, e.value)
            op.start_slot, op.end_slot = (call.time, 0), (e.time, 1)
            ops[e.id] = op
    return ops


def _replay(model: Model, ops: list[_Op], partial: tuple[int, ...]) -> _Linearization:
    """States along a partial linearization, and the ops the model rejects right after it.

    A rejected op is one that real time allows next (it was called before every op left out
    returned) but whose step fails in the last state: porcupine's "invalid LP".
    """
    state = model.init()
    states = []
    for op_id in partial:
        ok, state = model.step(state, ops[op_id].input, ops[op_id].output)
        if not ok:
            raise RuntimeError("valid partial linearization returned non-ok result from model step")
        states.append(model.describe_state(state))
    included = set(partial)
    left_out = [i for i in range(len(ops)) if i not in included]
    rejected: list[int] = []
    if left_out:
        first_return = min(ops[i].end_slot for i in left_out)
        rejected = [
            i
            for i in left_out
            if ops[i].start_slot < first_return and not model.step(state, ops[i].input, ops[i].output)[0]
        ]
    return _Linearization(list(partial), states, rejected)


# ----------------------------------------------------------------------------------------------
# Layout: one left-to-right scan over the distinct instants


def _layout(partitions: list[_Partition]) -> None:
    """Give every instant an x position, and every bar and linearization point its x.

    Scanning instants in order, an instant's x is the smallest that keeps: a gap after the
    previous instant; for each bar ending here, room for its label; and room for the points of
    each linearization through it. A linearization's points depend only on earlier call
    instants (an op's point is at its call, or a gap after the previous point), and every op
    before ``op`` in a linearization was called before ``op`` returned, so those points are
    known by the time ``op``'s return is placed.
    """
    ends_at: dict[tuple[int, int], list[tuple[_Partition, _Op]]] = {}
    slots: set[tuple[int, int]] = set()
    for part in partitions:
        for op in part.ops:
            slots.update((op.start_slot, op.end_slot))
            ends_at.setdefault(op.end_slot, []).append((part, op))
    through = _linearizations_through(partitions)

    x_of: dict[tuple[int, int], float] = {}
    previous = None
    for slot in sorted(slots):
        pos = 0.0 if previous is None else x_of[previous] + _SLOT_GAP
        for part, op in ends_at.get(slot, ()):
            pos = max(pos, x_of[op.start_slot] + _label_width(op.description))
            for lin, position in through.get(id(op), ()):
                if position < len(lin.ops):
                    point = _point(lin, position, part.ops, x_of)
                else:  # op is rejected after the whole of lin
                    point = _next_point(_last_point(lin, part.ops, x_of), x_of[op.start_slot])
                pos = max(pos, point + _POINT_MARGIN)
        x_of[slot] = pos
        previous = slot

    for part in partitions:
        for op in part.ops:
            op.x0, op.x1 = x_of[op.start_slot], x_of[op.end_slot]
        for lin in part.linearizations:
            last = _last_point(lin, part.ops, x_of)
            lin.rejected_points = [_next_point(last, x_of[part.ops[i].start_slot]) for i in lin.rejected]


def _linearizations_through(partitions: list[_Partition]) -> dict[int, list[tuple[_Linearization, int]]]:
    """For each op (by id()), the (linearization, position) pairs whose point lies in its bar.

    A rejected op's point comes right after the linearization's last one: position len(lin.ops).
    """
    through: dict[int, list[tuple[_Linearization, int]]] = {}
    for part in partitions:
        for lin in part.linearizations:
            for position, op_id in enumerate(lin.ops):
                through.setdefault(id(part.ops[op_id]), []).append((lin, position))
            for op_id in lin.rejected:
                through.setdefault(id(part.ops[op_id]), []).append((lin, len(lin.ops)))
    return through


def _point(lin: _Linearization, position: int, ops: list[_Op], x_of: dict) -> float:
    """x of lin's point at ``position``, computing lin.points up to it on first use."""
    while len(lin.points) <= position:
        last = lin.points[-1] if lin.points else None
        lin.points.append(_next_point(last, x_of[ops[lin.ops[len(lin.points)]].start_slot]))
    return lin.points[position]


def _last_point(lin: _Linearization, ops: list[_Op], x_of: dict) -> float | None:
    """x of lin's last point (None for an empty linearization)."""
    return _point(lin, len(lin.ops) - 1, ops, x_of) if lin.ops else None


def _next_point(last: float | None, call_x: float) -> float:
    return call_x if last is None else max(call_x, last + _POINT_GAP)


def _label_width(description: str) -> float:
    return len(_short(description)) * _CHAR_WIDTH + 2 * _LABEL_PADDING


def _short(text: str) -> str:
    """At most _MAX_LABEL characters: the head and the tail, which is where appends land."""
    if len(text) <= _MAX_LABEL:
        return text
    return text[:18] + "…" + text[-(_MAX_LABEL - 19) :]


# ----------------------------------------------------------------------------------------------
# Rendering: static SVG for the bars (readable without the script), JSON for the script


def _render(partitions: list[_Partition]) -> str:
    clients = sorted({op.client for part in partitions for op in part.ops})
    row_of = {client: row for row, client in enumerate(clients)}
    width = _LEFT + max((op.x1 for part in partitions for op in part.ops), default=0) + 40
    height = _TOP + len(clients) * (_ROW_HEIGHT + _ROW_GAP) + 10
    failing = _failing_ops(partitions)
    first_error = min(failing, key=lambda pi: partitions[pi[0]].ops[pi[1]].x0, default=None)

    svg = [f'<svg id="history" width="{width:.0f}" height="{height:.0f}">']
    svg.append(f'<rect id="bg" x="0" y="0" width="{width:.0f}" height="{height:.0f}"/>')
    svg.extend(_time_ticks(partitions, height))
    for client, row in row_of.items():
        y = _TOP + row * (_ROW_HEIGHT + _ROW_GAP) + _ROW_HEIGHT / 2
        svg.append(f'<text class="client-label" id="client-{client}" x="8" y="{y:.0f}">client {client}</text>')
    for p, part in enumerate(partitions):
        svg.append(f'<g class="partition" id="partition-{p}" data-p="{p}">')
        for i, op in enumerate(part.ops):
            svg.append(_bar(p, i, op, row_of[op.client], (p, i) in failing))
        svg.append("</g>")
    svg.append('<g id="overlay"></g></svg>')

    data = {
        "left": _LEFT,
        "top": _TOP,
        "rowHeight": _ROW_HEIGHT,
        "rowGap": _ROW_GAP,
        "t0": min((op.start for part in partitions for op in part.ops), default=0),
        "rows": {str(c): r for c, r in row_of.items()},
        "firstError": list(first_error) if first_error else None,
        "partitions": [_partition_json(part) for part in partitions],
    }
    return _PAGE.format(
        summary=_summary(partitions, failing, first_error),
        svg="\n".join(svg),
        data=_script_safe_json(data),
        css=_CSS,
        script=_SCRIPT,
    )


def _failing_ops(partitions: list[_Partition]) -> set[tuple[int, int]]:
    """(partition, op) pairs rejected right after the longest prefix of an illegal partition."""
    failing: set[tuple[int, int]] = set()
    for p, part in enumerate(partitions):
        if part.result is CheckResult.ILLEGAL and part.linearizations:
            failing.update((p, i) for i in part.linearizations[0].rejected)
        elif part.result is CheckResult.ILLEGAL and part.ops:
            # Nothing could be linearized at all: every op callable first was rejected.
            first_return = min(op.end_slot for op in part.ops)
            failing.update((p, i) for i, op in enumerate(part.ops) if op.start_slot < first_return)
    return failing


def _bar(p: int, i: int, op: _Op, row: int, failed: bool) -> str:
    x = _LEFT + op.x0
    y = _TOP + row * (_ROW_HEIGHT + _ROW_GAP)
    width = max(op.x1 - op.x0, 2)
    classes = "op failed" if failed else "op"
    label = html.escape(_short(op.description))
    title = html.escape(op.description)
    return (
        f'<g class="{classes}" id="op-{p}-{i}" data-p="{p}" data-i="{i}">'
        f"<title>{title}</title>"
        f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{_ROW_HEIGHT}" rx="4"/>'
        f'<text x="{x + width / 2:.1f}" y="{y + _ROW_HEIGHT / 2}">{label}</text></g>'
    )


def _time_ticks(partitions: list[_Partition], height: float) -> list[str]:
    """A few call instants along the top, as real times since the first call (time is warped)."""
    calls = sorted({(op.x0, op.start) for part in partitions for op in part.ops})
    if not calls:
        return []
    t0 = calls[0][1]
    ticks, last_x = [], None
    for x, t in calls:
        if last_x is None or x - last_x >= 110:
            ticks.append(
                f'<line class="tick" x1="{_LEFT + x:.1f}" y1="{_TOP - 8}" x2="{_LEFT + x:.1f}" y2="{height}"/>'
                f'<text class="tick-label" x="{_LEFT + x + 3:.1f}" y="{_TOP - 16}">+{t - t0:,}</text>'
            )
            last_x = x
    return ticks


def _summary(partitions: list[_Partition], failing: set, first_error: tuple[int, int] | None) -> str:
    """The header: verdict per partition (click to focus one) and the jump link."""
    illegal = sum(part.result is CheckResult.ILLEGAL for part in partitions)
    unknown = sum(part.result is CheckResult.UNKNOWN for part in partitions)
    if illegal:
        verdict = (
            f'<span class="verdict bad">Illegal</span>: {illegal} of {len(partitions)} partition(s) not linearizable'
        )
    elif unknown:
        verdict = f'<span class="verdict">Unknown</span>: {unknown} partition(s) timed out'
    else:
        verdict = f'<span class="verdict good">Ok</span>: {len(partitions)} partition(s) linearizable'
    if first_error:
        jump = f'<a id="jump" href="#op-{first_error[0]}-{first_error[1]}">[ jump to first error ]</a>'
    else:
        jump = '<span id="jump" class="inactive">[ no error ]</span>'
    chips = []
    for p, part in enumerate(partitions):
        name = html.escape(_partition_name(part))
        chips.append(
            f'<button class="chip {part.result.value.lower()}" data-p="{p}">{name}: {part.result.value}'
            f" ({len(part.ops)} ops)</button>"
        )
    return (
        f'<div id="verdict">{verdict} &nbsp; {jump}</div>'
        '<div id="legend"><span class="sw lp"></span> valid linearization point '
        '<span class="sw bad"></span> rejected next op (where it fails) '
        "&nbsp; hover a bar for states and times, click to pin, click the background to unpin</div>"
        f'<div id="chips">{"".join(chips)}</div>'
    )


def _partition_name(part: _Partition) -> str:
    """The KV model's key when the inputs have one, else a neutral name."""
    key = getattr(part.ops[0].input, "key", None) if part.ops else None
    return f"key '{key}'" if isinstance(key, str) else "partition"


def _partition_json(part: _Partition) -> dict:
    largest: dict[int, int] = {}
    largest_rejected: dict[int, int] = {}
    for index, lin in enumerate(part.linearizations):  # longest first, so the first one wins
        for op_id in lin.ops:
            largest.setdefault(op_id, index)
        for op_id in lin.rejected:
            largest_rejected.setdefault(op_id, index)
    return {
        "result": part.result.value,
        "ops": [
            {"c": op.client, "s": op.start, "e": op.end, "x0": op.x0, "x1": op.x1, "d": op.description}
            for op in part.ops
        ],
        "lins": [
            {
                "ops": lin.ops,
                "states": lin.states,
                "points": lin.points,
                "rejected": lin.rejected,
                "rejectedPoints": lin.rejected_points,
            }
            for lin in part.linearizations
        ],
        "largest": largest,
        "largestRejected": largest_rejected,
    }


def _script_safe_json(data: Any) -> str:
    """JSON that cannot end the <script> element it sits in."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_CSS = """
body { font-family: Helvetica, Arial, sans-serif; font-size: 14px; margin: 0; }
#header { position: fixed; left: 0; right: 0; top: 0; z-index: 2; background: rgba(255,255,255,0.93);
  padding: 6px 10px; border-bottom: 1px solid #ddd; }
#verdict { font-size: 16px; margin-bottom: 4px; }
.verdict { font-weight: bold; }
.verdict.bad { color: #c00; }
.verdict.good { color: #070; }
#jump { color: #206475; cursor: pointer; font-weight: bold; text-decoration: none; }
#jump.inactive { color: #999; cursor: default; }
#legend { color: #444; font-size: 12px; margin-bottom: 4px; }
.sw { display: inline-block; width: 10px; height: 10px; vertical-align: middle; }
.sw.lp { background: rgba(0,0,0,0.6); }
.sw.bad { background: #e33; }
.chip { font-size: 11px; margin: 1px; padding: 1px 6px; border: 1px solid #bbb; border-radius: 9px;
  background: #f4f4f4; cursor: pointer; }
.chip.illegal { border-color: #c00; color: #c00; background: #fff0f0; }
.chip.unknown { border-color: #c80; color: #a60; }
.chip.active { outline: 2px solid #206475; }
#canvas { padding: 110px 0 30px 0; }  /* below the fixed header; the script sets the exact height */
#bg { fill: transparent; }
.client-label { font-size: 13px; dominant-baseline: middle; }
.tick { stroke: #eee; stroke-width: 1; }
.tick-label { font-size: 10px; fill: #888; }
.op rect { fill: #42d1f5; stroke: #888; stroke-width: 1; }
.op text { font-family: Menlo, "Courier New", monospace; font-size: 12px; text-anchor: middle;
  dominant-baseline: middle; pointer-events: none; }
.op.failed rect { fill: #ff6b6b; stroke: #c00; stroke-width: 2; }
.op.selected rect { stroke: #000; stroke-width: 3; }
.op.flash rect { stroke: #000; stroke-width: 5; }
.dim { opacity: 0.2; }
.lp-line { stroke: rgba(0,0,0,0.5); stroke-width: 2; fill: none; }
.lp-point { stroke: rgba(0,0,0,0.65); stroke-width: 4; }
.bad-line { stroke: rgba(230,0,0,0.6); stroke-width: 2; stroke-dasharray: 4 2; }
.bad-point { stroke: rgba(230,0,0,0.9); stroke-width: 4; }
#overlay { pointer-events: none; }
#tooltip { position: absolute; display: none; max-width: 640px; z-index: 3; background: #fff;
  border: 1px solid #aaa; border-radius: 4px; padding: 6px 8px; font-size: 12px;
  box-shadow: 0 2px 6px rgba(0,0,0,0.2); word-break: break-all; }
#tooltip code { font-family: Menlo, "Courier New", monospace; }
"""

_SCRIPT = r"""
'use strict'
const DATA = JSON.parse(document.getElementById('porcupine-data').textContent)
const svg = document.getElementById('history')
const overlay = document.getElementById('overlay')
const tooltip = document.getElementById('tooltip')
let selected = null  // [partition, op] pinned by a click, or [partition, null] from a chip

function el(tag, attrs, parent) {
  const node = document.createElementNS(svg.namespaceURI, tag)
  for (const k in attrs) node.setAttribute(k, attrs[k])
  parent.appendChild(node)
  return node
}

function esc(text) {
  if (text === '') return '<i>(empty)</i>'
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function rowY(client) {
  return DATA.top + DATA.rows[String(client)] * (DATA.rowHeight + DATA.rowGap)
}

// One partial linearization: a point per op where it takes effect, a line joining them, and
// a red dashed branch to each op the model rejects next.
function drawLin(p, li) {
  const part = DATA.partitions[p]
  const lin = part.lins[li]
  const g = el('g', {}, overlay)
  let prev = null
  lin.ops.forEach((opId, k) => {
    const op = part.ops[opId]
    const x = DATA.left + lin.points[k], y = rowY(op.c)
    if (prev) el('line', {x1: prev[0], y1: prev[1], x2: x, y2: y + DATA.rowHeight / 2, 'class': 'lp-line'}, g)
    el('line', {x1: x, y1: y - 4, x2: x, y2: y + DATA.rowHeight + 4, 'class': 'lp-point'}, g)
    prev = [x, y + DATA.rowHeight / 2]
  })
  lin.rejected.forEach((opId, k) => {
    const op = part.ops[opId]
    const x = DATA.left + lin.rejectedPoints[k], y = rowY(op.c)
    if (prev) el('line', {x1: prev[0], y1: prev[1], x2: x, y2: y + DATA.rowHeight / 2, 'class': 'bad-line'}, g)
    el('line', {x1: x, y1: y - 4, x2: x, y2: y + DATA.rowHeight + 4, 'class': 'bad-point'}, g)
  })
}

// Which linearization explains op i of partition p: the longest containing it, else the
// longest it was rejected after.
function linFor(p, i) {
  const part = DATA.partitions[p]
  if (i === null) return part.lins.length ? 0 : null
  if (i in part.largest) return part.largest[i]
  if (i in part.largestRejected) return part.largestRejected[i]
  return null
}

function showDefault() {
  overlay.innerHTML = ''
  document.querySelectorAll('.partition').forEach(g => g.classList.remove('dim'))
  document.querySelectorAll('.chip').forEach(c => c.classList.remove('active'))
  DATA.partitions.forEach((part, p) => { if (part.lins.length) drawLin(p, 0) })
}

function focus(p, i) {
  overlay.innerHTML = ''
  document.querySelectorAll('.partition').forEach(g => g.classList.toggle('dim', Number(g.dataset.p) !== p))
  document.querySelectorAll('.chip').forEach(c => c.classList.toggle('active', Number(c.dataset.p) === p))
  const li = linFor(p, i)
  if (li !== null) drawLin(p, li)
}

function describe(p, i) {
  const part = DATA.partitions[p]
  const op = part.ops[i]
  const fmt = t => '+' + (t - DATA.t0).toLocaleString('en-US')
  let msg = '<code>' + esc(op.d) + '</code><br>client ' + op.c + ', partition ' + p + ' (' + part.result + ')'
  const [sp, si] = selected || [p, i]
  if (selected && sp !== p) {
    msg += '<br><br>Not part of the selected partition.'
  } else {
    const li = linFor(sp, si === null ? i : si)
    if (li === null) {
      msg += '<br><br>Not part of any partial linearization.'
    } else {
      const lin = part.lins[li]
      const k = lin.ops.indexOf(i)
      if (k >= 0) {
        msg += '<br><br><b>Previous state:</b><br><code>' + (k > 0 ? esc(lin.states[k - 1]) : '(initial)') + '</code>'
        msg += '<br><b>New state:</b><br><code>' + esc(lin.states[k]) + '</code>'
      } else if (lin.rejected.indexOf(i) >= 0) {
        const last = lin.states.length ? esc(lin.states[lin.states.length - 1]) : '(initial)'
        msg += '<br><br><b>Previous state:</b><br><code>' + last + '</code>'
        msg += '<br><b>New state:</b><br>&#10216;invalid op: the model rejects it here&#10217;'
      } else {
        msg += '<br><br>Not part of the shown partial linearization.'
      }
    }
  }
  const took = (op.e - op.s).toLocaleString('en-US')
  msg += '<br><br>Call: ' + fmt(op.s) + '<br>Return: ' + fmt(op.e) + ' (took ' + took + ')'
  return msg
}

function select(p, i) {
  document.querySelectorAll('.op.selected').forEach(o => o.classList.remove('selected'))
  selected = [p, i]
  if (i !== null) document.getElementById('op-' + p + '-' + i).classList.add('selected')
  focus(p, i)
}

function deselect() {
  document.querySelectorAll('.op.selected').forEach(o => o.classList.remove('selected'))
  selected = null
  showDefault()
}

document.querySelectorAll('.op').forEach(node => {
  const p = Number(node.dataset.p), i = Number(node.dataset.i)
  node.addEventListener('mouseenter', () => {
    if (!selected) focus(p, i)
    tooltip.innerHTML = describe(p, i)
    tooltip.style.display = 'block'
  })
  node.addEventListener('mousemove', ev => {
    tooltip.style.left = (ev.pageX + 16) + 'px'
    tooltip.style.top = (ev.pageY + 16) + 'px'
  })
  node.addEventListener('mouseleave', () => {
    tooltip.style.display = 'none'
    if (!selected) showDefault()
  })
  node.addEventListener('click', ev => {
    ev.stopPropagation()
    if (selected && selected[0] === p && selected[1] === i) deselect(); else select(p, i)
  })
  node.querySelector('title').remove()  // the tooltip replaces the browser's own
})

document.getElementById('bg').addEventListener('click', deselect)
document.querySelectorAll('.chip').forEach(c => c.addEventListener('click', () => {
  const p = Number(c.dataset.p)
  if (selected && selected[0] === p && selected[1] === null) deselect(); else select(p, null)
}))

const jump = document.getElementById('jump')
if (DATA.firstError) {
  jump.addEventListener('click', ev => {
    ev.preventDefault()
    const [p, i] = DATA.firstError
    const node = document.getElementById('op-' + p + '-' + i)
    node.scrollIntoView({inline: 'center', block: 'center'})
    select(p, i)
    node.classList.add('flash')
    setTimeout(() => node.classList.remove('flash'), 1200)
  })
}

// The header stays in view while the (often very wide) history scrolls under it.
document.getElementById('canvas').style.paddingTop = (document.getElementById('header').offsetHeight + 8) + 'px'
showDefault()
"""

_PAGE = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>porcupine: history visualization</title>
<style>{css}</style>
</head>
<body>
<div id="header">{summary}</div>
<div id="canvas">
{svg}
</div>
<div id="tooltip"></div>
<script type="application/json" id="porcupine-data">{data}</script>
<script>{script}</script>
</body>
</html>
"""
