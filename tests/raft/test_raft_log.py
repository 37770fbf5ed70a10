"""RaftLog, the one place that knows about the snapshot offset. Each test paraphrases the
rule it checks."""

from __future__ import annotations

import pytest

from labrpc import codec
from raft.log import IndexCompacted, RaftLog
from raft.messages import AppendEntriesArgs, LogEntry


def tail_bytes(log: RaftLog) -> bytes:
    with log.encoded_tail() as entries:
        return codec.encode(entries)


def log_of(*terms: int, snapshot_index: int = 0, snapshot_term: int = 0) -> RaftLog:
    start = snapshot_index + 1
    return RaftLog(snapshot_index, snapshot_term, [LogEntry(t, f"c{start + i}") for i, t in enumerate(terms)])


def test_an_empty_log_answers_for_index_zero():
    log = RaftLog()
    assert (log.last_index, log.last_term, log.term_at(0)) == (0, 0, 0)


def test_indexes_after_a_snapshot_keep_their_raft_numbers():
    log = log_of(1, 1, 2, 3)
    log.compact_to(2)
    assert (log.snapshot_index, log.snapshot_term, log.last_index) == (2, 1, 4)
    assert log.term_at(2) == 1, "the snapshot's own index still has a term, for the consistency check"
    assert log.entry(3) == LogEntry(2, "c3")
    assert [e.command for e in log.entries_from(3)] == ["c3", "c4"]
    with pytest.raises(IndexCompacted):
        log.term_at(1)
    with pytest.raises(IndexCompacted):
        log.entries_from(2)


def test_section_5_4_1_later_term_wins_then_longer_log():
    log = log_of(1, 2, 2)
    assert log.is_up_to_date(1, 3)
    assert not log.is_up_to_date(9, 1)
    assert log.is_up_to_date(3, 2) and log.is_up_to_date(4, 2)
    assert not log.is_up_to_date(2, 2)


def test_fast_backup_helpers_find_term_boundaries():
    log = log_of(1, 1, 4, 4, 4, 6)
    assert log.first_index_of_term(5) == 3
    assert log.last_index_of_term(4) == 5
    assert log.last_index_of_term(5) is None
    assert log.last_index_of_term(1) == 2


def test_truncate_never_reaches_into_the_snapshot():
    log = log_of(1, 1, 2, snapshot_index=10, snapshot_term=1)
    log.truncate_from(12)
    assert log.last_index == 11
    with pytest.raises(IndexCompacted):
        log.truncate_from(10)


def test_figure_13_rule_6_keeps_entries_after_a_matching_snapshot():
    log = log_of(1, 1, 2, 3)
    log.reset_to_snapshot(3, 2)
    assert (log.snapshot_index, log.last_index, log.entry(4).command) == (3, 4, "c4")


def test_figure_13_rule_7_discards_a_log_that_disagrees():
    log = log_of(1, 1, 2, 3)
    log.reset_to_snapshot(3, 5)
    assert (log.snapshot_index, log.snapshot_term, log.last_index) == (3, 5, 3)
    log.reset_to_snapshot(20, 7)
    assert (log.snapshot_index, log.last_index, log.last_term) == (20, 20, 7)


def test_encoded_tail_follows_every_change():
    from labrpc import codec

    log = log_of(1, 2, 3)
    log.compact_to(1)
    log.truncate_from(3)
    log.append([LogEntry(4, "new")])
    assert codec.decode(tail_bytes(log)) == [LogEntry(2, "c2"), LogEntry(4, "new")]
    log.reset_to_snapshot(9, 9)
    assert codec.decode(tail_bytes(log)) == []


def test_encoded_entries_from_are_the_entries_from_that_index():
    """What AppendEntries carries: the log's own encodings of the entries from next_index,
    decoding to the same entries (and none past the end), with their count as len()."""
    log = log_of(1, 1, 2, 3, snapshot_index=4, snapshot_term=1)
    for lo in range(5, 10):
        encoded = log.encoded_entries_from(lo)
        assert codec.decode(codec.encode(encoded)) == log.entries_from(lo)
        assert len(encoded) == len(log.entries_from(lo))
    with pytest.raises(IndexCompacted):
        log.encoded_entries_from(4)


