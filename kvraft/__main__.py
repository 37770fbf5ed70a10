"""``python -m kvraft``: a kvraft cluster under fire, then a linearizability verdict.

    python -m kvraft [--seconds 20] [--clients 5] [--peers 5] [--maxraftstate 1000] [--seed N]

Clients make random Get/Put/Append calls on a few shared keys (as the course's "random
keys" test) while a chaos thread partitions the network, crashes and restarts servers and
makes the network unreliable for a while. At the end the network heals, the clients finish
their last operation, and the recorded history goes to porcupine; the HTML visualization
is written whatever the verdict, and its path printed.

With --seed N the whole run happens in deterministic simulation (runtime/sim.py): virtual
time, every thread switch and random choice from the seed, so the same seed gives the same
run, partitions, history and verdict, and a surprising run can be replayed with logs on
(PY6824_DEBUG=1). Its times are virtual seconds.

A bad option is refused before anything starts (argparse's usage error, status 2); Ctrl-C
ends a run at once with "kvraft: interrupted" and status 130.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field

import runtime
from kvraft.client import Clerk, ClerkClosed
from kvraft.cluster import Cluster
from kvraft.server import KVServer
from labrpc import debug
from porcupine import CheckResult, Operation, check_operations_verbose, visualize_path
from porcupine.models import APPEND, GET, PUT, KvInput, KvOutput, kv_model
from runtime.sim import Simulator, ensure_fixed_hash_seed
from tools.cli import ArgumentParser, int_in, number_in

CHAOS_PERIOD_S = (1.0, 2.0)  # how long each network/crash situation lasts
RESTART_AFTER_S = 1.0  # a crashed server stays down this long
MONITOR_PERIOD_S = 0.05  # how often the monitor asks every Raft for its state
INTERRUPTED_EXIT = 130  # a shell's status for a job stopped by Ctrl-C: 128 + SIGINT


@dataclass
class Stats:
    """What happened; each field is written by one thread, read at the end."""

    ops: Counter = field(default_factory=Counter)  # "get" / "put" / "append" -> count
    chaos: Counter = field(default_factory=Counter)  # "partition" / "crash" / ... -> count
    leader_terms: set[int] = field(default_factory=set)  # terms in which a leader was seen
    servers_seen: list[KVServer] = field(default_factory=list)  # every instance, for snapshot counts


class Demo:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.cluster = Cluster(args.peers, unreliable=False, maxraftstate=args.maxraftstate)
        self.stats = Stats()
        self.stop_clients = runtime.Event()
        self.stop_chaos = runtime.Event()
        self.history_mu = runtime.Lock()
        self.history: list[Operation] = []  # guarded by history_mu
        self.t0 = runtime.now()

    # --- threads ----------------------------------------------------------------------------

    def client(self, cli: int, ck: Clerk, done: runtime.Event) -> None:
        """Random operations on shared keys until told to stop."""
        try:
            j = 0
            while not self.stop_clients.is_set():
                key = str(runtime.randrange(self.args.keys))
                value = f"x {cli} {j} y"
                dice = runtime.randrange(1000)
                kind = APPEND if dice < 500 else PUT if dice < 550 else GET
                start = self._ns()
                if kind == APPEND:
                    ck.append(key, value)
                elif kind == PUT:
                    ck.put(key, value)
                else:
                    value = ck.get(key)
                end = self._ns()
                self._record(cli, kind, key, value, start, end)
                j += 1
        except ClerkClosed:
            pass  # the demo gave up waiting for this client
        finally:
            done.set()

    def chaos(self) -> None:
        """One situation after another: partitions, a crash, an unreliable spell, calm."""
        actions = [self._crash, self._unreliable, self._calm]
        if self.cluster.n > 1:  # one peer has nobody to be cut off from
            actions.append(self._partition)
        while not self.stop_chaos.is_set():
            runtime.choice(actions)()
        self._say("heal: reconnect everything, reliable network")
        self.cluster.net.reliable(True)
        self.cluster.connect_all()

    def monitor(self) -> None:
        """Watch every Raft's (term, leader?) so elections can be counted."""
        while not self.stop_chaos.wait(MONITOR_PERIOD_S):
            for kv in self.cluster.servers():
                if kv is None:
                    continue
                if kv not in self.stats.servers_seen:
                    self.stats.servers_seen.append(kv)
                term, is_leader = kv.rf.get_state()
                if is_leader:
                    self.stats.leader_terms.add(term)

    # --- chaos actions ----------------------------------------------------------------------

    def _partition(self) -> None:
        peers = self.cluster.all()
        runtime.shuffle(peers)
        cut = runtime.randint(1, len(peers) // 2)
        minority, majority = sorted(peers[:cut]), sorted(peers[cut:])
        self._say(f"partition {majority} | {minority}")
        self.stats.chaos["partition"] += 1
        self.cluster.partition(majority, minority)
        self._pause()

    def _crash(self) -> None:
        i = runtime.randrange(self.cluster.n)
        self._say(f"crash server {i}")
        self.stats.chaos["crash"] += 1
        self.cluster.shutdown_server(i)
        self.stop_chaos.wait(RESTART_AFTER_S)
        self._say(f"restart server {i}, reconnect everything")
        self.cluster.start_server(i)
        self.cluster.connect_all()
        self._pause()

    def _unreliable(self) -> None:
        self._say("unreliable network")
        self.stats.chaos["unreliable"] += 1
        self.cluster.net.reliable(False)
        self._pause()
        self.cluster.net.reliable(True)

    def _calm(self) -> None:
        self._say("calm: everything connected")
        self.cluster.connect_all()
        self._pause()

    def _pause(self) -> None:
        low, high = CHAOS_PERIOD_S
        self.stop_chaos.wait(low + runtime.random() * (high - low))

    # --- the run ----------------------------------------------------------------------------

    def run(self) -> int:
        a = self.args
        print(f"kvraft: {a.peers} peers, {a.clients} clients, {a.keys} keys, {a.seconds:.0f} s, "
              f"maxraftstate {a.maxraftstate}")
        clients_done = []
        for cli in range(a.clients):
            done = runtime.Event()
            clients_done.append(done)
            ck = self.cluster.make_client(self.cluster.all())
            runtime.go(self.client, cli, ck, done, name=f"demo-client-{cli}")
        chaos = runtime.go(self.chaos, name="demo-chaos")
        monitor = runtime.go(self.monitor, name="demo-monitor")
        runtime.sleep(a.seconds)
        self.stop_chaos.set()
        chaos.join()
        monitor.join()
        self.stop_clients.set()
        elapsed = runtime.now() - self.t0
        unfinished = self._wait_for_clients(clients_done)
        verdict = self._report(elapsed, unfinished)
        self.cluster.cleanup()
        return 0 if verdict is not CheckResult.ILLEGAL else 1

    def _wait_for_clients(self, clients_done: list[runtime.Event]) -> int:
        """Wait for each client's last operation; after a healed network it completes."""
        deadline = runtime.now() + 30.0
        for done in clients_done:
            done.wait(max(0.0, deadline - runtime.now()))
        return sum(not done.is_set() for done in clients_done)

    def _report(self, elapsed: float, unfinished: int) -> CheckResult:
        with self.history_mu:
            history = list(self.history)
        total = len(history)
        ops = self.stats.ops
        print(f"operations: {total} (get {ops[GET]}, put {ops[PUT]}, append {ops[APPEND]}) "
              f"in {elapsed:.1f} s, {total / elapsed:.1f} ops/s")
        terms = self.stats.leader_terms
        print(f"elections: leaders seen in {len(terms)} terms (highest term {max(terms, default=0)})")
        chaos = self.stats.chaos
        print(f"chaos: {chaos['crash']} crashes and restarts, {chaos['partition']} partitions, "
              f"{chaos['unreliable']} unreliable spells")
        snapshots = sum(kv.snapshots_taken for kv in self.stats.servers_seen)
        print(f"snapshots taken: {snapshots}; largest Raft state {self.cluster.log_size()} bytes, "
              f"largest snapshot {self.cluster.snapshot_size()} bytes")
        print(f"RPCs: {self.cluster.rpc_total()}")
        if unfinished:
            print(f"warning: {unfinished} clients did not finish their last operation")
        started = runtime.now()
        verdict, info = check_operations_verbose(kv_model, history, self.args.check_timeout)
        took = runtime.now() - started
        meaning = {CheckResult.OK: "linearizable", CheckResult.ILLEGAL: "NOT linearizable",
                   CheckResult.UNKNOWN: "check timed out, assuming ok"}[verdict]
        print(f"linearizability: {verdict} ({meaning}; {total} operations checked in {took:.2f} s)")
        fd, path = tempfile.mkstemp(prefix="kvraft-", suffix=".html")
        os.close(fd)
        visualize_path(kv_model, info, path)
        print(f"visualization: {path}")
        return verdict

    # --- helpers ----------------------------------------------------------------------------

    def _ns(self) -> int:
        return int((runtime.now() - self.t0) * 1e9)

    def _record(self, cli: int, kind: int, key: str, value: str, start: int, end: int) -> None:
        if kind == GET:
            op = Operation(cli, KvInput(op=GET, key=key), start, KvOutput(value=value), end)
        else:
            op = Operation(cli, KvInput(op=kind, key=key, value=value), start, KvOutput(), end)
        with self.history_mu:
            self.history.append(op)
            self.stats.ops[kind] += 1

    def _say(self, what: str) -> None:
        debug.log("TEST", what)
        print(f"  {runtime.now() - self.t0:5.1f} s  {what}", flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The options, checked: a bad value is one usage error now, not a traceback minutes later."""
    parser = ArgumentParser(prog="python -m kvraft", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=number_in(unit="seconds"), default=20.0,
                        help="how long the clients run (default 20)")
    parser.add_argument("--clients", type=int_in(1), default=5, help="concurrent clerks (default 5)")
    parser.add_argument("--peers", type=int_in(1), default=5, help="kvraft servers (default 5)")
    parser.add_argument("--keys", type=int_in(1), default=5, help="keys the clients share (default 5)")
    parser.add_argument("--maxraftstate", type=_maxraftstate, default=1000,
                        help="snapshot threshold in bytes, -1 for none (default 1000)")
    parser.add_argument("--seed", type=int, default=None,
                        help="run in deterministic simulation from this seed (virtual time; same seed, same run)")
    parser.add_argument("--check-timeout", type=number_in(unit="seconds"), default=10.0,
                        help="seconds porcupine may take (default 10; the tests allow 1)")
    return parser.parse_args(argv)


def _maxraftstate(text: str) -> int:
    """An argparse type: a positive number of bytes, or -1 (never snapshot), as the course's."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1 and value != -1:
        raise argparse.ArgumentTypeError(f"expected a positive number of bytes or -1, got {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    """Run the demo; argv None means the command line (which a seeded run may re-execute
    with a fixed PYTHONHASHSEED, as replays need)."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.seed is None:
        return Demo(args).run()
    if argv is None:
        ensure_fixed_hash_seed()
    outcome, status = Simulator(args.seed).run(lambda: Demo(args).run())
    print(f"simulation: seed {args.seed}, {outcome.virtual_s:.1f} virtual s, {outcome.decisions} scheduling "
          f"decisions, trace {outcome.trace_hash:016x} (the same seed gives the same run)")
    if outcome.leaked:
        print("warning: threads still running after the cluster's cleanup:", *outcome.leaked, sep="\n  ")
    return status


def quit_on_interrupt(signum: int, frame: object) -> None:
    """Ctrl-C: one line and status 130, at once. Not KeyboardInterrupt: with --seed it would
    unwind the simulator in the middle of a scheduling step, and its threads would report
    that teardown with tracebacks; the demo holds nothing an immediate exit could lose."""
    try:
        sys.stdout.flush()  # the report lines printed so far
    except RuntimeError:
        pass  # the main thread was interrupted while writing to stdout itself
    os.write(sys.stderr.fileno(), b"kvraft: interrupted\n")
    os._exit(INTERRUPTED_EXIT)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, quit_on_interrupt)
    sys.exit(main())
