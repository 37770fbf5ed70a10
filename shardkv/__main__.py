"""``python -m shardkv``: three shard groups and the controller under fire, then a linearizability verdict.

    python -m shardkv [--seconds 20] [--clients 5] [--servers 3] [--keys 10] [--maxraftstate 1000] [--seed N]

Three replica groups (gids 100, 101, 102, each of --servers servers) and the shard
controller (three servers) on one simulated network. Group 100 joins first; then clients
make random Get/Put/Append calls on keys "0".."9" (one per shard: key2shard is the first
byte mod 10) while a chaos thread repeats: a quiet spell, a reconfiguration (a group joins, or one of
several leaves), and, while its shards move, a fault (a server, or a whole group, crashes and
restarts from what it persisted; the network turns unreliable for a while; or calm). Each configuration
is printed as the controller makes it: the owner of shards 0..9, in order.

At the end the network heals, the clients finish their last operation, the groups settle
(every group has reached the last configuration with no shard in transit), and the
recorded history goes to porcupine; the HTML visualization is written whatever the verdict,
and its path printed. "shards moved" counts handovers (a shard pulled by its new owner
from its previous one, in one configuration; retried pulls count once), "bytes moved" the
FetchShard replies that carried them, as the network delivered them: see shardkv/cluster.py.

With --seed N the whole run happens in deterministic simulation (runtime/sim.py): virtual
time, every thread switch and random choice from the seed, so the same seed gives the same
run, configurations, history and verdict, and a surprising run can be replayed with logs
on (PY6824_DEBUG=CONF,MIGR,GC,TEST). Its times are virtual seconds.

A bad option is refused before anything starts (a one-line usage error, status 2); Ctrl-C
ends a run at once with "shardkv: interrupted" and status 130.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

import runtime
from porcupine import CheckResult
from shardctrler.common import N_SHARDS, Config
from shardkv.cluster import Cluster
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

CHAOS_PERIOD_S = (1.0, 2.0)  # how long each configuration, fault or calm spell lasts
RESTART_AFTER_S = 1.0  # a crashed server (or group) stays down this long
FINISH_TIMEOUT_S = 30.0  # at the end, for the clients' last operations, then for the groups to settle
SETTLE_POLL_S = 0.1  # how often the end of the run looks at the groups


class Demo:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.cluster = Cluster(args.servers, unreliable=False, maxraftstate=args.maxraftstate)
        self.history = History()
        self.t0 = self.history.t0
        self.stop_clients = runtime.Event()
        self.stop_chaos = runtime.Event()
        self.joined: list[int] = []  # group indexes (gid - 100) in the latest config; chaos thread only
        self.counts: Counter = Counter()  # "join" / "leave" / "crash" / ... -> count; chaos thread only
        self.last_config = Config()

    # --- the run ----------------------------------------------------------------------------

    def run(self) -> int:
        a = self.args
        print(
            f"shardkv: {self.cluster.ngroups} groups of {a.servers} servers, 3 controllers, {a.clients} "
            f"clients, {a.keys} keys, {a.seconds:g} s, maxraftstate {a.maxraftstate}",
            flush=True,
        )
        self._join(0)  # before the clients: until a group joins, no shard has an owner
        clients_done = start_clients(self.cluster.make_client, a.clients, a.keys, self.history, self.stop_clients)
        chaos = runtime.go(self.chaos, name="demo-chaos")
        runtime.sleep(a.seconds)
        self.stop_chaos.set()
        chaos.join()
        self.stop_clients.set()
        elapsed = runtime.now() - self.t0
        unfinished = wait_for_clients(clients_done, FINISH_TIMEOUT_S)  # the network is healed now
        settled = self._wait_settled(FINISH_TIMEOUT_S)
        verdict = self._report(elapsed, unfinished, settled)
        self.cluster.cleanup()
        return 0 if verdict is not CheckResult.ILLEGAL else 1

    def chaos(self) -> None:
        """A quiet spell (the clients write to the current owners), a reconfiguration, and a
        fault while its shards move; again and again."""
        faults = [self._crash_server, self._crash_group, self._unreliable, self._calm]
        while not self._pause():
            self._reconfigure()
            runtime.choice(faults)()
        self._say("heal: reliable network (every server is up)")
        self.cluster.net.reliable(True)

    # --- reconfigurations -------------------------------------------------------------------

    def _reconfigure(self) -> None:
        """A group that is out joins, or one that is in leaves (never the last one: its
        shards would go to no one, and the clients would wait for a join)."""
        out = [gi for gi in range(self.cluster.ngroups) if gi not in self.joined]
        moves = [(self._join, gi) for gi in out]
        if len(self.joined) > 1:
            moves += [(self._leave, gi) for gi in self.joined]
        move, gi = runtime.choice(moves)
        move(gi)

    def _join(self, gi: int) -> None:
        self.cluster.join(gi)
        self.joined.append(gi)
        self.counts["join"] += 1
        self._show_config(f"join G{self.cluster.groups[gi].gid}")

    def _leave(self, gi: int) -> None:
        self.cluster.leave(gi)
        self.joined.remove(gi)
        self.counts["leave"] += 1
        self._show_config(f"leave G{self.cluster.groups[gi].gid}")

    def _show_config(self, change: str) -> None:
        self.last_config = config = self.cluster.latest_config()
        self._say(f"{change}: config {config.num}, shards 0-{N_SHARDS - 1} on {' '.join(map(str, config.shards))}")

    # --- faults -----------------------------------------------------------------------------

    def _crash_server(self) -> None:
        gi, i = runtime.randrange(self.cluster.ngroups), runtime.randrange(self.cluster.n)
        gid = self.cluster.groups[gi].gid
        self._say(f"crash server {i} of G{gid}")
        self.counts["server crash"] += 1
        self.cluster.shutdown_server(gi, i)
        self.stop_chaos.wait(RESTART_AFTER_S)
        self._say(f"restart server {i} of G{gid}")
        self.cluster.start_server(gi, i)
        self._pause()

    def _crash_group(self) -> None:
        gi = runtime.randrange(self.cluster.ngroups)
        gid = self.cluster.groups[gi].gid
        self._say(f"crash every server of G{gid}")
        self.counts["group crash"] += 1
        self.cluster.shutdown_group(gi)
        self.stop_chaos.wait(RESTART_AFTER_S)
        self._say(f"restart G{gid}")
        self.cluster.start_group(gi)
        self._pause()

    def _unreliable(self) -> None:
        self._say("unreliable network")
        self.counts["unreliable"] += 1
        self.cluster.net.reliable(False)
        self._pause()
        self.cluster.net.reliable(True)

    def _calm(self) -> None:
        self._say("calm")
        self._pause()

    def _pause(self) -> bool:
        """Wait a random while, or until the chaos must stop; whether it must."""
        low, high = CHAOS_PERIOD_S
        return self.stop_chaos.wait(low + runtime.random() * (high - low))

    # --- the end ----------------------------------------------------------------------------

    def _wait_settled(self, timeout: float) -> bool:
        """Wait until every group has applied the last configuration with no shard in transit."""
        deadline = runtime.now() + timeout
        while not all(self._group_settled(gi) for gi in range(self.cluster.ngroups)):
            if runtime.now() >= deadline:
                return False
            runtime.sleep(SETTLE_POLL_S)
        return True

    def _group_settled(self, gi: int) -> bool:
        """Has some replica of group gi applied the last config, every shard it holds served?
        (One replica suffices: it applies only committed entries.)"""
        for kv in self.cluster.servers(gi):
            if kv is None:
                continue
            with kv.rsm.mu:
                if kv.store.config.num >= self.last_config.num and kv.store.settled():
                    return True
        return False

    def _report(self, elapsed: float, unfinished: int, settled: bool) -> CheckResult:
        print(self.history.summary(elapsed))
        c = self.counts
        print(
            f"configurations: {self.last_config.num} ({c['join']} joins, {c['leave']} leaves); "
            f"{'every group settled in' if settled else 'warning: groups not settled in'} "
            f"config {self.last_config.num}"
        )
        moves = self.cluster.moves()
        print(f"shards moved: {moves.shards} ({moves.fetches} FetchShard replies carried them)")
        print(
            f"bytes moved: {moves.bytes} (those replies as the network delivered them: keys, values, duplicate tables)"
        )
        print(
            f"chaos: {c['server crash']} server crashes, {c['group crash']} group crashes (each restarted), "
            f"{c['unreliable']} unreliable spells"
        )
        return finish_report(self.cluster.rpc_total(), unfinished, self.history, self.args.check_timeout, "shardkv")

    def _say(self, what: str) -> None:
        say(self.t0, what)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The options, checked: a bad value is one usage error now, not a traceback minutes later."""
    parser = ArgumentParser(prog="python -m shardkv", description=__doc__.split("\n\n")[0])
    add_client_options(parser)
    parser.add_argument("--servers", type=int_in(1), default=3, help="servers in each of the 3 groups (default 3)")
    parser.add_argument(
        "--keys",
        type=int_in(1),
        default=10,
        help='keys the clients share, "0", "1", ... (default 10: one in each shard)',
    )
    add_run_options(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the demo; argv None means the command line (which a seeded run may re-execute
    with a fixed PYTHONHASHSEED, as replays need)."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return run_demo(args, lambda: Demo(args).run(), from_command_line=argv is None)


if __name__ == "__main__":
    install_quiet_interrupt("shardkv")
    sys.exit(main())