# --- contracts below Raft's own use (mutation testing found them untested) ---------------------


def test_first_index_of_term_stops_at_the_first_entry_after_the_snapshot():
    """The fast back-up hint's x_index: a run of the term from the first entry, or from just
    after a snapshot whose last term is the same, starts there, not inside the snapshot."""
    assert log_of(1, 1, 1).first_index_of_term(3) == 1
    assert log_of(2, 2, snapshot_index=5, snapshot_term=2).first_index_of_term(7) == 6


def test_truncating_the_whole_tail_leaves_an_empty_encoded_tail():
    log = log_of(1, 1, 2)
    log.truncate_from(1)
    assert codec.decode(tail_bytes(log)) == []


def test_the_snapshot_s_last_index_is_no_entry_and_cannot_be_compacted_again():
    log = log_of(1, 1, snapshot_index=3, snapshot_term=1)
    with pytest.raises(IndexError):
        log.entry(3)
    with pytest.raises(IndexError):
        log.compact_to(3)


def test_maybe_append_refuses_a_prev_term_that_differs_from_the_snapshot_s():
    """Receiver rule 2 at the snapshot boundary: the snapshot's last entry has its term."""
    assert log_of(1, snapshot_index=3, snapshot_term=2).maybe_append(3, 9, [], 3) is None


def test_maybe_append_never_overwrites_a_committed_entry():
    """A conflict at or below commit_index means the leader broke Leader Completeness (§5.4):
    refuse loudly rather than lose a committed entry."""
    with pytest.raises(AssertionError, match="committed"):
        log_of(1, 1).maybe_append(1, 1, [LogEntry(2, "x")], commit_index=2)


def test_the_encoded_tail_stays_right_after_compacting_or_installing_a_snapshot():
    """The persisted log is RaftLog's encoded buffer: after compact_to and reset_to_snapshot,
    dropping every entry still leaves an empty list, not stray bytes."""
    compacted = log_of(1, 1, 2, 2)
    compacted.compact_to(2)
    compacted.truncate_from(3)
    installed = log_of(1, 1)
    installed.reset_to_snapshot(10, 3)
    installed.append([LogEntry(3, "x")])
    installed.truncate_from(11)
    for log in (compacted, installed):
        assert codec.decode(tail_bytes(log)) == []


def test_a_follower_stores_the_bytes_the_leader_encoded(monkeypatch: pytest.MonkeyPatch):
    """An entry received in AppendEntries is stored as the leader's bytes, not encoded again:
    the follower's encoded log is byte for byte the leader's."""
    leader = log_of(1, 1, 2)
    args = AppendEntriesArgs(2, 0, 0, 0, leader.encoded_entries_from(1), 0)
    received = codec.decode(codec.encode(args))

    def encode_again(*_: object) -> bytes:
        raise AssertionError("a received entry was encoded again")

    monkeypatch.setattr(codec, "encode_part", encode_again)
    follower = RaftLog()
    follower.append(received.entries)
    assert tail_bytes(follower) == tail_bytes(leader)


def test_the_encoded_tail_views_the_buffer_which_cannot_grow_until_the_view_ends():
    log = RaftLog(entries=[LogEntry(1, "a")])
    with log.encoded_tail() as entries:
        with pytest.raises(BufferError):
            log.append([LogEntry(1, "b")])
        assert log.last_index == 1, "a refused append changes nothing"
        assert codec.decode(codec.encode(entries)) == [LogEntry(1, "a")]
    log.append([LogEntry(1, "b")])  # the view has ended: the buffer grows again
    assert codec.decode(tail_bytes(log)) == [LogEntry(1, "a"), LogEntry(1, "b")]
