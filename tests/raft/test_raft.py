"""The course's raft/test_test.go (Spring 2022), ported one to one: same names in snake_case,
same servers, reliability, iterations, sleeps, timeouts and bounds.

The tester is tests/raft/config.py. Run one part as ``pytest -k 2A -s`` (``-s`` shows the
course's "Test (2A): ..." and "  ... Passed --" lines); PY6824_DEBUG=1 adds every peer's log
and the tester's TEST lines to stderr.
"""

from __future__ import annotations

import pytest

import runtime
from labrpc import debug
from tests.raft.config import SNAP_SHOT_INTERVAL, fatal, make_config, rand_int, randstring

# The tester generously allows solutions to complete elections in one second
# (much more than the paper's range of timeouts).
RAFT_ELECTION_TIMEOUT = 1.000

# 2D: the largest Raft state (bytes) a peer may persist between snapshots.
MAXLOGSIZE = 2000


class _Retry(Exception):
    """One try of a retried phase saw the term move on (the course's ``continue loop``)."""


def test_initial_election_2a() -> None:
    servers = 3
    with make_config(servers, False, False) as cfg:
        cfg.begin("Test (2A): initial election")

        # is a leader elected?
        cfg.check_one_leader()

        # sleep a bit to avoid racing with followers learning of the
        # election, then check that all peers agree on the term.
        runtime.sleep(0.050)
        term1 = cfg.check_terms()
        if term1 < 1:
            fatal(f"term is {term1}, but should be at least 1")

        # does the leader+term stay the same if there is no network failure?
        runtime.sleep(2 * RAFT_ELECTION_TIMEOUT)
        term2 = cfg.check_terms()
        if term1 != term2:
            print("warning: term changed even though there were no failures", flush=True)

        # there should still be a leader.
        cfg.check_one_leader()

        cfg.end()


def test_re_election_2a() -> None:
    servers = 3
    with make_config(servers, False, False) as cfg:
        cfg.begin("Test (2A): election after network failure")

        leader1 = cfg.check_one_leader()

        # if the leader disconnects, a new one should be elected.
        cfg.disconnect(leader1)
        cfg.check_one_leader()

        # if the old leader rejoins, that shouldn't
        # disturb the new leader. and the old leader
        # should switch to follower.
        cfg.connect(leader1)
        leader2 = cfg.check_one_leader()

        # if there's no quorum, no new leader should
        # be elected.
        cfg.disconnect(leader2)
        cfg.disconnect((leader2 + 1) % servers)
        runtime.sleep(2 * RAFT_ELECTION_TIMEOUT)

        # check that the one connected server
        # does not think it is the leader.
        cfg.check_no_leader()

        # if a quorum arises, it should elect a leader.
        cfg.connect((leader2 + 1) % servers)
        cfg.check_one_leader()

        # re-join of last node shouldn't prevent leader from existing.
        cfg.connect(leader2)
        cfg.check_one_leader()

        cfg.end()


def test_many_elections_2a() -> None:
    servers = 7
    with make_config(servers, False, False) as cfg:
        cfg.begin("Test (2A): multiple elections")

        cfg.check_one_leader()

        iters = 10
        for _ in range(1, iters):
            # disconnect three nodes
            i1 = runtime.randrange(servers)
            i2 = runtime.randrange(servers)
            i3 = runtime.randrange(servers)
            cfg.disconnect(i1)
            cfg.disconnect(i2)
            cfg.disconnect(i3)

            # either the current leader should still be alive,
            # or the remaining four should elect a new one.
            cfg.check_one_leader()

            cfg.connect(i1)
            cfg.connect(i2)
            cfg.connect(i3)

        cfg.check_one_leader()

        cfg.end()


def test_basic_agree_2b() -> None:
    servers = 3
    with make_config(servers, False, False) as cfg:
        cfg.begin("Test (2B): basic agreement")

        iters = 3
        for index in range(1, iters + 1):
            nd, _ = cfg.n_committed(index)
            if nd > 0:
                fatal("some have committed before Start()")

            xindex = cfg.one(index * 100, servers, False)
            if xindex != index:
                fatal(f"got index {xindex} but expected {index}")

        cfg.end()


