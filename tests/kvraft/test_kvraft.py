"""The course's kvraft/test_test.go, ported one to one (same tests, parameters and bounds).

Run as ``pytest -k 3A`` / ``pytest -k 3B``; ``-s`` shows the course's "Test: ..." lines.

Deviations, all forced by Python rather than chosen:

* Where Go hands a client's result over an unbuffered channel, we use a one-shot Mailbox:
  a Go test may abandon a goroutine blocked on a send, but our harness fails a test whose
  threads outlive it.
* Go's ``t.Fatalf`` in a client goroutine becomes an AssertionError in that thread, which
  the harness turns into a failure of the test (tests/harness.py).
* Waits that Go leaves unbounded are bounded by what is left of the 120 s per test, so a
  stuck test fails with the course's "test took longer than 120 seconds".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import runtime
from kvraft import Clerk, ClerkClosed
from labrpc import debug
from porcupine import Operation
from porcupine.models import APPEND, GET, PUT, KvInput, KvOutput
from tests.kvraft.config import Config, make_config
from tests.linearizability import OpLog, check_linearizable

# The tester generously allows solutions to complete elections in one second
# (much more than the paper's range of timeouts).
ELECTION_TIMEOUT_S = 1.0

# Timestamps for the history: nanoseconds since import, on the monotonic clock (the course
# moved to time.Since(t0) so a wall-clock jump cannot reorder operations).
T0 = runtime.now()


def _ns_since_t0() -> int:
    return int((runtime.now() - T0) * 1e9)


def fatal(message: str) -> None:
    raise AssertionError(message)


class Mailbox:
    """A one-shot value from one thread to another (where Go uses an unbuffered channel)."""

    def __init__(self) -> None:
        self._ready = runtime.Event()
        self.value: Any = None

    def put(self, value: Any) -> None:
        self.value = value
        self._ready.set()

    def take(self, cfg: Config) -> Any:
        if not self._ready.wait(cfg.remaining()):
            fatal("test took longer than 120 seconds")
        return self.value


# --- get/put/append that keep counts and record the history -------------------------------


def get(cfg: Config, ck: Clerk, key: str, log: OpLog | None, cli: int) -> str:
    start = _ns_since_t0()
    v = ck.get(key)
    end = _ns_since_t0()
    cfg.op()
    if log is not None:
        log.append(
            Operation(client_id=cli, input=KvInput(op=GET, key=key), call=start, output=KvOutput(value=v), return_=end)
        )
    return v


def put(cfg: Config, ck: Clerk, key: str, value: str, log: OpLog | None, cli: int) -> None:
    start = _ns_since_t0()
    ck.put(key, value)
    end = _ns_since_t0()
    cfg.op()
    if log is not None:
        log.append(
            Operation(
                client_id=cli, input=KvInput(op=PUT, key=key, value=value), call=start, output=KvOutput(), return_=end
            )
        )


def append(cfg: Config, ck: Clerk, key: str, value: str, log: OpLog | None, cli: int) -> None:
    start = _ns_since_t0()
    ck.append(key, value)
    end = _ns_since_t0()
    cfg.op()
    if log is not None:
        log.append(
            Operation(
                client_id=cli,
                input=KvInput(op=APPEND, key=key, value=value),
                call=start,
                output=KvOutput(),
                return_=end,
            )
        )


def check(cfg: Config, ck: Clerk, key: str, value: str) -> None:
    v = get(cfg, ck, key, None, -1)
    if v != value:
        fatal(f"Get({key}): expected:\n{value}\nreceived:\n{v}")


# --- clients ------------------------------------------------------------------------------

ClientFn = Callable[[int, Clerk], None]


def run_client(cfg: Config, me: int, ca: Mailbox, fn: ClientFn) -> None:
    """A client runs fn and then signals whether it finished."""
    ok = False
    try:
        ck = cfg.make_client(cfg.all())
        fn(me, ck)
        ok = True
        cfg.delete_client(ck)
    except ClerkClosed:
        pass  # the test is over (and failed elsewhere); just leave
    finally:
        ca.put(ok)


def spawn_clients_and_wait(cfg: Config, ncli: int, fn: ClientFn) -> None:
    """Spawn ncli clients and wait until they are all done."""
    ca = [Mailbox() for _ in range(ncli)]
    for cli in range(ncli):
        runtime.go(run_client, cfg, cli, ca[cli], fn, name=f"kv-client-{cli}")
    for cli in range(ncli):
        if not ca[cli].take(cfg):
            fatal("failure")


def next_value(prev: str, val: str) -> str:
    """The effect of Append(k, val) if the old value is prev."""
    return prev + val


def check_clnt_appends(clnt: int, v: str, count: int) -> None:
    """All of one client's appends are in v, each once, in order."""
    lastoff = -1
    for j in range(count):
        wanted = f"x {clnt} {j} y"
        off = v.find(wanted)
        if off < 0:
            fatal(f"{clnt} missing element {wanted} in Append result {v}")
        if v.rfind(wanted) != off:
            fatal(f"duplicate element {wanted} in Append result")
        if off <= lastoff:
            fatal(f"wrong order for element {wanted} in Append result")
        lastoff = off


