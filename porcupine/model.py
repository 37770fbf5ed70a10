"""Histories and models: what the checker is asked about (the course's porcupine/model.go).

A *history* is what the clients saw: for each operation, who issued it, its input, when it was
called, its output and when it returned. A *model* is the sequential specification the system
claims to implement: a start state and a step function saying whether an operation with this
input may produce this output from a state, and which state follows.

Two ways to write a history:

* ``Operation(client_id, input, call, output, return_)``: one record per finished operation,
  times as integers (the kvraft tests use nanoseconds since the test began, on a monotonic clock);
* a list of ``Event(client_id, kind, value, id)``: calls and returns in the order they happened;
  the position in the list is the time, and ``id`` pairs a call with its return.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Operation:
    """One finished operation as a client saw it.

    ``call`` and ``return_`` are integer times (any unit, the same for the whole history; the
    kvraft tests use nanoseconds). ``client_id`` (zero-based) only matters for the visualization,
    where each client gets a row.
    """

    client_id: int
    input: Any
    call: int
    output: Any
    return_: int


class EventKind(enum.IntEnum):
    """Whether an Event is the start (call) or the end (return) of an operation."""

    CALL = 0
    RETURN = 1


# The course's names for the two kinds.
CALL_EVENT = EventKind.CALL
RETURN_EVENT = EventKind.RETURN


@dataclass(frozen=True)
class Event:
    """Half of an operation in an event history: its call (value = input) or return (value = output).

    ``id`` pairs the call with its return; ids need not be dense, the checker renumbers them.
    """

    client_id: int
    kind: EventKind
    value: Any
    id: int


class CheckResult(str, enum.Enum):
    """The checker's verdict; the values are porcupine's strings."""

    UNKNOWN = "Unknown"  # timed out before deciding: a pass in the kvraft tests ("assuming history is ok")
    OK = "Ok"
    ILLEGAL = "Illegal"

    def __str__(self) -> str:
        return self.value


def no_partition(history: Sequence[Operation]) -> list[list[Operation]]:
    """The default partition: the whole history is one partition."""
    return [list(history)]


def no_partition_event(history: Sequence[Event]) -> list[list[Event]]:
    """The default event partition: the whole history is one partition."""
    return [list(history)]


def shallow_equal(state1: Any, state2: Any) -> bool:
    """The default state equality: ``==``.

    With this default the checker also hashes states, so they must be immutable values (str,
    int, tuple, frozenset, frozen dataclass); give the model its own ``equal`` otherwise.
    """
    return bool(state1 == state2)


def default_describe_operation(input: Any, output: Any) -> str:
    """porcupine's default: ``"%v -> %v"``."""
    return f"{input} -> {output}"


def default_describe_state(state: Any) -> str:
    """porcupine's default: ``"%v"``."""
    return f"{state}"


@dataclass(frozen=True)
class Model:
    """A sequential specification, as porcupine's Model struct of seven functions.

    init():                           the start state.
    step(state, input, output):       (ok, new_state); ok says whether the operation may return
                                      ``output`` in ``state``. Must not mutate ``state``: the
                                      search keeps old states to backtrack to.
    partition(history):               sub-histories such that the history is linearizable iff
                                      each one is (P-compositionality, e.g. one per key).
    partition_event(events):          the same for event histories.
    equal(s1, s2):                    state equality, for the search's memo table.
    describe_operation(input, output) and describe_state(state): text for the visualization.

    Only ``init`` and ``step`` are required; the others default as porcupine's fillDefault does.
    """

    init: Callable[[], Any]
    step: Callable[[Any, Any, Any], tuple[bool, Any]]
    partition: Callable[[Sequence[Operation]], list[list[Operation]]] = no_partition
    partition_event: Callable[[Sequence[Event]], list[list[Event]]] = no_partition_event
    equal: Callable[[Any, Any], bool] = shallow_equal
    describe_operation: Callable[[Any, Any], str] = default_describe_operation
    describe_state: Callable[[Any], str] = default_describe_state