def test_rpc_bytes_2b() -> None:
    """Check, based on counting bytes of RPCs, that each command is sent to each peer just once."""
    servers = 3
    with make_config(servers, False, False) as cfg:
        cfg.begin("Test (2B): RPC byte count")

        cfg.one(99, servers, False)
        bytes0 = cfg.bytes_total()

        iters = 10
        sent = 0
        for index in range(2, iters + 2):
            cmd = randstring(5000)
            xindex = cfg.one(cmd, servers, False)
            if xindex != index:
                fatal(f"got index {xindex} but expected {index}")
            sent += len(cmd)

        bytes1 = cfg.bytes_total()
        got = bytes1 - bytes0
        expected = servers * sent
        if got > expected + 50000:
            fatal(f"too many RPC bytes; got {got}, expected {expected}")

        cfg.end()


@pytest.mark.skip(
    reason="For2023TestFollowerFailure2B: disabled in the 2022 test_test.go; go test runs only "
    "functions named Test*, so the For2023 prefix keeps it from running"
)
def test_follower_failure_2b() -> None:
    """Test just failure of followers."""
    servers = 3
    with make_config(servers, False, False) as cfg:
        cfg.begin("Test (2B): test progressive failure of followers")

        cfg.one(101, servers, False)

        # disconnect one follower from the network.
        leader1 = cfg.check_one_leader()
        cfg.disconnect((leader1 + 1) % servers)

        # the leader and remaining follower should be
        # able to agree despite the disconnected follower.
        cfg.one(102, servers - 1, False)
        runtime.sleep(RAFT_ELECTION_TIMEOUT)
        cfg.one(103, servers - 1, False)

        # disconnect the remaining follower
        leader2 = cfg.check_one_leader()
        cfg.disconnect((leader2 + 1) % servers)
        cfg.disconnect((leader2 + 2) % servers)

        # submit a command.
        index, _, ok = cfg.rafts[leader2].start(104)
        if not ok:
            fatal("leader rejected Start()")
        if index != 4:
            fatal(f"expected index 4, got {index}")

        runtime.sleep(2 * RAFT_ELECTION_TIMEOUT)

        # check that command 104 did not commit.
        n, _ = cfg.n_committed(index)
        if n > 0:
            fatal(f"{n} committed but no majority")

        cfg.end()


@pytest.mark.skip(
    reason="For2023TestLeaderFailure2B: disabled in the 2022 test_test.go; go test runs only "
    "functions named Test*, so the For2023 prefix keeps it from running"
)
def test_leader_failure_2b() -> None:
    """Test just failure of leaders."""
    servers = 3
    with make_config(servers, False, False) as cfg:
        cfg.begin("Test (2B): test failure of leaders")

        cfg.one(101, servers, False)

        # disconnect the first leader.
        leader1 = cfg.check_one_leader()
        cfg.disconnect(leader1)

        # the remaining followers should elect
        # a new leader.
        cfg.one(102, servers - 1, False)
        runtime.sleep(RAFT_ELECTION_TIMEOUT)
        cfg.one(103, servers - 1, False)

        # disconnect the new leader.
        leader2 = cfg.check_one_leader()
        cfg.disconnect(leader2)

        # submit a command to each server.
        for i in range(servers):
            cfg.rafts[i].start(104)

        runtime.sleep(2 * RAFT_ELECTION_TIMEOUT)

        # check that command 104 did not commit.
        n, _ = cfg.n_committed(4)
        if n > 0:
            fatal(f"{n} committed but no majority")

        cfg.end()


