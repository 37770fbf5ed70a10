"""What the lab demos share (``python -m kvraft``, ``python -m shardkv``).

    history = History()                         the clients' operations, timed from its creation
    dones = start_clients(make_clerk, n, keys, history, stop)   random Get/Put/Append on shared keys
    unfinished = wait_for_clients(dones, 30.0)
    print(history.summary(elapsed))             "operations: N (get g, put p, append a) in ..."
    verdict = finish_report(rpcs, unfinished, history, timeout_s, "kvraft")   RPCs, porcupine's verdict
    say(t0, "crash server 2")                   a progress line, and a TEST line in the debug log
    add_client_options(parser)                  --seconds, --clients, checked
    add_run_options(parser)                     --maxraftstate, --seed, --check-timeout, checked
    return run_demo(args, lambda: Demo(args).run(), from_command_line=argv is None)
    install_quiet_interrupt("kvraft")           Ctrl-C: "kvraft: interrupted", status 130, at once

Everything goes through the runtime facade (threads, locks, time, randomness), so a seeded
run is the same run every time.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from typing import Any

import runtime
from kvraft.client import ClerkClosed
from labrpc import debug
from porcupine import CheckResult, Operation, check_operations_verbose, visualize_path
from porcupine.models import APPEND, GET, PUT, KvInput, KvOutput, kv_model
from runtime.sim import Simulator, ensure_fixed_hash_seed
from tools.cli import EXIT_INTERRUPTED, int_in, number_in

# How porcupine's answers read in the report.
MEANING = {
    CheckResult.OK: "linearizable",
    CheckResult.ILLEGAL: "NOT linearizable",
    CheckResult.UNKNOWN: "check timed out, assuming ok",
}


class History:
    """The clients' completed operations as porcupine Operations, in ns since creation.

    Thread-safe: every client thread records into it."""

    def __init__(self) -> None:
        self.t0 = runtime.now()
        self._mu = runtime.Lock()
        self._ops: list[Operation] = []  # guarded by _mu
        self._counts: Counter = Counter()  # GET / PUT / APPEND -> count; guarded by _mu

    def now_ns(self) -> int:
        """Nanoseconds since the history began: porcupine's call and return times."""
        return int((runtime.now() - self.t0) * 1e9)

    def record(self, cli: int, kind: int, key: str, value: str, start: int, end: int) -> None:
        """One completed operation; value is what a Get returned, or what a Put/Append wrote."""
        if kind == GET:
            op = Operation(cli, KvInput(op=GET, key=key), start, KvOutput(value=value), end)
        else:
            op = Operation(cli, KvInput(op=kind, key=key, value=value), start, KvOutput(), end)
        with self._mu:
            self._ops.append(op)
            self._counts[kind] += 1

    def operations(self) -> list[Operation]:
        with self._mu:
            return list(self._ops)

    def summary(self, elapsed: float) -> str:
        with self._mu:
            total, counts = len(self._ops), Counter(self._counts)
        return (
            f"operations: {total} (get {counts[GET]}, put {counts[PUT]}, append {counts[APPEND]}) "
            f"in {elapsed:.1f} s, {total / elapsed:.1f} ops/s"
        )


def client_loop(ck: Any, cli: int, keys: int, history: History, stop: runtime.Event, done: runtime.Event) -> None:
    """Random operations on keys "0".."keys-1" until stop is set, as the course's random-keys
    tests: half Appends, a few Puts, the rest Gets. ck is a kvraft or shardkv Clerk."""
    try:
        j = 0
        while not stop.is_set():
            key = str(runtime.randrange(keys))
            value = f"x {cli} {j} y"
            dice = runtime.randrange(1000)
            kind = APPEND if dice < 500 else PUT if dice < 550 else GET
            start = history.now_ns()
            if kind == APPEND:
                ck.append(key, value)
            elif kind == PUT:
                ck.put(key, value)
            else:
                value = ck.get(key)
            history.record(cli, kind, key, value, start, history.now_ns())
            j += 1
    except ClerkClosed:
        pass  # the demo gave up waiting for this client (shardkv's clerks raise the same class)
    finally:
        done.set()


def start_clients(
    make_clerk: Callable[[], Any], count: int, keys: int, history: History, stop: runtime.Event
) -> list[runtime.Event]:
    """count clients, each running client_loop on a clerk of its own; one event per client,
    set once it has finished."""
    dones = []
    for cli in range(count):
        done = runtime.Event()
        dones.append(done)
        runtime.go(client_loop, make_clerk(), cli, keys, history, stop, done, name=f"demo-client-{cli}")
    return dones