def check_concurrent_appends(v: str, counts: list[int]) -> None:
    """All appends are in v, and in order for each concurrent client."""
    for i, count in enumerate(counts):
        check_clnt_appends(i, v, count)


def partitioner(cfg: Config, ch: Mailbox, done: runtime.Event) -> None:
    """Repartition the servers at random, about once per election timeout."""
    try:
        while not done.is_set():
            side = [runtime.randrange(2) for _ in range(cfg.n)]
            pa = [[j for j in range(cfg.n) if side[j] == i] for i in range(2)]
            cfg.partition(pa[0], pa[1])
            runtime.sleep(ELECTION_TIMEOUT_S + runtime.randrange(200) / 1000)
    finally:
        ch.put(True)


# --- the generic tests --------------------------------------------------------------------


def generic_test(
    part: str,
    nclients: int,
    nservers: int,
    unreliable: bool,
    crash: bool,
    partitions: bool,
    maxraftstate: int,
    randomkeys: bool,
) -> None:
    """One or more clients submit Append/Get operations for a while, three times over; then
    every client's appends must be present and in order. Unreliable: RPCs may be lost.
    Crash: all servers restart after each period. Partitions: the network is repartitioned
    while the clients run. maxraftstate > 0: the Raft state must stay under 8 times it;
    maxraftstate < 0: no snapshots at all. Randomkeys: clients share keys, and the history
    must be linearizable."""
    title = "Test: "
    if unreliable:
        title += "unreliable net, "  # the network drops RPC requests and replies
    if crash:
        title += "restarts, "  # peers restart, so persistence must work
    if partitions:
        title += "partitions, "  # the network may partition
    if maxraftstate != -1:
        title += "snapshots, "
    if randomkeys:
        title += "random keys, "
    title += "many clients" if nclients > 1 else "one client"
    title += f" ({part})"

    with make_config(nservers, unreliable, maxraftstate) as cfg:
        cfg.begin(title)
        op_log = OpLog()
        ck = cfg.make_client(cfg.all())
        done_partitioner = runtime.Event()
        done_clients = runtime.Event()

        for _ in range(3):
            done_clients.clear()
            done_partitioner.clear()
            clnts = [Mailbox() for _ in range(nclients)]
            ch_partitioner = Mailbox()

            def client(cli: int, myck: Clerk, clnts: list[Mailbox] = clnts) -> None:
                j = 0
                try:
                    last = ""  # only used when not randomkeys
                    if not randomkeys:
                        put(cfg, myck, str(cli), last, op_log, cli)
                    while not done_clients.is_set():
                        key = str(runtime.randrange(nclients)) if randomkeys else str(cli)
                        nv = f"x {cli} {j} y"
                        if runtime.randrange(1000) < 500:
                            append(cfg, myck, key, nv, op_log, cli)
                            if not randomkeys:
                                last = next_value(last, nv)
                            j += 1
                        elif randomkeys and runtime.randrange(1000) < 100:
                            # Only with random keys: a Put would break the check after Get.
                            put(cfg, myck, key, nv, op_log, cli)
                            j += 1
                        else:
                            v = get(cfg, myck, key, op_log, cli)
                            # The check only makes sense when the key is this client's own.
                            if not randomkeys and v != last:
                                fatal(f"get wrong value, key {key}, wanted:\n{last}\n, got\n{v}\n")
                finally:
                    clnts[cli].put(j)

            runtime.go(spawn_clients_and_wait, cfg, nclients, client, name="kv-spawn-clients")

            if partitions:
                # Allow the clients to perform some operations without interruption.
                runtime.sleep(1.0)
                runtime.go(partitioner, cfg, ch_partitioner, done_partitioner, name="kv-partitioner")
            runtime.sleep(5.0)

            done_clients.set()  # tell clients to quit
            done_partitioner.set()  # tell partitioner to quit

            if partitions:
                ch_partitioner.take(cfg)
                # Reconnect the network and submit a request. A client may have submitted a
                # request in a minority; it won't return until that server discovers a new
                # term has started.
                cfg.connect_all()
                # Wait for a while so that we have a new term.
                runtime.sleep(ELECTION_TIMEOUT_S)

            if crash:
                for i in range(nservers):
                    cfg.shutdown_server(i)
                # Wait for a while for servers to shut down, since shutdown isn't a real
                # crash and isn't instantaneous.
                runtime.sleep(ELECTION_TIMEOUT_S)
                # Crash and restart all.
                for i in range(nservers):
                    cfg.start_server(i)
                cfg.connect_all()

            for i in range(nclients):
                j = clnts[i].take(cfg)
                key = str(i)
                v = get(cfg, ck, key, op_log, 0)
                if not randomkeys:
                    check_clnt_appends(i, v, j)

            if maxraftstate > 0:
                # Check the maximum after the servers have processed all client requests and
                # had time to checkpoint.
                sz = cfg.log_size()
                if sz > 8 * maxraftstate:
                    fatal(f"logs were not trimmed ({sz} > 8*{maxraftstate})")
            if maxraftstate < 0:
                # Check that snapshots are not used.
                ssz = cfg.snapshot_size()
                if ssz > 0:
                    fatal(f"snapshot too large ({ssz}), should not be used when maxraftstate = {maxraftstate}")

        check_linearizable(op_log)
        cfg.end()


