"""Unit tests of rsm: duplicates, waiters, snapshots, corrupt snapshots.

Most tests put a scripted Raft (FakeRaft) behind the RSM, so that the test decides what is
committed, when, and who leads; the last ones run real Raft peers on a labrpc network.
"""

from __future__ import annotations

from typing import Any

import pytest

import rsm.rsm as rsm_module
import runtime
from labrpc import Channel, Network, Server, Service, codec
from raft import ApplyMsg, Persister
from raft.persist import CorruptStateError
from rsm import APPLY_WAIT_S, RSM, Command, CorruptSnapshotError, DuplicateTable

WAIT_S = 5.0  # generous bound on anything that should happen at once


class Journal:
    """A state machine that remembers every op applied to it, in order."""

    def __init__(self) -> None:
        self.ops: list[Any] = []

    def apply(self, op: Any) -> Any:
        self.ops.append(op)
        return f"result of {op}"

    def snapshot(self) -> Any:
        return list(self.ops)

    def restore(self, state: Any) -> None:
        self.ops = list(state)


class FakeRaft:
    """Raft as scripted by a test: start() appends to a log, commit(i) delivers entry i."""

    def __init__(self, apply_ch: Channel[ApplyMsg]) -> None:
        self.apply_ch = apply_ch
        self.mu = runtime.Lock()
        self.appended = runtime.Condition(self.mu)  # notified by start(); the test waits on it
        self.term = 1
        self.leader = True
        self.log: list[Any] = []
        self.snapshots: list[tuple[int, bytes]] = []

    def start(self, command: Any) -> tuple[int, int, bool]:
        if not self.leader:
            return -1, self.term, False
        with self.mu:
            self.log.append(command)
            self.appended.notify_all()
            return len(self.log), self.term, True

    def wait_for_log(self, length: int) -> None:
        """Wait until the log holds length entries (a Submission's thread has called start())."""
        deadline = runtime.now() + WAIT_S
        with self.mu:
            while len(self.log) < length:
                remaining = deadline - runtime.now()
                assert remaining > 0, f"nothing submitted: log {self.log}"
                self.appended.wait(remaining)

    def get_state(self) -> tuple[int, bool]:
        return self.term, self.leader

    def snapshot(self, index: int, snapshot: bytes) -> None:
        self.snapshots.append((index, snapshot))

    def cond_install_snapshot(self, last_included_term: int, last_included_index: int, snapshot: bytes) -> bool:
        return True

    def kill(self) -> None:
        pass

    def commit(self, index: int, command: Any = None, term: int | None = None) -> None:
        """Deliver the entry at index (or, as another leader's entry would, ``command`` of
        ``term``: by default the current one)."""
        entry = self.log[index - 1] if command is None else command
        self.apply_ch.send(
            ApplyMsg(
                command_valid=True, command=entry, command_index=index, command_term=self.term if term is None else term
            )
        )


@pytest.fixture
def fake_raft(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rsm_module, "make", lambda servers, me, persister, apply_ch: FakeRaft(apply_ch))


class Submission:
    """A submit() running on its own thread."""

    def __init__(self, server: RSM, op: Any, client_id: int | None = None, seq: int = 0) -> None:
        self._done = runtime.Event()
        self.outcome: tuple[bool, Any] | None = None
        runtime.go(self._run, server, op, client_id, seq, name="submitter")

    def _run(self, server: RSM, op: Any, client_id: int | None, seq: int) -> None:
        self.outcome = server.submit(op, client_id, seq)
        self._done.set()

    def wait(self, timeout: float = WAIT_S) -> tuple[bool, Any]:
        assert self._done.wait(timeout), "submit() did not return"
        assert self.outcome is not None
        return self.outcome


def start(persister: Persister | None = None, maxraftstate: int = -1) -> tuple[RSM, FakeRaft, Journal]:
    journal = Journal()
    server = RSM([], 0, persister or Persister(), maxraftstate, journal, topic="TRSM")
    assert isinstance(server.rf, FakeRaft)
    return server, server.rf, journal


