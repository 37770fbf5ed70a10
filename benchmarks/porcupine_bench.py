"""How long porcupine takes on kvraft-sized histories.

    python benchmarks/porcupine_bench.py [--clients 15] [--ops 2000] [--keys 10] [--seed 1]

Builds a history the way TestPersistPartitionUnreliableLinearizable3A makes one (15 clients,
random keys, 50 % append, 5 % put, the rest get), from a real sequential execution: each client
issues one operation at a time with a random duration, each operation takes effect at a random
instant inside its interval, and gets read the store at that instant. Then it times:

* check_operations_verbose on that (linearizable) history, as the kvraft tests call it;
* the same history with one get made stale (Illegal), and writing its visualization.
"""

from __future__ import annotations

import io
import os
import random
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from porcupine import CheckResult, Operation, check_operations_verbose, visualize
from porcupine.models import APPEND, GET, PUT, KvInput, KvModel, KvOutput
from tools.cli import ArgumentParser, int_in, number_in, run

R = TypeVar("R")

MS = 1_000_000  # ns


def kvraft_like_history(n_clients: int, n_ops: int, n_keys: int, rng: random.Random) -> list[Operation]:
    """A linearizable history: clients run concurrently, each one operation at a time."""
    planned = []  # (linearization point, client, call, return, input)
    next_call = [rng.randrange(5 * MS) for _ in range(n_clients)]
    counters = [0] * n_clients
    for _ in range(n_ops):
        cli = min(range(n_clients), key=lambda c: next_call[c])  # whoever is free first
        call = next_call[cli]
        ret = call + rng.randrange(1 * MS, 60 * MS)  # RPC latency, leader changes, retries
        key = str(rng.randrange(n_keys))
        coin = rng.random()
        value = f"x {cli} {counters[cli]} y"
        if coin < 0.5:
            inp = KvInput(APPEND, key, value)
            counters[cli] += 1
        elif coin < 0.55:
            inp = KvInput(PUT, key, value)
            counters[cli] += 1
        else:
            inp = KvInput(GET, key)
        planned.append((rng.randrange(call, ret + 1), cli, call, ret, inp))
        next_call[cli] = ret + rng.randrange(0, 2 * MS)
    store: dict[str, str] = {}
    history = []
    for _, cli, call, ret, inp in sorted(planned, key=lambda p: p[0]):
        if inp.op == GET:
            out = KvOutput(store.get(inp.key, ""))
        else:
            store[inp.key] = inp.value if inp.op == PUT else store.get(inp.key, "") + inp.value
            out = KvOutput()
        history.append(Operation(cli, inp, call, out, ret))
    history.sort(key=lambda op: op.call)
    return history


def make_stale(history: list[Operation], rng: random.Random) -> list[Operation] | None:
    """Replace one late get's answer with what the key held much earlier (a stale read);
    None when no get read a value (a short history over many keys)."""
    gets = [i for i, op in enumerate(history) if op.input.op == GET and op.output.value]
    if not gets:
        return None
    victim = gets[len(gets) * 3 // 4]
    op = history[victim]
    stale = op.output.value[: len(op.output.value) // 2]
    bad = list(history)
    bad[victim] = Operation(op.client_id, op.input, op.call, KvOutput(stale), op.return_)
    return bad


def timed(fn: Callable[..., R], *args: Any) -> tuple[R, float]:
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="porcupine_bench.py", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int_in(1, 1000), default=15)
    parser.add_argument("--ops", type=int_in(1, 100_000), default=2000)
    parser.add_argument("--keys", type=int_in(1, 10_000), default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=number_in(3600, "seconds"), default=10.0, help="checker timeout, seconds")
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    history = kvraft_like_history(args.clients, args.ops, args.keys, rng)
    print(f"history: {len(history)} ops, {args.clients} clients, {args.keys} keys (seed {args.seed})")

    (result, _), elapsed = timed(check_operations_verbose, KvModel, history, args.timeout)
    print(f"linearizable history:     {result}  in {elapsed * 1000:7.1f} ms")
    assert result is CheckResult.OK, result

    bad = make_stale(history, rng)
    if bad is None:
        print(
            "porcupine_bench.py: no get in the history read a value, so none can be made stale; "
            "use more --ops or fewer --keys",
            file=sys.stderr,
        )
        return 1
    (result, info), elapsed = timed(check_operations_verbose, KvModel, bad, args.timeout)
    print(f"one stale get:            {result}  in {elapsed * 1000:7.1f} ms")
    page = io.StringIO()
    _, elapsed = timed(visualize, KvModel, info, page)
    print(f"visualization:            {len(page.getvalue()) // 1024} KiB in {elapsed * 1000:7.1f} ms")
    return 0


if __name__ == "__main__":
    run("porcupine_bench", main)