def generic_test_speed(part: str, maxraftstate: int) -> None:
    """Ops must commit faster than one per heartbeat interval."""
    nservers = 3
    num_ops = 1000
    with make_config(nservers, False, maxraftstate) as cfg:
        ck = cfg.make_client(cfg.all())
        cfg.begin(f"Test: ops complete fast enough ({part})")

        # Wait until the first op completes, so we know a leader is elected and the KV
        # servers are ready to process client requests.
        ck.get("x")

        start = runtime.now()
        for i in range(num_ops):
            ck.append("x", f"x 0 {i} y")
        dur = runtime.now() - start

        v = ck.get("x")
        check_clnt_appends(0, v, num_ops)

        # The heartbeat interval should be about 100 ms; require at least 3 ops per interval.
        heartbeat_interval = 0.100
        ops_per_interval = 3
        time_per_op = heartbeat_interval / ops_per_interval
        debug.log("TEST", f"speed: {num_ops} appends in {dur:.2f} s, {dur / num_ops * 1000:.2f} ms/op")
        if dur > num_ops * time_per_op:
            fatal(f"Operations completed too slowly {dur / num_ops * 1000:.3f}ms/op > {time_per_op * 1000:.3f}ms/op")
        cfg.end()


# --- 3A -----------------------------------------------------------------------------------


def test_basic_3a() -> None:
    # Test: one client (3A) ...
    generic_test("3A", 1, 5, False, False, False, -1, False)


def test_speed_3a() -> None:
    generic_test_speed("3A", -1)


def test_concurrent_3a() -> None:
    # Test: many clients (3A) ...
    generic_test("3A", 5, 5, False, False, False, -1, False)


def test_unreliable_3a() -> None:
    # Test: unreliable net, many clients (3A) ...
    generic_test("3A", 5, 5, True, False, False, -1, False)


def test_unreliable_one_key_3a() -> None:
    nservers = 3
    with make_config(nservers, True, -1) as cfg:
        ck = cfg.make_client(cfg.all())
        cfg.begin("Test: concurrent append to same key, unreliable (3A)")

        put(cfg, ck, "k", "", None, -1)

        nclient = 5
        upto = 10

        def client(me: int, myck: Clerk) -> None:
            for n in range(upto):
                append(cfg, myck, "k", f"x {me} {n} y", None, -1)

        spawn_clients_and_wait(cfg, nclient, client)

        counts = [upto] * nclient
        vx = get(cfg, ck, "k", None, -1)
        check_concurrent_appends(vx, counts)
        cfg.end()


