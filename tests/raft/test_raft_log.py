"""RaftLog, the one place that knows about the snapshot offset. Each test paraphrases the
rule it checks."""

from __future__ import annotations

import pytest

from raft.log import IndexCompacted, RaftLog
from raft.messages import LogEntry


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
    assert codec.decode(log.encoded_tail().data) == [(2, "c2"), (4, "new")]
    log.reset_to_snapshot(9, 9)
    assert codec.decode(log.encoded_tail().data) == []
