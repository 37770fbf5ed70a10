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
import sys
from collections import Counter
from dataclasses import dataclass, field

import runtime
from kvraft.cluster import Cluster
from kvraft.server import KVServer
from porcupine import CheckResult
from tools.cli import ArgumentParser, int_in
from tools.demo import (
    History,
    add_client_options,
    add_run_options,
    finish_report,
    install_quiet_interrupt,
    run_demo,
    say,
    start_clients,
    wait_for_clients,
)

CHAOS_PERIOD_S = (1.0, 2.0)  # how long each network/crash situation lasts
RESTART_AFTER_S = 1.0  # a crashed server stays down this long
MONITOR_PERIOD_S = 0.05  # how often the monitor asks every Raft for its state


@dataclass
class Stats:
    """What happened; each field is written by one thread, read at the end."""

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
        self.history = History()
        self.t0 = self.history.t0

    # --- threads ----------------------------------------------------------------------------

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
        print(
            f"kvraft: {a.peers} peers, {a.clients} clients, {a.keys} keys, {a.seconds:.0f} s, "
            f"maxraftstate {a.maxraftstate}"
        )
        clients_done = start_clients(
            lambda: self.cluster.make_client(self.cluster.all()), a.clients, a.keys, self.history, self.stop_clients
        )
        chaos = runtime.go(self.chaos, name="demo-chaos")
        monitor = runtime.go(self.monitor, name="demo-monitor")
        runtime.sleep(a.seconds)
        self.stop_chaos.set()
        chaos.join()
        monitor.join()
        self.stop_clients.set()
        elapsed = runtime.now() - self.t0
        unfinished = wait_for_clients(clients_done, 30.0)  # after a healed network they complete
        verdict = self._report(elapsed, unfinished)
        self.cluster.cleanup()
        return 0 if verdict is not CheckResult.ILLEGAL else 1

    def _report(self, elapsed: float, unfinished: int) -> CheckResult:
        print(self.history.summary(elapsed))
        terms = self.stats.leader_terms
        print(f"elections: leaders seen in {len(terms)} terms (highest term {max(terms, default=0)})")
        chaos = self.stats.chaos
        print(
            f"chaos: {chaos['crash']} crashes and restarts, {chaos['partition']} partitions, "
            f"{chaos['unreliable']} unreliable spells"
        )
        snapshots = sum(kv.snapshots_taken for kv in self.stats.servers_seen)
        print(
            f"snapshots taken: {snapshots}; largest Raft state {self.cluster.log_size()} bytes, "
            f"largest snapshot {self.cluster.snapshot_size()} bytes"
        )
        return finish_report(self.cluster.rpc_total(), unfinished, self.history, self.args.check_timeout, "kvraft")

    def _say(self, what: str) -> None:
        say(self.t0, what)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The options, checked: a bad value is one usage error now, not a traceback minutes later."""
    parser = ArgumentParser(prog="python -m kvraft", description=__doc__.split("\n\n")[0])
    add_client_options(parser)
    parser.add_argument("--peers", type=int_in(1), default=5, help="kvraft servers (default 5)")
    parser.add_argument("--keys", type=int_in(1), default=5, help="keys the clients share (default 5)")
    add_run_options(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the demo; argv None means the command line (which a seeded run may re-execute
    with a fixed PYTHONHASHSEED, as replays need)."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return run_demo(args, lambda: Demo(args).run(), from_command_line=argv is None)


if __name__ == "__main__":
    install_quiet_interrupt("kvraft")
    sys.exit(main())