def test_fail_agree_2b() -> None:
    """Test that a follower participates after disconnect and re-connect."""
    servers = 3
    with make_config(servers, False, False) as cfg:
        cfg.begin("Test (2B): agreement after follower reconnects")

        cfg.one(101, servers, False)

        # disconnect one follower from the network.
        leader = cfg.check_one_leader()
        cfg.disconnect((leader + 1) % servers)

        # the leader and remaining follower should be
        # able to agree despite the disconnected follower.
        cfg.one(102, servers - 1, False)
        cfg.one(103, servers - 1, False)
        runtime.sleep(RAFT_ELECTION_TIMEOUT)
        cfg.one(104, servers - 1, False)
        cfg.one(105, servers - 1, False)

        # re-connect
        cfg.connect((leader + 1) % servers)

        # the full set of servers should preserve
        # previous agreements, and be able to agree
        # on new commands.
        cfg.one(106, servers, True)
        runtime.sleep(RAFT_ELECTION_TIMEOUT)
        cfg.one(107, servers, True)

        cfg.end()


def test_fail_no_agree_2b() -> None:
    servers = 5
    with make_config(servers, False, False) as cfg:
        cfg.begin("Test (2B): no agreement if too many followers disconnect")

        cfg.one(10, servers, False)

        # 3 of 5 followers disconnect
        leader = cfg.check_one_leader()
        cfg.disconnect((leader + 1) % servers)
        cfg.disconnect((leader + 2) % servers)
        cfg.disconnect((leader + 3) % servers)

        index, _, ok = cfg.rafts[leader].start(20)
        debug.log("TEST", f"start(20) on S{leader} -> index {index} ok={ok}")
        if not ok:
            fatal("leader rejected Start()")
        if index != 2:
            fatal(f"expected index 2, got {index}")

        runtime.sleep(2 * RAFT_ELECTION_TIMEOUT)

        n, _ = cfg.n_committed(index)
        if n > 0:
            fatal(f"{n} committed but no majority")

        # repair
        cfg.connect((leader + 1) % servers)
        cfg.connect((leader + 2) % servers)
        cfg.connect((leader + 3) % servers)

        # the disconnected majority may have chosen a leader from
        # among their own ranks, forgetting index 2.
        leader2 = cfg.check_one_leader()
        index2, _, ok2 = cfg.rafts[leader2].start(30)
        debug.log("TEST", f"start(30) on S{leader2} -> index {index2} ok={ok2}")
        if not ok2:
            fatal("leader2 rejected Start()")
        if index2 < 2 or index2 > 3:
            fatal(f"unexpected index {index2}")

        cfg.one(1000, servers, True)

        cfg.end()


def test_concurrent_starts_2b() -> None:
    servers = 3
    with make_config(servers, False, False) as cfg:
        cfg.begin("Test (2B): concurrent Start()s")

        def attempt() -> None:
            """One try; raises _Retry where the course says ``continue loop``."""
            leader = cfg.check_one_leader()
            _, term, ok = cfg.rafts[leader].start(1)
            if not ok:
                # leader moved on really quickly
                raise _Retry

            iters = 5
            mu = runtime.Lock()
            indexes: list[int] = []  # the course's buffered channel "is"

            def starter(i: int) -> None:
                index, term1, ok1 = cfg.rafts[leader].start(100 + i)
                debug.log("TEST", f"start({100 + i}) on S{leader} -> index {index} term {term1} ok={ok1}")
                if term1 != term:
                    return
                if not ok1:
                    return
                with mu:
                    indexes.append(index)

            threads = [runtime.go(starter, ii, name=f"test-starter-{ii}") for ii in range(iters)]
            for thread in threads:
                thread.join()

            for j in range(servers):
                t, _ = cfg.rafts[j].get_state()
                if t != term:
                    # term changed -- can't expect low RPC counts
                    raise _Retry

            cmds: list[int] = []
            for index in indexes:
                cmd = cfg.wait(index, servers, term)
                if isinstance(cmd, int) and not isinstance(cmd, bool):
                    if cmd == -1:
                        # peers have moved on to later terms
                        # so we can't expect all Start()s to
                        # have succeeded
                        raise _Retry
                    cmds.append(cmd)
                else:
                    fatal(f"value {cmd} is not an int")

            for ii in range(iters):
                x = 100 + ii
                if x not in cmds:
                    fatal(f"cmd {x} missing in {cmds}")

        success = False
        for attempt_no in range(5):
            if attempt_no > 0:
                # give solution some time to settle
                runtime.sleep(3)
            try:
                attempt()
            except _Retry:
                debug.log("TEST", f"concurrent starts: try {attempt_no} saw the term change")
                continue
            success = True
            break

        if not success:
            fatal("term changed too often")

        cfg.end()