def test_one_partition_3a() -> None:
    """Submit a request in the minority partition and check that it doesn't go through
    until the partition heals. The leader in the original network ends up in the minority."""
    nservers = 5
    with make_config(nservers, False, -1) as cfg:
        ck = cfg.make_client(cfg.all())

        put(cfg, ck, "1", "13", None, -1)

        cfg.begin("Test: progress in majority (3A)")

        p1, p2 = cfg.make_partition()
        cfg.partition(p1, p2)

        ckp1 = cfg.make_client(p1)  # connect ckp1 to p1
        ckp2a = cfg.make_client(p2)  # connect ckp2a to p2
        ckp2b = cfg.make_client(p2)  # connect ckp2b to p2

        put(cfg, ckp1, "1", "14", None, -1)
        check(cfg, ckp1, "1", "14")

        cfg.end()

        done0 = runtime.Event()  # the minority Put finished
        done1 = runtime.Event()  # the minority Get finished
        either = runtime.Event()  # one of them did (Go selects on both channels)

        def minority_put() -> None:
            try:
                put(cfg, ckp2a, "1", "15", None, -1)
            except ClerkClosed:
                return
            done0.set()
            either.set()

        def minority_get() -> None:
            try:
                get(cfg, ckp2b, "1", None, -1)  # different clerk in p2
            except ClerkClosed:
                return
            done1.set()
            either.set()

        cfg.begin("Test: no progress in minority (3A)")
        runtime.go(minority_put, name="kv-minority-put")
        runtime.go(minority_get, name="kv-minority-get")

        either.wait(1.0)
        if done0.is_set():
            fatal("Put in minority completed")
        if done1.is_set():
            fatal("Get in minority completed")

        check(cfg, ckp1, "1", "14")
        put(cfg, ckp1, "1", "16", None, -1)
        check(cfg, ckp1, "1", "16")

        cfg.end()

        cfg.begin("Test: completion after heal (3A)")

        cfg.connect_all()
        cfg.connect_client(ckp2a, cfg.all())
        cfg.connect_client(ckp2b, cfg.all())

        runtime.sleep(ELECTION_TIMEOUT_S)

        if not done0.wait(30 * 0.100):
            fatal("Put did not complete")
        # The course waits for the Get in a select with a default branch, so it does not
        # really wait: a Get still running here is not a failure.

        check(cfg, ck, "1", "15")

        cfg.end()


def test_many_partitions_one_client_3a() -> None:
    # Test: partitions, one client (3A) ...
    generic_test("3A", 1, 5, False, False, True, -1, False)


def test_many_partitions_many_clients_3a() -> None:
    # Test: partitions, many clients (3A) ...
    generic_test("3A", 5, 5, False, False, True, -1, False)


def test_persist_one_client_3a() -> None:
    # Test: restarts, one client (3A) ...
    generic_test("3A", 1, 5, False, True, False, -1, False)


def test_persist_concurrent_3a() -> None:
    # Test: restarts, many clients (3A) ...
    generic_test("3A", 5, 5, False, True, False, -1, False)


def test_persist_concurrent_unreliable_3a() -> None:
    # Test: unreliable net, restarts, many clients (3A) ...
    generic_test("3A", 5, 5, True, True, False, -1, False)


def test_persist_partition_3a() -> None:
    # Test: restarts, partitions, many clients (3A) ...
    generic_test("3A", 5, 5, False, True, True, -1, False)


def test_persist_partition_unreliable_3a() -> None:
    # Test: unreliable net, restarts, partitions, many clients (3A) ...
    generic_test("3A", 5, 5, True, True, True, -1, False)


def test_persist_partition_unreliable_linearizable_3a() -> None:
    # Test: unreliable net, restarts, partitions, random keys, many clients (3A) ...
    generic_test("3A", 15, 7, True, True, True, -1, True)


# --- 3B -----------------------------------------------------------------------------------


