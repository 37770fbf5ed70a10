"""The key/value model the kvraft tests check against (the course's models/kv.go).

Each partition is one key's history, so the state is just that key's value (a str, which
the checker can hash). A missing key reads as "", which is also what Clerk.get returns.

Recording an operation (what the kvraft test wrappers do):

    Operation(client_id=cli, input=KvInput(op=GET, key=k), call=t_call,
              output=KvOutput(value=v), return_=t_return)

with ``KvOutput()`` (value "") for put and append, and times as ints (ns, monotonic).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from porcupine.model import Event, EventKind, Model, Operation

# KvInput.op, as the course numbers them.
GET = 0
PUT = 1
APPEND = 2


@dataclass(frozen=True)
class KvInput:
    """op: 0 get, 1 put, 2 append (GET, PUT, APPEND); value is unused by get."""

    op: int
    key: str
    value: str = ""


@dataclass(frozen=True)
class KvOutput:
    """What the call returned: the value read by a get, "" for put and append."""

    value: str = ""


def kv_partition(history: Sequence[Operation]) -> list[list[Operation]]:
    """One partition per key, keys in sorted order (P-compositionality: keys are independent)."""
    by_key: dict[str, list[Operation]] = {}
    for op in history:
        by_key.setdefault(op.input.key, []).append(op)
    return [by_key[key] for key in sorted(by_key)]


def kv_partition_event(history: Sequence[Event]) -> list[list[Event]]:
    """The same for event histories: a return goes with the key of its call (same id).

    Not in the course's kv.go (which keeps porcupine's single partition for events); cheap, and
    it makes event histories as fast to check as operation histories.
    """
    key_of_id: dict[int, str] = {}
    by_key: dict[str, list[Event]] = {}
    for event in history:
        if event.kind == EventKind.CALL:
            key_of_id[event.id] = event.value.key
        by_key.setdefault(key_of_id[event.id], []).append(event)
    return [by_key[key] for key in sorted(by_key)]


def kv_init() -> str:
    """One key's value before anything was written."""
    return ""


def kv_step(state: str, input: KvInput, output: KvOutput) -> tuple[bool, str]:
    """get must read the current value; put replaces it; append extends it."""
    if input.op == GET:
        return output.value == state, state
    if input.op == PUT:
        return True, input.value
    return True, state + input.value


def kv_describe_operation(input: KvInput, output: Any) -> str:
    """get('k') -> 'v', put('k', 'v') or append('k', 'v'), as in the course's visualization."""
    if input.op == GET:
        return f"get('{input.key}') -> '{output.value}'"
    if input.op == PUT:
        return f"put('{input.key}', '{input.value}')"
    if input.op == APPEND:
        return f"append('{input.key}', '{input.value}')"
    return "<invalid>"


kv_model = Model(
    init=kv_init,
    step=kv_step,
    partition=kv_partition,
    partition_event=kv_partition_event,
    describe_operation=kv_describe_operation,
)

# The course's name.
KvModel = kv_model