def test_rejoin_2b() -> None:
    servers = 3
    with make_config(servers, False, False) as cfg:
        cfg.begin("Test (2B): rejoin of partitioned leader")

        cfg.one(101, servers, True)

        # leader network failure
        leader1 = cfg.check_one_leader()
        cfg.disconnect(leader1)

        # make old leader try to agree on some entries
        debug.log("TEST", f"start(102), start(103), start(104) on the partitioned S{leader1}")
        cfg.rafts[leader1].start(102)
        cfg.rafts[leader1].start(103)
        cfg.rafts[leader1].start(104)

        # new leader commits, also for index=2
        cfg.one(103, 2, True)

        # new leader network failure
        leader2 = cfg.check_one_leader()
        cfg.disconnect(leader2)

        # old leader connected again
        cfg.connect(leader1)

        cfg.one(104, 2, True)

        # all together now
        cfg.connect(leader2)

        cfg.one(105, servers, True)

        cfg.end()


def test_backup_2b() -> None:
    servers = 5
    with make_config(servers, False, False) as cfg:
        cfg.begin("Test (2B): leader backs up quickly over incorrect follower logs")

        cfg.one(rand_int(), servers, True)

        # put leader and one follower in a partition
        leader1 = cfg.check_one_leader()
        cfg.disconnect((leader1 + 2) % servers)
        cfg.disconnect((leader1 + 3) % servers)
        cfg.disconnect((leader1 + 4) % servers)

        # submit lots of commands that won't commit
        debug.log("TEST", f"50 starts on S{leader1}, which cannot commit")
        for _ in range(50):
            cfg.rafts[leader1].start(rand_int())

        runtime.sleep(RAFT_ELECTION_TIMEOUT / 2)

        cfg.disconnect((leader1 + 0) % servers)
        cfg.disconnect((leader1 + 1) % servers)

        # allow other partition to recover
        cfg.connect((leader1 + 2) % servers)
        cfg.connect((leader1 + 3) % servers)
        cfg.connect((leader1 + 4) % servers)

        # lots of successful commands to new group.
        for _ in range(50):
            cfg.one(rand_int(), 3, True)

        # now another partitioned leader and one follower
        leader2 = cfg.check_one_leader()
        other = (leader1 + 2) % servers
        if leader2 == other:
            other = (leader2 + 1) % servers
        cfg.disconnect(other)

        # lots more commands that won't commit
        debug.log("TEST", f"50 starts on S{leader2}, which cannot commit")
        for _ in range(50):
            cfg.rafts[leader2].start(rand_int())

        runtime.sleep(RAFT_ELECTION_TIMEOUT / 2)

        # bring original leader back to life,
        for i in range(servers):
            cfg.disconnect(i)
        cfg.connect((leader1 + 0) % servers)
        cfg.connect((leader1 + 1) % servers)
        cfg.connect(other)

        # lots of successful commands to new group.
        for _ in range(50):
            cfg.one(rand_int(), 3, True)

        # now everyone
        for i in range(servers):
            cfg.connect(i)
        cfg.one(rand_int(), servers, True)

        cfg.end()