def test_snapshot_rpc_3b() -> None:
    """If one server falls behind and then rejoins, does it recover through the
    InstallSnapshot RPC? Also checks that the majority discards committed log entries even
    if the minority doesn't respond."""
    nservers = 3
    maxraftstate = 1000
    with make_config(nservers, False, maxraftstate) as cfg:
        ck = cfg.make_client(cfg.all())

        cfg.begin("Test: InstallSnapshot RPC (3B)")

        put(cfg, ck, "a", "A", None, -1)
        check(cfg, ck, "a", "A")

        # A bunch of puts into the majority partition.
        cfg.partition([0, 1], [2])
        ck1 = cfg.make_client([0, 1])
        for i in range(50):
            put(cfg, ck1, str(i), str(i), None, -1)
        runtime.sleep(ELECTION_TIMEOUT_S)
        put(cfg, ck1, "b", "B", None, -1)

        # Check that the majority partition has thrown away most of its log entries.
        sz = cfg.log_size()
        if sz > 8 * maxraftstate:
            fatal(f"logs were not trimmed ({sz} > 8*{maxraftstate})")

        # Now make a group that requires the participation of the lagging server, so that
        # it has to catch up.
        cfg.partition([0, 2], [1])
        ck1 = cfg.make_client([0, 2])
        put(cfg, ck1, "c", "C", None, -1)
        put(cfg, ck1, "d", "D", None, -1)
        check(cfg, ck1, "a", "A")
        check(cfg, ck1, "b", "B")
        check(cfg, ck1, "1", "1")
        check(cfg, ck1, "49", "49")

        # Now everybody.
        cfg.partition([0, 1, 2], [])

        put(cfg, ck, "e", "E", None, -1)
        check(cfg, ck, "c", "C")
        check(cfg, ck, "e", "E")
        check(cfg, ck, "1", "1")

        cfg.end()


def test_snapshot_size_3b() -> None:
    """Are the snapshots not too huge? 500 bytes is a generous bound for these operations."""
    nservers = 3
    maxraftstate = 1000
    maxsnapshotstate = 500
    with make_config(nservers, False, maxraftstate) as cfg:
        ck = cfg.make_client(cfg.all())

        cfg.begin("Test: snapshot size is reasonable (3B)")

        for _ in range(200):
            put(cfg, ck, "x", "0", None, -1)
            check(cfg, ck, "x", "0")
            put(cfg, ck, "x", "1", None, -1)
            check(cfg, ck, "x", "1")

        # Check that the servers have thrown away most of their log entries.
        sz = cfg.log_size()
        if sz > 8 * maxraftstate:
            fatal(f"logs were not trimmed ({sz} > 8*{maxraftstate})")

        # Check that the snapshots are not unreasonably large.
        ssz = cfg.snapshot_size()
        if ssz > maxsnapshotstate:
            fatal(f"snapshot too large ({ssz} > {maxsnapshotstate})")

        cfg.end()


def test_speed_3b() -> None:
    generic_test_speed("3B", 1000)


def test_snapshot_recover_3b() -> None:
    # Test: restarts, snapshots, one client (3B) ...
    generic_test("3B", 1, 5, False, True, False, 1000, False)


def test_snapshot_recover_many_clients_3b() -> None:
    # Test: restarts, snapshots, many clients (3B) ...
    generic_test("3B", 20, 5, False, True, False, 1000, False)


def test_snapshot_unreliable_3b() -> None:
    # Test: unreliable net, snapshots, many clients (3B) ...
    generic_test("3B", 5, 5, True, False, False, 1000, False)


def test_snapshot_unreliable_recover_3b() -> None:
    # Test: unreliable net, restarts, snapshots, many clients (3B) ...
    generic_test("3B", 5, 5, True, True, False, 1000, False)


def test_snapshot_unreliable_recover_concurrent_partition_3b() -> None:
    # Test: unreliable net, restarts, partitions, snapshots, many clients (3B) ...
    generic_test("3B", 5, 5, True, True, True, 1000, False)


def test_snapshot_unreliable_recover_concurrent_partition_linearizable_3b() -> None:
    # Test: unreliable net, restarts, partitions, snapshots, random keys, many clients (3B) ...
    generic_test("3B", 15, 7, True, True, True, 1000, True)
