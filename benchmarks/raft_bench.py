"""Raft throughput and latency on the reliable simulated network (prints figures).

    python benchmarks/raft_bench.py [--seconds 3] [--callers 8] [--samples 300] [--all-cpus]

For 3 and 5 peers: commands committed and applied per second while many threads call
start() on the leader at once (with the CPU-seconds the whole process spent per 1,000 of
them: every peer's threads run in it), and the median / p99 latency from start() to the
leader applying the command when commands go one at a time.

The process runs on one CPU unless --all-cpus: its Python code runs on one core at a time
anyway (the GIL), and on two cores every thread wake-up crosses cores and hands the GIL back
and forth, which costs more than the second core gives (on a 2-core machine, about twice the
CPU per command). Where CPU affinity cannot be set (not Linux), it runs on all CPUs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import raft
import runtime
from labrpc import Channel, Network, Server, Service
from tools.cli import ArgumentParser, int_in, number_in, run

APPLY_WAIT_S = 10.0  # how long a command may take to apply before the benchmark gives up


class AppliedIndex:
    """The highest index one peer's service has applied, and threads waiting for an index.

    As a service would, each peer has its own lock, and waiters are woken only once the index
    one of them waits for is applied, not on every applied command: a lock shared by every
    peer's applier, or a wake-up per command, cost the benchmark more than Raft itself."""

    def __init__(self) -> None:
        self.mu = runtime.Lock()
        self.changed = runtime.Condition(self.mu)
        self.index = 0  # guarded by mu, as is awaited
        self.awaited: list[int] = []  # the indexes waiters wait for

    def advance(self, index: int) -> None:
        with self.mu:
            self.index = index
            if self.awaited and index >= min(self.awaited):
                self.changed.notify_all()

    def wait_for(self, index: int) -> None:
        """Wait until index is applied; RuntimeError after APPLY_WAIT_S (a new leader may
        never commit an index its predecessor handed out, since no command follows it)."""
        deadline = runtime.now() + APPLY_WAIT_S
        with self.mu:
            self.awaited.append(index)
            try:
                while self.index < index:
                    if runtime.now() >= deadline:
                        raise RuntimeError(f"index {index} not applied within {APPLY_WAIT_S} s: leadership changed?")
                    self.changed.wait(deadline - runtime.now())
            finally:
                self.awaited.remove(index)


class Cluster:
    def __init__(self, n: int) -> None:
        self.net = Network()
        self.channels: list[Channel[raft.ApplyMsg]] = [Channel() for _ in range(n)]
        self.rafts = []
        for i in range(n):
            ends = []
            for j in range(n):
                end = self.net.make_end(f"{i}->{j}")
                self.net.connect(f"{i}->{j}", j)
                self.net.enable(f"{i}->{j}", True)
                ends.append(end)
            rf = raft.make(ends, i, raft.Persister(), self.channels[i])
            server = Server()
            server.add_service(Service(rf))
            self.net.add_server(i, server)
            self.rafts.append(rf)
        self.applied = [AppliedIndex() for _ in range(n)]
        self.appliers = [runtime.go(self._apply_loop, i, name=f"bench-applier-{i}") for i in range(n)]

    def _apply_loop(self, i: int) -> None:
        for msg in self.channels[i]:
            self.applied[i].advance(msg.command_index)

    def leader(self) -> raft.Raft:
        deadline = runtime.now() + 10
        while runtime.now() < deadline:
            for rf in self.rafts:
                if rf.get_state()[1]:
                    return rf
            runtime.sleep(0.05)
        raise RuntimeError("no leader elected within 10 s")

    def wait_applied(self, peer: int, index: int, everywhere: bool = False) -> None:
        for applied in self.applied if everywhere else [self.applied[peer]]:
            applied.wait_for(index)

    def shutdown(self) -> None:
        for rf in self.rafts:
            rf.kill()
        for ch in self.channels:
            ch.close()
        self.net.cleanup()


def throughput(cluster: Cluster, seconds: float, callers: int) -> tuple[float, float]:
    """(commands applied per second, CPU-seconds of the whole process per 1,000 of them)."""
    leader = cluster.leader()
    stop = runtime.Event()
    last_index = [0] * callers
    errors: list[RuntimeError] = []  # what stopped a caller early; the run then fails

    def caller(k: int) -> None:
        n = 0
        try:
            while not stop.is_set():
                index, _, ok = leader.start(f"c{k}-{n}")
                if not ok:
                    raise RuntimeError("leadership changed during the benchmark (an election: an overloaded machine?)")
                last_index[k] = index
                n += 1
                if n % 64 == 0:
                    cluster.wait_applied(leader.me, index)  # keep the backlog bounded
        except RuntimeError as e:
            errors.append(e)
            stop.set()

    start_applied = min(applied.index for applied in cluster.applied)
    t0, cpu0 = runtime.now(), time.process_time()
    threads = [runtime.go(caller, k, name=f"caller-{k}") for k in range(callers)]
    runtime.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    cluster.wait_applied(leader.me, max(last_index), everywhere=True)
    elapsed, cpu = runtime.now() - t0, time.process_time() - cpu0
    applied = max(last_index) - start_applied
    return applied / elapsed, cpu / applied * 1000


def latency(cluster: Cluster, samples: int) -> tuple[float, float]:
    leader = cluster.leader()
    times = []
    for n in range(samples):
        t0 = runtime.now()
        index, _, _ = leader.start(f"lat-{n}")
        cluster.wait_applied(leader.me, index)
        times.append(runtime.now() - t0)
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.99) - 1] * 1000


def pin_to_one_cpu() -> str:
    """Run this process on one of the CPUs it may use; say which (or why not)."""
    if not hasattr(os, "sched_setaffinity"):
        return "all CPUs (this system cannot pin a process)"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"CPU {cpu} only (--all-cpus: every CPU)"


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(
        prog="raft_bench.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=number_in(3600, "seconds"), default=3.0, help="length of the throughput run")
    parser.add_argument("--callers", type=int_in(1, 1000), default=8, help="threads calling start() at once")
    parser.add_argument("--samples", type=int_in(1, 100_000), default=300, help="sequential commands timed for latency")
    parser.add_argument("--all-cpus", action="store_true", help="run on every CPU, not pinned to one")
    args = parser.parse_args(argv)
    print(f"on {'all CPUs' if args.all_cpus else pin_to_one_cpu()}")
    print(f"{'peers':>5} {'applied cmds/s':>15} {'median ms':>10} {'p99 ms':>8} {'CPU s/1000 cmds':>16}")
    for n in (3, 5):
        cluster = Cluster(n)
        try:
            median, p99 = latency(cluster, args.samples)
            rate, cpu = throughput(cluster, args.seconds, args.callers)
        finally:
            cluster.shutdown()
        print(f"{n:>5} {rate:>15.0f} {median:>10.2f} {p99:>8.2f} {cpu:>16.3f}", flush=True)
    return 0


if __name__ == "__main__":
    run("raft_bench", main)
