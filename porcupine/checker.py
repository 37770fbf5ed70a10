"""The linearizability search (the course's porcupine/checker.go and bitset.go).

A history is *linearizable* if each operation can be given a single instant (its linearization
point) between its call and its return, such that running the operations one at a time in the
order of those instants, through the model, gives exactly the outputs the clients saw.

How the search works (Wing & Gong, with Lowe's improvements, as porcupine does it):

1. Split the history into partitions with ``model.partition`` (one per key for the KV model).
   A history is linearizable iff every partition is (P-compositionality), and small searches
   are far cheaper than one big one.
2. Per partition, turn each operation into two *entries*, its call and its return, and sort
   them by time (a call before a return on equal times, so touching intervals count as
   concurrent). Chain the entries into a doubly linked list with a sentinel head.
3. Walk the list from the head, holding the current model state and a stack of the operations
   linearized so far:

   * at a **call** entry, try to linearize that operation now: if ``model.step`` accepts it and
     (the set of linearized operations plus this one, the new state) has not been seen before,
     push it, adopt the new state, *lift* its call and return entries out of the list, and
     start again from the head (any remaining operation may be next);
   * at a **return** entry, the operation that returns here had to be linearized by now and
     was not: undo the last choice. Pop the stack, restore its state, *unlift* its entries back
     into the list, and go on with the entry after the popped call (the next candidate);
   * with the stack empty at a return, no order works: the partition is not linearizable;
   * when the list is empty, every operation has been linearized: it is linearizable.

   Lowe's memo table (the "cache") is what keeps this from being factorial: two different
   orders of the same set of operations that reach equal states have the same future, so the
   second is cut off at once.

The Python choices: the set of linearized operations is a Python int used as a bitset (bit i =
operation i), so "set plus this one" is one ``|`` and the memo table is a ``set`` of (int, state)
pairs; the linked list is parallel lists of slot numbers, which CPython indexes faster than it
reads object attributes. States are hashed, so with the default ``==`` equality they must be
immutable; a model with its own ``equal`` gets porcupine's bucket-per-bitset table instead.

Deviation: porcupine runs one goroutine per partition. Python threads would not run them in
parallel, so one thread takes turns: each partition search runs a slice of steps, then the next.
Taking turns (rather than one partition after another) keeps porcupine's property that a
partition which fails quickly is found even when another one is slow to decide.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from porcupine.model import CheckResult, Event, EventKind, Model, Operation, shallow_equal

CALL = EventKind.CALL
RETURN = EventKind.RETURN

# Search steps a partition runs before letting the next one have a turn (and before the deadline is
# looked at again): about a millisecond of work, so a 1 s timeout is kept to within a few ms.
_SLICE = 2000


@dataclass(frozen=True)
class Entry:
    """A call or a return of operation ``id`` (numbered within its partition) at ``time``."""

    kind: EventKind
    value: Any  # the input for a call, the output for a return
    id: int
    time: int
    client_id: int


@dataclass
class LinearizationInfo:
    """What verbose checking keeps for the visualization.

    history[p]:                 partition p's entries, sorted by time.
    partial_linearizations[p]:  distinct sequences of operation ids (longest first), each a
                                linearizable prefix: for every operation, the longest prefix the
                                search found it in. For an Ok partition there is one, complete.
    partition_results[p]:       that partition's own verdict (Unknown if it was still searching
                                at the deadline). Not in porcupine; the visualization uses it.
    """

    history: list[list[Entry]] = field(default_factory=list)
    partial_linearizations: list[list[tuple[int, ...]]] = field(default_factory=list)
    partition_results: list[CheckResult] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------
# Public entry points (porcupine.go)


def check_operations(model: Model, history: Sequence[Operation]) -> bool:
    """True iff the history is linearizable; no timeout, so this may take exponential time."""
    result, _ = _check_operations(model, history, verbose=False, timeout_s=0)
    return result is CheckResult.OK


def check_operations_timeout(model: Model, history: Sequence[Operation], timeout_s: float) -> CheckResult:
    """OK, ILLEGAL, or UNKNOWN if ``timeout_s`` seconds of wall time ran out first (0 = no limit).

    Stops at the first partition found illegal.
    """
    result, _ = _check_operations(model, history, verbose=False, timeout_s=timeout_s)
    return result


def check_operations_verbose(
    model: Model, history: Sequence[Operation], timeout_s: float
) -> tuple[CheckResult, LinearizationInfo]:
    """Like check_operations_timeout, plus what visualize() needs.

    Runs every partition to the end (or to the deadline) even after one fails, so the picture
    covers every key. ILLEGAL wins over a timeout: a partition that finished and failed makes
    the verdict ILLEGAL even if another one timed out (the kvraft tests' call).
    """
    return _check_operations(model, history, verbose=True, timeout_s=timeout_s)


def check_events(model: Model, history: Sequence[Event]) -> bool:
    """check_operations for an event history."""
    result, _ = _check_events(model, history, verbose=False, timeout_s=0)
    return result is CheckResult.OK


def check_events_timeout(model: Model, history: Sequence[Event], timeout_s: float) -> CheckResult:
    """check_operations_timeout for an event history."""
    result, _ = _check_events(model, history, verbose=False, timeout_s=timeout_s)
    return result


def check_events_verbose(
    model: Model, history: Sequence[Event], timeout_s: float
) -> tuple[CheckResult, LinearizationInfo]:
    """check_operations_verbose for an event history."""
    return _check_events(model, history, verbose=True, timeout_s=timeout_s)


# ----------------------------------------------------------------------------------------------
# Histories to entries


def _check_operations(
    model: Model, history: Sequence[Operation], verbose: bool, timeout_s: float | None
) -> tuple[CheckResult, LinearizationInfo]:
    partitions = [make_entries(part) for part in model.partition(history)]
    return _check_partitions(model, partitions, verbose, timeout_s)


def _check_events(
    model: Model, history: Sequence[Event], verbose: bool, timeout_s: float | None
) -> tuple[CheckResult, LinearizationInfo]:
    partitions = [convert_events(part) for part in model.partition_event(history)]
    return _check_partitions(model, partitions, verbose, timeout_s)


def make_entries(history: Sequence[Operation]) -> list[Entry]:
    """Two entries per operation (ids = positions in ``history``), sorted by time.

    On equal times a call sorts before a return: an operation that starts at the very instant
    another one ends counts as concurrent with it, the permissive reading.
    """
    entries: list[Entry] = []
    for op_id, op in enumerate(history):
        if op.return_ < op.call:
            raise ValueError(f"operation {op_id} returns before it is called: {op}")
        entries.append(Entry(CALL, op.input, op_id, op.call, op.client_id))
        entries.append(Entry(RETURN, op.output, op_id, op.return_, op.client_id))
    entries.sort(key=lambda e: (e.time, e.kind))
    return entries


def convert_events(events: Sequence[Event]) -> list[Entry]:
    """Entries for an event history: time = position, ids renumbered 0..n-1 by first appearance."""
    renumber: dict[int, int] = {}
    open_calls: set[int] = set()
    entries: list[Entry] = []
    for position, event in enumerate(events):
        op_id = renumber.setdefault(event.id, len(renumber))
        if event.kind == CALL:
            if op_id != len(renumber) - 1 or op_id in open_calls:
                raise ValueError(f"event {position}: id {event.id} is called twice")
            open_calls.add(op_id)
        elif op_id not in open_calls:
            raise ValueError(f"event {position}: id {event.id} returns without a pending call")
        else:
            open_calls.discard(op_id)
        entries.append(Entry(EventKind(event.kind), event.value, op_id, position, event.client_id))
    if open_calls:
        raise ValueError(f"{len(open_calls)} call(s) never return; give every call a return event")
    return entries


# ----------------------------------------------------------------------------------------------
# Taking turns between partitions (porcupine's checkParallel)


def _check_partitions(
    model: Model, partitions: list[list[Entry]], verbose: bool, timeout_s: float | None
) -> tuple[CheckResult, LinearizationInfo]:
    """Search every partition, a slice at a time, against one shared deadline.

    Verdict as porcupine: ILLEGAL if any partition finished and failed, else UNKNOWN if the
    deadline stopped a search, else OK. Without ``verbose`` the first failure ends everything.
    """
    deadline = time.monotonic() + timeout_s if timeout_s else None
    searches = [_PartitionSearch(model, entries, verbose) for entries in partitions]
    pending = deque(searches)
    failed = timed_out = False
    while pending:
        search = pending.popleft()
        outcome = search.run(_SLICE)
        if outcome is None:
            pending.append(search)
        elif not outcome:
            failed = True
            if not verbose:
                break
        if pending and deadline is not None and time.monotonic() >= deadline:
            timed_out = True
            break
    for search in pending:
        search.abandon()  # after a timeout: keep what the unfinished searches found so far

    if failed:
        result = CheckResult.ILLEGAL
    elif timed_out:
        result = CheckResult.UNKNOWN  # an unfinished search might still have failed
    else:
        result = CheckResult.OK
    info = LinearizationInfo()
    if verbose:
        info.history = partitions
        info.partial_linearizations = [s.partial_linearizations() for s in searches]
        info.partition_results = [s.verdict() for s in searches]
    return result, info


# ----------------------------------------------------------------------------------------------
# The search in one partition (porcupine's checkSingle)


class _PartitionSearch:
    """The just-in-time linearization search over one partition, resumable in slices.

    The linked list lives in parallel lists indexed by *slot*: slot 0 is the sentinel head,
    slots 1..2n are the entries in time order, slot 2n+1 is a sentinel tail (so lifting never
    has to test for the end of the list). ``match[s]`` is the return slot of the call in slot s
    and 0 for a return slot: that is how the walk tells calls from returns.
    """

    def __init__(self, model: Model, entries: list[Entry], compute_partial: bool) -> None:
        self._step = model.step
        self._n_ops = len(entries) // 2
        size = len(entries) + 2
        self._tail = size - 1
        self._next = list(range(1, size)) + [-1]
        self._prev = [-1] + list(range(size - 1))
        self._match = [0] * size
        self._input: list[Any] = [None] * size
        self._output: list[Any] = [None] * size
        self._bit = [0] * size  # the operation's bit, for call slots
        self._op = [-1] * size  # the operation id, for call slots
        self._link_entries(entries)

        init = model.init()
        # Lowe's memo table of (linearized set, state) pairs already explored.
        self._seen: set[tuple[int, Any]] | None = None
        # Otherwise porcupine's layout: states under their bitset, compared with equal (unused with _seen).
        self._buckets: dict[int, list[Any]] = {}
        if model.equal is shallow_equal and _hashable(init):
            self._seen = set()
        else:
            self._equal = model.equal

        # The search position, saved between slices.
        self._cursor = self._next[0]
        self._state = init
        self._linearized = 0  # bit i set = operation i is on the stack
        self._calls: list[tuple[int, Any]] = []  # stack of (call slot, state before it)
        self.result: bool | None = None  # None while searching

        # Verbose only: see _record_backtrack.
        self._partial = compute_partial
        self._paths: list[tuple[int, Any]] = []  # per stack frame: the stack up to it, as a cons list
        self._peak_len: list[int] = []  # per stack frame
        self._peak_path: list[Any] = []
        self._longest_len = [0] * self._n_ops  # per operation: its longest linearizable prefix
        self._longest_path: list[Any] = [None] * self._n_ops

    def _link_entries(self, entries: list[Entry]) -> None:
        """Fill the per-slot lists; each call learns its return's slot and output."""
        return_slot = {e.id: slot for slot, e in enumerate(entries, start=1) if e.kind == RETURN}
        for slot, e in enumerate(entries, start=1):
            if e.kind == CALL:
                ret = return_slot[e.id]
                self._match[slot] = ret
                self._input[slot] = e.value
                self._output[slot] = entries[ret - 1].value
                self._bit[slot] = 1 << e.id
                self._op[slot] = e.id

    def _remember(self, linearized: int, state: Any) -> bool:
        """Record (linearized, state) in the memo table; False if it was already there."""
        if self._seen is not None:
            key = (linearized, state)
            if key in self._seen:
                return False
            self._seen.add(key)
            return True
        bucket = self._buckets.setdefault(linearized, [])
        if any(self._equal(state, other) for other in bucket):
            return False
        bucket.append(state)
        return True

    def run(self, budget: int) -> bool | None:
        """Search for up to ``budget`` steps: True = linearizable, False = not, None = not done yet."""
        if self.result is not None:
            return self.result
        # Hot loop: everything it touches is a local.
        nxt, prv, match, bit = self._next, self._prev, self._match, self._bit
        inputs, outputs, step, calls = self._input, self._output, self._step, self._calls
        seen, remember, partial = self._seen, self._remember, self._partial
        tail = self._tail
        e, state, linearized = self._cursor, self._state, self._linearized

        while nxt[0] != tail:
            budget -= 1
            if budget < 0:
                self._cursor, self._state, self._linearized = e, state, linearized
                return None
            ret = match[e]
            if ret:  # a call: try to linearize it now
                ok, new_state = step(state, inputs[e], outputs[e])
                if ok:
                    new_linearized = linearized | bit[e]
                    if seen is not None:
                        key = (new_linearized, new_state)
                        fresh = key not in seen
                        if fresh:
                            seen.add(key)
                    else:
                        fresh = remember(new_linearized, new_state)
                    if fresh:
                        calls.append((e, state))
                        if partial:
                            self._push_path(e)
                        state, linearized = new_state, new_linearized
                        # lift: unlink the call and its return
                        p, n = prv[e], nxt[e]
                        nxt[p], prv[n] = n, p
                        p, n = prv[ret], nxt[ret]
                        nxt[p], prv[n] = n, p
                        e = nxt[0]
                        continue
                e = nxt[e]
            else:  # a return whose operation is not linearized yet: backtrack
                if not calls:
                    self._finish(False)
                    return False
                if partial:
                    self._record_backtrack()
                e, state = calls.pop()
                linearized ^= bit[e]
                # unlift: relink the return, then the call (the reverse of lift)
                ret = match[e]
                nxt[prv[ret]] = ret
                prv[nxt[ret]] = ret
                nxt[prv[e]] = e
                prv[nxt[e]] = e
                e = nxt[e]
        self._finish(True)
        return True

    # -- partial linearizations (verbose mode) ------------------------------------------------
    #
    # porcupine, at every backtrack, gives each operation on the stack the current stack as its
    # "longest linearizable prefix" if that is longer than what it had: O(stack) per backtrack.
    # We get the same answer in O(1): the stack is also kept as a persistent cons list (so a
    # prefix is saved by keeping a pointer), each frame keeps the longest stack seen while it
    # was on top ("peak"), and a popped frame hands its peak down to the frame below it and to
    # its operation. Every backtrack while an operation was on the stack happened with some
    # frame above it on top, so the peak reaches it before it is popped.

    def _push_path(self, slot: int) -> None:
        below = self._paths[-1] if self._paths else None
        self._paths.append((self._op[slot], below))
        self._peak_len.append(0)
        self._peak_path.append(None)

    def _record_backtrack(self) -> None:
        """The stack failed to extend: note its length on the top frame, then pop that frame."""
        depth = len(self._calls)
        if depth > self._peak_len[-1]:
            self._peak_len[-1], self._peak_path[-1] = depth, self._paths[-1]
        self._pop_path()

    def _pop_path(self) -> None:
        path = self._paths.pop()
        peak_len, peak_path = self._peak_len.pop(), self._peak_path.pop()
        op = path[0]
        if peak_len > self._longest_len[op]:
            self._longest_len[op], self._longest_path[op] = peak_len, peak_path
        if self._peak_len and peak_len > self._peak_len[-1]:
            self._peak_len[-1], self._peak_path[-1] = peak_len, peak_path

    def _finish(self, ok: bool) -> None:
        self.result = ok
        if self._partial and ok:
            # Every operation's longest prefix is the complete linearization.
            full = self._paths[-1] if self._paths else None
            self._longest_len = [self._n_ops] * self._n_ops
            self._longest_path = [full] * self._n_ops

    def abandon(self) -> None:
        """Stop for good (deadline): fold the frames still on the stack into the per-op results."""
        while self._paths:
            self._pop_path()

    def verdict(self) -> CheckResult:
        if self.result is None:
            return CheckResult.UNKNOWN
        return CheckResult.OK if self.result else CheckResult.ILLEGAL

    def partial_linearizations(self) -> list[tuple[int, ...]]:
        """The distinct longest prefixes, longest first (ties in order of first operation)."""
        unique: dict[int, Any] = {}
        for path in self._longest_path:
            if path is not None:
                unique.setdefault(id(path), path)
        sequences = {_unwind(path) for path in unique.values()}
        return sorted(sequences, key=lambda seq: (-len(seq), seq))


def _unwind(path: Any) -> tuple[int, ...]:
    """The operation ids of a cons-list path, bottom of the stack first."""
    ops = []
    while path is not None:
        ops.append(path[0])
        path = path[1]
    return tuple(reversed(ops))


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
