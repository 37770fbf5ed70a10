"""Persisted state: a crash loses nothing, and corrupt bytes give a clear error."""

from __future__ import annotations

import pytest

import raft
from labrpc import Channel, codec
from raft.persist import CorruptStateError
from raft.messages import PersistentState


def make_lone_peer(persister: raft.Persister) -> raft.Raft:
    return raft.make([], 0, persister, Channel())


def test_state_survives_a_restart():
    persister = raft.Persister()
    persister.save(codec.encode(PersistentState(7, 2, 10, 5, [(6, "x"), (7, "y")])), b"snapshot")
    rf = make_lone_peer(persister)
    try:
        with rf.mu:
            # The lone peer's ticker may already have started an election (term 8, voting
            # for itself); either way it started from the saved term and vote.
            assert (rf.current_term, rf.voted_for) in ((7, 2), (8, 0))
            assert (rf.log.snapshot_index, rf.log.last_index, rf.log.last_term) == (10, 12, 7)
            assert rf.commit_index == rf.last_applied == 10, "the service restores up to the snapshot itself"
    finally:
        rf.kill()


@pytest.mark.parametrize("data", [b"\x99garbage", codec.encode([1, 2, 3]),
                                  codec.encode(PersistentState(1, None, 0, 0, ["not an entry"]))])
def test_corrupt_state_is_refused_with_a_clear_error(data: bytes):
    persister = raft.Persister()
    persister.save_raft_state(data)
    with pytest.raises(CorruptStateError, match="corrupt persisted Raft state"):
        make_lone_peer(persister)
    assert persister.read_raft_state() == data, "the bad state is left as it was, for inspection"