def submit_and_commit(
    server: RSM, rf: FakeRaft, op: Any, client_id: int | None = None, seq: int = 0
) -> tuple[bool, Any]:
    index = len(rf.log) + 1
    submission = Submission(server, op, client_id, seq)
    rf.wait_for_log(index)
    rf.commit(index)
    return submission.wait()


# --- submit and its waiter ------------------------------------------------------------------


def test_submit_returns_the_result_of_apply(fake_raft: None) -> None:
    server, rf, journal = start()
    try:
        assert submit_and_commit(server, rf, "x") == (True, "result of x")
        assert journal.ops == ["x"]
    finally:
        server.kill()


def test_a_retried_client_op_is_applied_once(fake_raft: None) -> None:
    server, rf, journal = start()
    try:
        assert submit_and_commit(server, rf, "put", client_id=7, seq=1) == (True, "result of put")
        assert server.is_duplicate(7, 1)
        # The retry is committed too (the clerk never heard back), but not applied again.
        assert submit_and_commit(server, rf, "put", client_id=7, seq=1) == (True, None)
        assert submit_and_commit(server, rf, "put", client_id=8, seq=1) == (True, "result of put")
        assert journal.ops == ["put", "put"]
    finally:
        server.kill()


def test_ops_without_client_id_apply_every_time(fake_raft: None) -> None:
    server, rf, journal = start()
    try:
        submit_and_commit(server, rf, "get")
        submit_and_commit(server, rf, "get")
        assert journal.ops == ["get", "get"]
    finally:
        server.kill()


def test_a_follower_refuses_at_once(fake_raft: None) -> None:
    server, rf, journal = start()
    try:
        rf.leader = False
        assert server.submit("x") == (False, None)
        assert rf.log == []
    finally:
        server.kill()


def test_waiter_gives_up_when_leadership_is_lost(fake_raft: None) -> None:
    server, rf, _ = start()
    try:
        submission = Submission(server, "x")
        rf.wait_for_log(1)
        t0 = runtime.now()
        rf.leader = False
        assert submission.wait() == (False, None)
        assert runtime.now() - t0 < APPLY_WAIT_S / 2, "the waiter should notice at its next term check"
    finally:
        server.kill()


def test_waiter_gives_up_when_the_term_changes(fake_raft: None) -> None:
    server, rf, _ = start()
    try:
        submission = Submission(server, "x")
        rf.wait_for_log(1)
        rf.term += 1  # lost and regained leadership: the entry may have been overwritten
        assert submission.wait(APPLY_WAIT_S / 2) == (False, None)
    finally:
        server.kill()


def test_another_leaders_entry_at_the_index_fails_the_waiter(fake_raft: None) -> None:
    server, rf, journal = start()
    try:
        submission = Submission(server, "mine")
        rf.wait_for_log(1)
        rf.commit(1, Command("theirs"), term=rf.term + 1)
        assert submission.wait() == (False, None)
        assert journal.ops == ["theirs"]
    finally:
        server.kill()


def test_an_equal_command_of_another_term_at_the_index_is_not_ours(fake_raft: None) -> None:
    """A stale leader (it still believes it leads term 1) proposes a Get at index 1; the log
    that wins holds, at index 1, an equal Get that another leader committed in term 2, long
    before. Its result is that older read, not ours: answering with it returned a stale value
    (kvraft's TestPersistPartitionUnreliable3A, seed 11 under the greenlet simulator, lost an
    acknowledged Append this way). Only the term tells them apart: two Gets of a key are equal."""
    server, rf, journal = start()
    try:
        submission = Submission(server, "get k")
        rf.wait_for_log(1)
        rf.commit(1, Command("get k"), term=rf.term + 1)  # get_state() still says: term 1, leader
        assert submission.wait() == (False, None)
        assert journal.ops == ["get k"]  # applied all the same: it is the log's entry
    finally:
        server.kill()


