"""Persisted state: a crash loses nothing; corrupt or impossible state gives a clear error
and is left as it was; a command the codec cannot carry never reaches the log."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

import raft
import runtime
from labrpc import Channel, Network, codec
from raft.log import RaftLog
from raft.messages import LogEntry, PersistentState
from raft.persist import CorruptStateError, encode_state


@codec.register
@dataclass
class Shard:
    number: int


@codec.register
@dataclass
class Move:
    shards: list


@pytest.fixture
def peers() -> Iterator[list]:
    """Three ends that reach nobody: a peer built on them stays a follower or candidate."""
    net = Network()
    yield [net.make_end(f"end-{i}") for i in range(3)]
    net.cleanup()


def make_peer(peers: list, persister: raft.Persister) -> raft.Raft:
    return raft.make(peers, 0, persister, Channel())


def saved(state: PersistentState, snapshot: bytes = b"snapshot") -> raft.Persister:
    persister = raft.Persister()
    persister.save(codec.encode(state), snapshot)
    return persister


def test_state_survives_a_restart(peers: list):
    rf = make_peer(peers, saved(PersistentState(7, 2, 10, 5, [LogEntry(6, "x"), LogEntry(7, "y")])))
    try:
        with rf.mu:
            # The ticker may already have started an election (term 8, voting for itself);
            # either way it started from the saved term and vote.
            assert (rf.current_term, rf.voted_for) in ((7, 2), (8, 0))
            assert (rf.log.snapshot_index, rf.log.last_index, rf.log.last_term) == (10, 12, 7)
            assert rf.commit_index == rf.last_applied == 10, "the service restores up to the snapshot itself"
    finally:
        rf.kill()


def test_a_repeated_dataclass_inside_a_command_survives_the_persisted_log():
    # Entries are encoded one by one and spliced into the persisted state: the second Shard
    # is a back-reference to a type number that only means Shard inside its own entry.
    log = RaftLog(entries=[LogEntry(1, Move([Shard(1), Shard(2)]))])
    state = codec.decode(encode_state(1, None, log))
    assert state.entries == [LogEntry(1, Move([Shard(1), Shard(2)]))]


def test_a_command_the_codec_refuses_is_not_appended():
    log = RaftLog(entries=[LogEntry(1, "ok")])
    with pytest.raises(codec.CodecError, match=r"entry LogEntry\.command Move\.shards\[1\].*set"):
        log.append([LogEntry(1, "fine"), LogEntry(1, Move([Shard(1), {1, 2}]))])
    assert log.last_index == 1
    state = codec.decode(encode_state(1, None, log))
    assert state.entries == [LogEntry(1, "ok")]


CORRUPT = {
    "undecodable": (b"\x99garbage", b""),
    "not a state": (codec.encode([1, 2, 3]), b""),
    "entry not a pair": (codec.encode(PersistentState(1, None, 0, 0, ["not an entry"])), b""),
    "negative term": (codec.encode(PersistentState(-1, None, 0, 0, [])), b""),
    "term not an int": (codec.encode(PersistentState("1", None, 0, 0, [])), b""),
    "voted for a stranger": (codec.encode(PersistentState(3, 7, 0, 0, [])), b""),
    "voted in term 0": (codec.encode(PersistentState(0, 1, 0, 0, [])), b""),
    "snapshot index without its term": (codec.encode(PersistentState(3, None, 5, 0, [])), b"snap"),
    "snapshot missing": (codec.encode(PersistentState(3, None, 5, 2, [])), b""),
    "snapshot without Raft state": (b"", b"snap"),
    "terms decrease": (codec.encode(PersistentState(3, None, 0, 0, [LogEntry(2, "a"), LogEntry(1, "b")])), b""),
    "entry below the snapshot's term": (codec.encode(PersistentState(3, None, 5, 3, [LogEntry(2, "a")])), b"snap"),
    "entry past current_term": (codec.encode(PersistentState(3, None, 0, 0, [LogEntry(4, "a")])), b""),
    "entry of term 0": (codec.encode(PersistentState(3, None, 0, 0, [LogEntry(0, "a")])), b""),
    "entry not a LogEntry": (codec.encode(PersistentState(3, None, 0, 0, [(1, "a")])), b""),
}


@pytest.mark.parametrize("case", CORRUPT)
def test_corrupt_state_is_refused_with_a_clear_error(peers: list, case: str):
    data, snapshot = CORRUPT[case]
    persister = raft.Persister()
    persister.save(data, snapshot)
    with pytest.raises(CorruptStateError, match="corrupt persisted Raft state: .+"):
        make_peer(peers, persister)
    assert (persister.read_raft_state(), persister.read_snapshot()) == (data, snapshot), (
        "the bad state is left as it was, for inspection"
    )


def test_a_cluster_of_one_elects_itself_and_commits_alone():
    net = Network()
    apply_ch: Channel[raft.ApplyMsg] = Channel()
    rf = raft.make([net.make_end("self")], 0, raft.Persister(), apply_ch)
    try:
        # One election timeout and no vote to wait for: leader well within 2 s.
        index, is_leader = -1, False
        for _ in range(40):
            index, _, is_leader = rf.start("x")
            if is_leader:
                break
            runtime.sleep(0.05)
        assert is_leader, "a lone peer never became leader"
        msg = apply_ch.recv()
        assert (msg.command_valid, msg.command, msg.command_index) == (True, "x", index)
    finally:
        rf.kill()
        apply_ch.close()
        net.cleanup()