def test_count_2b() -> None:
    servers = 3
    with make_config(servers, False, False) as cfg:
        cfg.begin("Test (2B): RPC counts aren't too high")

        def rpcs() -> int:
            """RPCs delivered to the servers (their dispatch counts, not the network total)."""
            return sum(cfg.rpc_count(j) for j in range(servers))

        cfg.check_one_leader()

        total1 = rpcs()

        if total1 > 30 or total1 < 1:
            fatal(f"too many or few RPCs ({total1}) to elect initial leader")

        def attempt() -> int:
            """One try; returns total2, or raises _Retry where the course says ``continue loop``."""
            leader = cfg.check_one_leader()
            total1 = rpcs()

            iters = 10
            starti, term, ok = cfg.rafts[leader].start(1)
            if not ok:
                # leader moved on really quickly
                raise _Retry
            cmds: list[int] = []
            for i in range(1, iters + 2):
                x = runtime.randbits(31)
                cmds.append(x)
                index1, term1, ok = cfg.rafts[leader].start(x)
                if term1 != term:
                    # term changed while starting
                    raise _Retry
                if not ok:
                    # no longer the leader, so term has changed
                    raise _Retry
                if starti + i != index1:
                    fatal("Start() failed")

            for i in range(1, iters + 1):
                cmd = cfg.wait(starti + i, servers, term)
                if not isinstance(cmd, int) or cmd != cmds[i - 1]:
                    if cmd == -1:
                        # term changed -- try again
                        raise _Retry
                    fatal(f"wrong value {cmd} committed for index {starti + i}; expected {cmds}")

            failed = False
            total2 = 0
            for j in range(servers):
                t, _ = cfg.rafts[j].get_state()
                if t != term:
                    # term changed -- can't expect low RPC counts
                    # need to keep going to update total2
                    failed = True
                total2 += cfg.rpc_count(j)

            if failed:
                raise _Retry

            debug.log("TEST", f"count: {total2 - total1} RPCs for {iters} entries")
            if total2 - total1 > (iters + 1 + 3) * 3:
                fatal(f"too many RPCs ({total2 - total1}) for {iters} entries")
            return total2

        total2 = 0
        success = False
        for attempt_no in range(5):
            if attempt_no > 0:
                # give solution some time to settle
                runtime.sleep(3)
            try:
                total2 = attempt()
            except _Retry:
                debug.log("TEST", f"count: try {attempt_no} saw the term change")
                continue
            success = True
            break

        if not success:
            fatal("term changed too often")

        runtime.sleep(RAFT_ELECTION_TIMEOUT)

        total3 = 0
        for j in range(servers):
            total3 += cfg.rpc_count(j)

        debug.log("TEST", f"count: {total3 - total2} RPCs in 1 s of idleness")
        if total3 - total2 > 3 * 20:
            fatal(f"too many RPCs ({total3 - total2}) for 1 second of idleness")

        cfg.end()


def test_persist1_2c() -> None:
    servers = 3
    with make_config(servers, False, False) as cfg:
        cfg.begin("Test (2C): basic persistence")

        cfg.one(11, servers, True)

        # crash and re-start all
        for i in range(servers):
            cfg.start1(i, cfg.applier)
        for i in range(servers):
            cfg.disconnect(i)
            cfg.connect(i)

        cfg.one(12, servers, True)

        leader1 = cfg.check_one_leader()
        cfg.disconnect(leader1)
        cfg.start1(leader1, cfg.applier)
        cfg.connect(leader1)

        cfg.one(13, servers, True)

        leader2 = cfg.check_one_leader()
        cfg.disconnect(leader2)
        cfg.one(14, servers - 1, True)
        cfg.start1(leader2, cfg.applier)
        cfg.connect(leader2)

        cfg.wait(4, servers, -1)  # wait for leader2 to join before killing i3

        i3 = (cfg.check_one_leader() + 1) % servers
        cfg.disconnect(i3)
        cfg.one(15, servers - 1, True)
        cfg.start1(i3, cfg.applier)
        cfg.connect(i3)

        cfg.one(16, servers, True)

        cfg.end()


def test_persist2_2c() -> None:
    servers = 5
    with make_config(servers, False, False) as cfg:
        cfg.begin("Test (2C): more persistence")

        index = 1
        for _ in range(5):
            cfg.one(10 + index, servers, True)
            index += 1

            leader1 = cfg.check_one_leader()

            cfg.disconnect((leader1 + 1) % servers)
            cfg.disconnect((leader1 + 2) % servers)

            cfg.one(10 + index, servers - 2, True)
            index += 1

            cfg.disconnect((leader1 + 0) % servers)
            cfg.disconnect((leader1 + 3) % servers)
            cfg.disconnect((leader1 + 4) % servers)

            cfg.start1((leader1 + 1) % servers, cfg.applier)
            cfg.start1((leader1 + 2) % servers, cfg.applier)
            cfg.connect((leader1 + 1) % servers)
            cfg.connect((leader1 + 2) % servers)

            runtime.sleep(RAFT_ELECTION_TIMEOUT)

            cfg.start1((leader1 + 3) % servers, cfg.applier)
            cfg.connect((leader1 + 3) % servers)

            cfg.one(10 + index, servers - 2, True)
            index += 1

            cfg.connect((leader1 + 4) % servers)
            cfg.connect((leader1 + 0) % servers)

        cfg.one(1000, servers, True)

        cfg.end()