def test_waiter_gives_up_after_apply_wait(fake_raft: None) -> None:
    server, rf, _ = start()
    try:
        t0 = runtime.now()
        submission = Submission(server, "x")
        assert submission.wait() == (False, None)
        assert runtime.now() - t0 >= APPLY_WAIT_S
    finally:
        server.kill()


def test_kill_releases_waiters(fake_raft: None) -> None:
    server, rf, _ = start()
    submission = Submission(server, "x")
    rf.wait_for_log(1)
    t0 = runtime.now()
    server.kill()
    assert submission.wait() == (False, None)
    assert runtime.now() - t0 < APPLY_WAIT_S / 2
    assert server.submit("y") == (False, None)


def test_a_log_entry_that_is_not_a_command_is_refused(fake_raft: None) -> None:
    server, _, _ = start()
    try:
        with server.mu, pytest.raises(TypeError, match="not an rsm.Command"):
            server._execute_locked("raw op")
    finally:
        server.kill()


# --- snapshots --------------------------------------------------------------------------------


def test_no_snapshots_when_maxraftstate_is_minus_one(fake_raft: None) -> None:
    persister = Persister()
    persister.save_raft_state(b"x" * 10_000)
    server, rf, _ = start(persister, maxraftstate=-1)
    try:
        submit_and_commit(server, rf, "x")
        assert rf.snapshots == []
    finally:
        server.kill()


def test_snapshot_when_raft_state_nears_maxraftstate(fake_raft: None) -> None:
    persister = Persister()
    server, rf, _ = start(persister, maxraftstate=100)
    try:
        submit_and_commit(server, rf, "a", client_id=5, seq=1)
        assert rf.snapshots == []  # the Raft state is still empty
        persister.save_raft_state(b"x" * 95)
        submit_and_commit(server, rf, "b", client_id=5, seq=2)
        assert [index for index, _ in rf.snapshots] == [2]
        assert server.snapshots_taken == 1
    finally:
        server.kill()


def test_snapshot_restore_round_trip(fake_raft: None) -> None:
    persister = Persister()
    server, rf, _ = start(persister, maxraftstate=10)
    try:
        persister.save_raft_state(b"x" * 10)
        submit_and_commit(server, rf, "a", client_id=5, seq=1)
        submit_and_commit(server, rf, "b", client_id=6, seq=3)
    finally:
        server.kill()
    index, snapshot = rf.snapshots[-1]
    persister.save(b"", snapshot)
    restarted, rf2, journal = start(persister, maxraftstate=10)
    try:
        assert index == 2 and restarted.last_applied == 2
        assert journal.ops == ["a", "b"]
        assert restarted.is_duplicate(5, 1) and restarted.is_duplicate(6, 3) and not restarted.is_duplicate(6, 4)
        # Raft replays from index 1; what the snapshot holds is not applied again.
        rf2.log = [Command("a", 5, 1), Command("b", 6, 3)]
        rf2.commit(1)
        rf2.commit(2)
        assert submit_and_commit(restarted, rf2, "c") == (True, "result of c")
        assert journal.ops == ["a", "b", "c"]
    finally:
        restarted.kill()


def test_installed_snapshot_replaces_state_and_fails_covered_waiters(fake_raft: None) -> None:
    server, rf, journal = start()
    try:
        submission = Submission(server, "mine")
        rf.wait_for_log(1)
        snapshot = codec.encode((4, {9: 2}, ["p", "q", "r", "s"]))
        rf.apply_ch.send(ApplyMsg(snapshot_valid=True, snapshot=snapshot, snapshot_term=1, snapshot_index=4))
        assert submission.wait() == (False, None)
        assert journal.ops == ["p", "q", "r", "s"]
        assert server.is_duplicate(9, 2)
    finally:
        server.kill()