def wait_for_clients(dones: list[runtime.Event], timeout: float) -> int:
    """Wait up to timeout seconds in all for each client's last operation; how many did not finish."""
    deadline = runtime.now() + timeout
    for done in dones:
        done.wait(max(0.0, deadline - runtime.now()))
    return sum(not done.is_set() for done in dones)


def finish_report(rpcs: int, unfinished: int, history: History, timeout_s: float, prefix: str) -> CheckResult:
    """The end every demo's report shares: the RPC count, a warning for clients that did not
    finish, and porcupine's verdict (check_history)."""
    print(f"RPCs: {rpcs}")
    if unfinished:
        print(f"warning: {unfinished} clients did not finish their last operation")
    return check_history(history, timeout_s, prefix)


def check_history(history: History, timeout_s: float, prefix: str) -> CheckResult:
    """Porcupine's verdict on the history, printed; the HTML visualization written whatever it
    is (to a fresh temporary file, prefix-*.html) and its path printed."""
    ops = history.operations()
    started = runtime.now()
    verdict, info = check_operations_verbose(kv_model, ops, timeout_s)
    took = runtime.now() - started
    print(f"linearizability: {verdict} ({MEANING[verdict]}; {len(ops)} operations checked in {took:.2f} s)")
    fd, path = tempfile.mkstemp(prefix=f"{prefix}-", suffix=".html")
    os.close(fd)
    visualize_path(kv_model, info, path)
    print(f"visualization: {path}")
    return verdict


def maxraftstate(text: str) -> int:
    """An argparse type: a positive number of bytes, or -1 (never snapshot), as the course's."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1 and value != -1:
        raise argparse.ArgumentTypeError(f"expected a positive number of bytes or -1, got {text!r}")
    return value


def say(t0: float, what: str) -> None:
    """A progress line, timed from t0, and the same in the debug log (topic TEST)."""
    debug.log("TEST", what)
    print(f"  {runtime.now() - t0:5.1f} s  {what}", flush=True)


def add_client_options(parser: argparse.ArgumentParser) -> None:
    """How long the clients run, and how many."""
    parser.add_argument(
        "--seconds", type=number_in(unit="seconds"), default=20.0, help="how long the clients run (default 20)"
    )
    parser.add_argument("--clients", type=int_in(1), default=5, help="concurrent clerks (default 5)")


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options every demo takes: the snapshot threshold, a seed, porcupine's time."""
    parser.add_argument(
        "--maxraftstate",
        type=maxraftstate,
        default=1000,
        help="snapshot threshold in bytes, -1 for none (default 1000)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="run in deterministic simulation from this seed (virtual time; same seed, same run)",
    )
    parser.add_argument(
        "--check-timeout",
        type=number_in(unit="seconds"),
        default=10.0,
        help="seconds porcupine may take (default 10; the course's tests allow 1)",
    )


def run_demo(args: argparse.Namespace, body: Callable[[], int], from_command_line: bool) -> int:
    """body() in real time, or in deterministic simulation if args.seed is set; its status.
    from_command_line: the demo may re-execute itself with a fixed PYTHONHASHSEED (replays
    need one)."""
    if args.seed is None:
        return body()
    if from_command_line:
        ensure_fixed_hash_seed()
    outcome, status = Simulator(args.seed).run(body)
    print(
        f"simulation: seed {args.seed}, {outcome.virtual_s:.1f} virtual s, {outcome.decisions} scheduling "
        f"decisions, trace {outcome.trace_hash:016x} (the same seed gives the same run)"
    )
    if outcome.leaked:
        print("warning: threads still running after the cluster's cleanup:", *outcome.leaked, sep="\n  ")
    return status


def install_quiet_interrupt(prog: str) -> None:
    """Ctrl-C: one line ("prog: interrupted") and status 130, at once. Not KeyboardInterrupt:
    with --seed it would unwind the simulator in the middle of a scheduling step, and its
    threads would report that teardown with tracebacks; a demo holds nothing an immediate
    exit could lose."""
    message = f"{prog}: interrupted\n".encode()

    def quit_now(signum: int, frame: object) -> None:
        try:
            sys.stdout.flush()  # the report lines printed so far
        except RuntimeError:
            pass  # the main thread was interrupted while writing to stdout itself
        os.write(sys.stderr.fileno(), message)
        os._exit(EXIT_INTERRUPTED)

    signal.signal(signal.SIGINT, quit_now)
