"""Helpers for the porcupine tests: history builders, random histories, and a brute-force oracle.

The oracle knows nothing of the checker's tricks (no partitions, no linked list, no memo): it
tries every order of the operations that respects real time and runs it through a plain
key/value store, which is the definition of linearizability for this model.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from porcupine import Event, EventKind, Operation
from porcupine.models import APPEND, GET, PUT, KvInput, KvOutput

MS = 1_000_000


def get(client: int, key: str, value: str, call: int, ret: int) -> Operation:
    return Operation(client, KvInput(GET, key), call, KvOutput(value), ret)


def put(client: int, key: str, value: str, call: int, ret: int) -> Operation:
    return Operation(client, KvInput(PUT, key, value), call, KvOutput(), ret)


def append(client: int, key: str, value: str, call: int, ret: int) -> Operation:
    return Operation(client, KvInput(APPEND, key, value), call, KvOutput(), ret)


def to_events(history: Sequence[Operation]) -> list[Event]:
    """The same history as events, in time order (a call before a return at equal times)."""
    halves = []
    for op_id, op in enumerate(history):
        halves.append((op.call, 0, Event(op.client_id, EventKind.CALL, op.input, 100 + op_id)))
        halves.append((op.return_, 1, Event(op.client_id, EventKind.RETURN, op.output, 100 + op_id)))
    halves.sort(key=lambda h: (h[0], h[1]))
    return [event for _, _, event in halves]


# ----------------------------------------------------------------------------------------------
# The oracle


def brute_force_linearizable(history: Sequence[Operation]) -> bool:
    """Does some real-time-respecting order of all operations explain every output?

    Real time: if a returned before b was called (a.return_ < b.call), a comes first; equal
    times count as concurrent, as in the checker.
    """
    ops = list(history)
    done = [False] * len(ops)

    def ready(i: int) -> bool:
        return all(done[j] or ops[j].return_ >= ops[i].call for j in range(len(ops)) if j != i)

    def search(store: dict[str, str], remaining: int) -> bool:
        if remaining == 0:
            return True
        for i, op in enumerate(ops):
            if done[i] or not ready(i):
                continue
            key, value = op.input.key, store.get(op.input.key, "")
            if op.input.op == GET:
                if op.output.value != value:
                    continue
                after = store
            else:
                after = dict(store)
                after[key] = op.input.value if op.input.op == PUT else value + op.input.value
            done[i] = True
            found = search(after, remaining - 1)
            done[i] = False
            if found:
                return True
        return False

    return search({}, len(ops))


# ----------------------------------------------------------------------------------------------
# Random histories


def random_ok_history(rng: random.Random, n_ops: int, keys: Sequence[str]) -> list[Operation]:
    """Run n_ops random operations one at a time, then stretch each into an interval around it.

    Operation i takes effect at 10*i + 5; its interval reaches up to 30 back and 30 forward, so
    neighbours overlap often and the checker has orders to choose from.
    """
    store: dict[str, str] = {}
    history = []
    for i in range(n_ops):
        point = 10 * i + 5
        call, ret = point - rng.randrange(31), point + rng.randrange(31)
        key = rng.choice(keys)
        kind = rng.choice((GET, GET, PUT, APPEND, APPEND))
        value = rng.choice("123")
        client = rng.randrange(4)
        if kind == GET:
            history.append(get(client, key, store.get(key, ""), call, ret))
        elif kind == PUT:
            store[key] = value
            history.append(put(client, key, value, call, ret))
        else:
            store[key] = store.get(key, "") + value
            history.append(append(client, key, value, call, ret))
    rng.shuffle(history)  # the checker must not rely on the order of the list
    return history


def mutate(rng: random.Random, history: list[Operation]) -> list[Operation]:
    """One random change that may or may not break linearizability."""
    bad = list(history)
    i = rng.randrange(len(bad))
    op = bad[i]
    choice = rng.randrange(4)
    if choice == 0:  # a different answer for a read (or a write that now "reads")
        values = ["", "1", "2", "12", "21", "3", "11"]
        bad[i] = get(op.client_id, op.input.key, rng.choice(values), op.call, op.return_)
    elif choice == 1:  # move the operation in time
        other = bad[rng.randrange(len(bad))]
        bad[i] = Operation(op.client_id, op.input, other.call, op.output, other.return_)
    elif choice == 2:  # a write of another kind or value
        kind = rng.choice((PUT, APPEND))
        inp = KvInput(kind, op.input.key, rng.choice("123"))
        bad[i] = Operation(op.client_id, inp, op.call, KvOutput(), op.return_)
    else:  # duplicate an operation (an append applied twice, a replayed put)
        shift = rng.randrange(1, 40)
        bad.append(Operation(op.client_id, op.input, op.call + shift, op.output, op.return_ + shift))
    return bad


def kvraft_like_history(rng: random.Random, n_clients: int, n_ops: int, n_keys: int) -> list[Operation]:
    """Clients that each do one operation at a time, as in the kvraft tests (random keys)."""
    next_call = [rng.randrange(5 * MS) for _ in range(n_clients)]
    planned = []
    for j in range(n_ops):
        cli = min(range(n_clients), key=lambda c: next_call[c])
        call = next_call[cli]
        ret = call + rng.randrange(MS, 40 * MS)
        key = str(rng.randrange(n_keys))
        coin = rng.random()
        kind = APPEND if coin < 0.5 else PUT if coin < 0.55 else GET
        planned.append((rng.randrange(call, ret + 1), cli, call, ret, KvInput(kind, key, f"x {cli} {j} y")))
        next_call[cli] = ret + rng.randrange(2 * MS)
    store: dict[str, str] = {}
    history = []
    for _, cli, call, ret, inp in sorted(planned, key=lambda p: p[0]):
        if inp.op == GET:
            history.append(Operation(cli, inp, call, KvOutput(store.get(inp.key, "")), ret))
            continue
        store[inp.key] = inp.value if inp.op == PUT else store.get(inp.key, "") + inp.value
        history.append(Operation(cli, inp, call, KvOutput(), ret))
    return history


# ----------------------------------------------------------------------------------------------
# porcupine's own bookkeeping of partial linearizations, for comparison


def reference_partials(model, entries) -> set[tuple[int, ...]]:
    """checkSingle as porcupine writes it (plain lists, O(stack) work per backtrack).

    At every backtrack each operation on the stack takes the whole stack as its longest prefix
    if that is longer than the one it has. The checker gets the same answer another way; run
    on the same sorted entries, the two searches take identical steps.
    """
    n = len(entries) // 2
    remaining = list(entries)  # the linked list, as a Python list
    ret_of = {e.id: e for e in entries if e.kind == EventKind.RETURN}
    state, linearized, calls, seen = model.init(), frozenset(), [], set()
    longest: list[tuple[int, ...] | None] = [None] * n
    i = 0
    while remaining:
        entry = remaining[i]
        if entry.kind == EventKind.CALL:
            ok, new_state = model.step(state, entry.value, ret_of[entry.id].value)
            key = (linearized | {entry.id}, new_state)
            if ok and key not in seen:
                seen.add(key)
                calls.append((entry, state, list(remaining)))
                state, linearized = new_state, key[0]
                remaining = [e for e in remaining if e.id != entry.id]
                i = 0
                continue
            i += 1
        else:
            if not calls:
                return {seq for seq in longest if seq is not None}
            stack = tuple(c[0].id for c in calls)
            for op_id in stack:
                if longest[op_id] is None or len(stack) > len(longest[op_id]):
                    longest[op_id] = stack
            entry, state, remaining = calls.pop()
            linearized = linearized - {entry.id}
            i = remaining.index(entry) + 1
    return {tuple(c[0].id for c in calls)}