@pytest.mark.parametrize(
    "snapshot, problem",
    [
        (b"\xff\x00garbage", "corrupt snapshot"),
        (codec.encode([1, {}, []]), "expected \\(index, duplicate table, state\\)"),
        (codec.encode((0, {}, [])), "last applied index 0"),
        (codec.encode((-3, {}, [])), "last applied index -3"),
        (codec.encode((2, {"c": 1}, [])), "duplicate table"),
        (codec.encode((2, {1: -1}, [])), "duplicate table"),
    ],
)
def test_a_corrupt_snapshot_is_refused(fake_raft: None, snapshot: bytes, problem: str) -> None:
    persister = Persister()
    persister.save(b"", snapshot)
    with pytest.raises(CorruptSnapshotError, match=problem) as caught:
        start(persister)
    assert isinstance(caught.value, CorruptStateError)  # one except clause catches Raft's and ours


# --- the duplicate table ----------------------------------------------------------------------


def test_duplicate_table() -> None:
    table = DuplicateTable()
    assert table.record(1, 1) and table.record(1, 2)
    assert not table.record(1, 2) and not table.record(1, 1)
    assert table.is_duplicate(1, 2) and not table.is_duplicate(1, 3) and not table.is_duplicate(2, 1)
    assert DuplicateTable({1: 2, 2: 5}).last_seq == {1: 2, 2: 5}


# --- with real Raft peers ---------------------------------------------------------------------


class Group:
    """n RSM replicas on a reliable labrpc network, all connected."""

    def __init__(self, n: int, maxraftstate: int) -> None:
        self.net = Network()
        self.journals = [Journal() for _ in range(n)]
        self.persisters = [Persister() for _ in range(n)]
        self.servers: list[RSM] = []
        for i in range(n):
            ends = []
            for j in range(n):
                name = f"rsm-{i}-{j}"
                ends.append(self.net.make_end(name))
                self.net.connect(name, j)
                self.net.enable(name, True)
            server = RSM(ends, i, self.persisters[i], maxraftstate, self.journals[i], topic="TRSM")
            rpc_server = Server()
            rpc_server.add_service(Service(server.rf))
            self.net.add_server(i, rpc_server)
            self.servers.append(server)

    def submit_to_leader(self, op: Any, client_id: int, seq: int) -> Any:
        deadline = runtime.now() + 10 * WAIT_S
        while runtime.now() < deadline:
            for server in self.servers:
                ok, result = server.submit(op, client_id, seq)
                if ok:
                    return result
            runtime.sleep(0.05)
        raise AssertionError(f"no leader applied {op}")

    def wait_until_applied(self, ops: list[Any]) -> None:
        deadline = runtime.now() + WAIT_S
        while any(j.ops != ops for j in self.journals):
            assert runtime.now() < deadline, f"replicas disagree: {[j.ops for j in self.journals]}"
            runtime.sleep(0.01)

    def kill(self) -> None:
        for server in self.servers:
            server.kill()
        self.net.cleanup()


def test_replicas_apply_the_same_ops_once() -> None:
    group = Group(3, maxraftstate=-1)
    try:
        for seq in range(1, 6):
            group.submit_to_leader(f"op{seq}", client_id=1, seq=seq)
        group.submit_to_leader("op5", client_id=1, seq=5)  # a retry
        group.wait_until_applied([f"op{seq}" for seq in range(1, 6)])
    finally:
        group.kill()


def test_replicas_snapshot_and_keep_raft_state_small() -> None:
    maxraftstate = 300
    group = Group(3, maxraftstate)
    try:
        ops = [f"op{seq}" for seq in range(1, 41)]
        for seq, op in enumerate(ops, start=1):
            group.submit_to_leader(op, client_id=1, seq=seq)
        group.wait_until_applied(ops)
        assert all(s.snapshots_taken > 0 for s in group.servers)
        assert max(p.raft_state_size() for p in group.persisters) <= 2 * maxraftstate
    finally:
        group.kill()
