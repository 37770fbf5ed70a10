"""kvraft throughput and latency on a reliable simulated network.

    python benchmarks/kvraft_bench.py [--seconds 5]

For 3 and 5 peers and 1, 5 and 20 concurrent clerks: each clerk makes operations back to
back (half Put, half Get, on its own key, so values stay small) for the given time; the table
gives operations per second and the median and 99th-percentile latency of one operation.
No snapshots (maxraftstate -1), reliable network, as the course's speed test.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import runtime
from kvraft.client import Clerk
from kvraft.cluster import Cluster
from tools.cli import ArgumentParser, number_in, run

PEERS = (3, 5)
CLIENTS = (1, 5, 20)


@dataclass
class Result:
    peers: int
    clients: int
    ops: int
    seconds: float
    latencies_s: list[float]

    @property
    def ops_per_s(self) -> float:
        return self.ops / self.seconds

    def percentile_ms(self, p: float) -> float:
        """The p-th percentile (nearest rank) of the latencies, in milliseconds."""
        ordered = sorted(self.latencies_s)
        rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered)) - 1))
        return ordered[rank] * 1000


def _clerk_loop(ck: Clerk, cli: int, stop: runtime.Event, latencies: list[float]) -> None:
    key = f"bench-{cli}"
    i = 0
    while not stop.is_set():
        start = runtime.now()
        if i % 2 == 0:
            ck.put(key, f"v{i}")
        else:
            ck.get(key)
        latencies.append(runtime.now() - start)
        i += 1


def run_one(peers: int, clients: int, seconds: float) -> Result:
    cluster = Cluster(peers, unreliable=False, maxraftstate=-1)
    try:
        cluster.make_client(cluster.all()).get("warm-up")  # wait for a leader
        stop = runtime.Event()
        per_client: list[list[float]] = [[] for _ in range(clients)]
        threads = [
            runtime.go(
                _clerk_loop, cluster.make_client(cluster.all()), cli, stop, per_client[cli], name=f"bench-clerk-{cli}"
            )
            for cli in range(clients)
        ]
        started = runtime.now()
        runtime.sleep(seconds)
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = runtime.now() - started
    finally:
        cluster.cleanup()
    latencies = [lat for lats in per_client for lat in lats]
    return Result(peers, clients, len(latencies), elapsed, latencies)


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="kvraft_bench.py", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=number_in(3600, "seconds"), default=5.0, help="run time per configuration (default 5)"
    )
    args = parser.parse_args(argv)
    print(f"kvraft benchmark: reliable network, no snapshots, {args.seconds:.0f} s per row, {os.cpu_count()} CPUs")
    print(f"{'peers':>5} {'clients':>7} {'ops':>7} {'ops/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for peers in PEERS:
        for clients in CLIENTS:
            r = run_one(peers, clients, args.seconds)
            print(
                f"{r.peers:>5} {r.clients:>7} {r.ops:>7} {r.ops_per_s:>8.1f} "
                f"{r.percentile_ms(50):>8.2f} {r.percentile_ms(99):>8.2f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    run("kvraft_bench", main)