def test_persist3_2c() -> None:
    servers = 3
    with make_config(servers, False, False) as cfg:
        cfg.begin("Test (2C): partitioned leader and one follower crash, leader restarts")

        cfg.one(101, 3, True)

        leader = cfg.check_one_leader()
        cfg.disconnect((leader + 2) % servers)

        cfg.one(102, 2, True)

        cfg.crash1((leader + 0) % servers)
        cfg.crash1((leader + 1) % servers)
        cfg.connect((leader + 2) % servers)
        cfg.start1((leader + 0) % servers, cfg.applier)
        cfg.connect((leader + 0) % servers)

        cfg.one(103, 2, True)

        cfg.start1((leader + 1) % servers, cfg.applier)
        cfg.connect((leader + 1) % servers)

        cfg.one(104, servers, True)

        cfg.end()


def _figure8_sleep() -> None:
    """Figure 8's pause: with 10% probability up to half an election timeout, else 0-12 ms."""
    if runtime.randrange(1000) < 100:
        ms = runtime.randrange(int(RAFT_ELECTION_TIMEOUT * 1000) // 2)
    else:
        ms = runtime.randrange(13)
    runtime.sleep(ms / 1000)


def test_figure8_2c() -> None:
    """Test the scenarios described in Figure 8 of the extended Raft paper.

    Each iteration asks a leader, if there is one, to insert a command in the Raft log. If
    there is a leader, that leader will fail quickly with a high probability (perhaps without
    committing the command), or crash after a while with low probability (most likely
    committing the command). If the number of alive servers isn't enough to form a majority,
    perhaps start a new server. The leader in a new term may try to finish replicating log
    entries that haven't been committed yet.
    """
    servers = 5
    with make_config(servers, False, False) as cfg:
        cfg.begin("Test (2C): Figure 8")

        cfg.one(rand_int(), 1, True)

        nup = servers
        for _ in range(1000):
            leader = -1
            for i in range(servers):
                rf = cfg.rafts[i]
                if rf is not None:
                    _, _, ok = rf.start(rand_int())
                    if ok:
                        leader = i

            _figure8_sleep()

            if leader != -1:
                cfg.crash1(leader)
                nup -= 1

            if nup < 3:
                s = runtime.randrange(servers)
                if cfg.rafts[s] is None:
                    cfg.start1(s, cfg.applier)
                    cfg.connect(s)
                    nup += 1

        for i in range(servers):
            if cfg.rafts[i] is None:
                cfg.start1(i, cfg.applier)
                cfg.connect(i)

        cfg.one(rand_int(), servers, True)

        cfg.end()


def test_unreliable_agree_2c() -> None:
    servers = 5
    with make_config(servers, True, False) as cfg:
        cfg.begin("Test (2C): unreliable agreement")

        threads = []  # the course's WaitGroup
        for iters in range(1, 50):
            for j in range(4):
                threads.append(runtime.go(cfg.one, 100 * iters + j, 1, True, name=f"test-one-{iters}-{j}"))
            cfg.one(iters, 1, True)

        cfg.set_unreliable(False)

        for thread in threads:
            thread.join()

        cfg.one(100, servers, True)

        cfg.end()


def test_figure8_unreliable_2c() -> None:
    servers = 5
    with make_config(servers, True, False) as cfg:
        cfg.begin("Test (2C): Figure 8 (unreliable)")

        cfg.one(runtime.randrange(10000), 1, True)

        nup = servers
        for iters in range(1000):
            if iters == 200:
                cfg.set_long_reordering(True)
            leader = -1
            for i in range(servers):
                _, _, ok = cfg.rafts[i].start(runtime.randrange(10000))
                if ok and cfg.connected[i]:
                    leader = i

            _figure8_sleep()

            if leader != -1 and runtime.randrange(1000) < int(RAFT_ELECTION_TIMEOUT * 1000) // 2:
                cfg.disconnect(leader)
                nup -= 1

            if nup < 3:
                s = runtime.randrange(servers)
                if not cfg.connected[s]:
                    cfg.connect(s)
                    nup += 1

        for i in range(servers):
            if not cfg.connected[i]:
                cfg.connect(i)

        # Still unreliable, with long reordering on: the course never switches them back.
        cfg.one(runtime.randrange(10000), servers, True)

        cfg.end()


def internal_churn(unreliable: bool) -> None:
    servers = 5
    with make_config(servers, unreliable, False) as cfg:
        if unreliable:
            cfg.begin("Test (2C): unreliable churn")
        else:
            cfg.begin("Test (2C): churn")

        stop = runtime.Event()

        # create concurrent clients
        ncli = 3
        results: list[list[int] | None] = [None] * ncli  # the course's cha[me]
        done = [runtime.Event() for _ in range(ncli)]

        def cfn(me: int) -> None:
            ret: list[int] | None = None
            try:
                values: list[int] = []
                # Deviation: also stop once cleanup() ran, so a failed test leaves no client behind.
                while not stop.is_set() and not cfg.check_finished():
                    x = rand_int()
                    index = -1
                    ok = False
                    for i in range(servers):
                        # try them all, maybe one of them is a leader
                        with cfg.mu:
                            rf = cfg.rafts[i]
                        if rf is not None:
                            index1, _, ok1 = rf.start(x)
                            if ok1:
                                ok = ok1
                                index = index1
                    if ok:
                        # maybe leader will commit our value, maybe not.
                        # but don't wait forever.
                        for to in (10, 20, 50, 100, 200):
                            nd, cmd = cfg.n_committed(index)
                            if nd > 0:
                                if isinstance(cmd, int) and not isinstance(cmd, bool):
                                    if cmd == x:
                                        values.append(x)
                                else:
                                    fatal("wrong command type")
                                break
                            runtime.sleep(to / 1000)
                    else:
                        runtime.sleep((79 + me * 17) / 1000)
                ret = values
            finally:
                # The course's ``defer func() { ch <- ret }()``: nil tells the test it failed.
                results[me] = ret
                done[me].set()

        for i in range(ncli):
            runtime.go(cfn, i, name=f"test-churn-client-{i}")

        for _ in range(20):
            if runtime.randrange(1000) < 200:
                i = runtime.randrange(servers)
                cfg.disconnect(i)

            if runtime.randrange(1000) < 500:
                i = runtime.randrange(servers)
                if cfg.rafts[i] is None:
                    cfg.start1(i, cfg.applier)
                cfg.connect(i)

            if runtime.randrange(1000) < 200:
                i = runtime.randrange(servers)
                if cfg.rafts[i] is not None:
                    cfg.crash1(i)

            # Make crash/restart infrequent enough that the peers can often
            # keep up, but not so infrequent that everything has settled
            # down from one change to the next. Pick a value smaller than
            # the election timeout, but not hugely smaller.
            runtime.sleep(RAFT_ELECTION_TIMEOUT * 7 / 10)

        runtime.sleep(RAFT_ELECTION_TIMEOUT)
        cfg.set_unreliable(False)
        for i in range(servers):
            if cfg.rafts[i] is None:
                cfg.start1(i, cfg.applier)
            cfg.connect(i)

        stop.set()

        values: list[int] = []
        for i in range(ncli):
            done[i].wait()
            vv = results[i]
            if vv is None:
                fatal("client failed")
            values.extend(vv)

        runtime.sleep(RAFT_ELECTION_TIMEOUT)

        last_index = cfg.one(rand_int(), servers, True)

        # The course's quirk, kept: "really" starts with last_index + 1 zeros.
        really = [0] * (last_index + 1)
        for index in range(1, last_index + 1):
            v = cfg.wait(index, servers, -1)
            if isinstance(v, int) and not isinstance(v, bool):
                really.append(v)
            else:
                fatal("not an int")

        for v1 in values:
            if v1 not in really:
                fatal("didn't find a value")

        cfg.end()


def test_reliable_churn_2c() -> None:
    internal_churn(False)


def test_unreliable_churn_2c() -> None:
    internal_churn(True)


def snapcommon(name: str, disconnect: bool, reliable: bool, crash: bool) -> None:
    iters = 30
    servers = 3
    with make_config(servers, not reliable, True) as cfg:
        cfg.begin(name)

        cfg.one(rand_int(), servers, True)
        leader1 = cfg.check_one_leader()

        for i in range(iters):
            victim = (leader1 + 1) % servers
            sender = leader1
            if i % 3 == 1:
                sender = (leader1 + 1) % servers
                victim = leader1

            if disconnect:
                cfg.disconnect(victim)
                cfg.one(rand_int(), servers - 1, True)
            if crash:
                cfg.crash1(victim)
                cfg.one(rand_int(), servers - 1, True)

            # perhaps send enough to get a snapshot
            nn = SNAP_SHOT_INTERVAL // 2 + runtime.randrange(SNAP_SHOT_INTERVAL)
            debug.log("TEST", f"{nn} starts on S{sender}")
            for _ in range(nn):
                cfg.rafts[sender].start(rand_int())

            # let applier threads catch up with the Start()'s
            if not disconnect and not crash:
                # make sure all followers have caught up, so that
                # an InstallSnapshot RPC isn't required for
                # TestSnapshotBasic2D().
                cfg.one(rand_int(), servers, True)
            else:
                cfg.one(rand_int(), servers - 1, True)

            log_size = cfg.log_size()
            debug.log("TEST", f"log_size {log_size}")
            if log_size >= MAXLOGSIZE:
                fatal("Log size too large")
            if disconnect:
                # reconnect a follower, who maybe behind and
                # needs to receive a snapshot to catch up.
                cfg.connect(victim)
                cfg.one(rand_int(), servers, True)
                leader1 = cfg.check_one_leader()
            if crash:
                cfg.start1(victim, cfg.applier_snap)
                cfg.connect(victim)
                cfg.one(rand_int(), servers, True)
                leader1 = cfg.check_one_leader()
        cfg.end()


def test_snapshot_basic_2d() -> None:
    snapcommon("Test (2D): snapshots basic", False, True, False)


def test_snapshot_install_2d() -> None:
    snapcommon("Test (2D): install snapshots (disconnect)", True, True, False)


def test_snapshot_install_unreliable_2d() -> None:
    snapcommon("Test (2D): install snapshots (disconnect+unreliable)", True, False, False)


def test_snapshot_install_crash_2d() -> None:
    snapcommon("Test (2D): install snapshots (crash)", False, True, True)


def test_snapshot_install_un_crash_2d() -> None:
    snapcommon("Test (2D): install snapshots (unreliable+crash)", False, False, True)


def test_snapshot_all_crash_2d() -> None:
    """Do the servers persist the snapshots, and restart using snapshot along with the tail of the log?"""
    servers = 3
    iters = 5
    with make_config(servers, False, True) as cfg:
        cfg.begin("Test (2D): crash and restart all servers")

        cfg.one(rand_int(), servers, True)

        for _ in range(iters):
            # perhaps enough to get a snapshot
            nn = SNAP_SHOT_INTERVAL // 2 + runtime.randrange(SNAP_SHOT_INTERVAL)
            for _ in range(nn):
                cfg.one(rand_int(), servers, True)

            index1 = cfg.one(rand_int(), servers, True)

            # crash all
            for i in range(servers):
                cfg.crash1(i)

            # revive all
            for i in range(servers):
                cfg.start1(i, cfg.applier_snap)
                cfg.connect(i)

            index2 = cfg.one(rand_int(), servers, True)
            if index2 < index1 + 1:
                fatal(f"index decreased from {index1} to {index2}")
        cfg.end()
