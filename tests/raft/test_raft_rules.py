"""Raft's rules one at a time, on peers without threads and with a fake clock (in the style
of etcd-io/raft's raft_paper_test.go). Each test checks one rule; its docstring paraphrases
the sentence of the paper (figure 2, figure 13, §5, §7) or the lab handout it comes from.

Peers are numbered from 1, as in tests/raft/scripted_cluster.py (peer i is me = i - 1).
Handlers are called directly (``c.peer(2).append_entries(...)``) where a rule concerns one
receiver, and through the cluster's mailbox where it concerns an exchange. Clusters are
built inside each test, not in a fixture: see scripted_cluster.py on ``pytest --sim``.
"""

from __future__ import annotations

import pytest

from raft.log import ConflictHint, RaftLog
from raft.messages import AppendEntriesArgs, AppendEntriesReply, InstallSnapshotArgs, LogEntry, RequestVoteArgs
from raft.progress import PeerProgress
from raft.raft import Raft
from raft.replication import quorum_index
from raft.role import Role
from tests.raft.scripted_cluster import ELECTION_TIMEOUT_S, ScriptedCluster


def vote_request(term: int, candidate: int, last_index: int, last_term: int) -> RequestVoteArgs:
    return RequestVoteArgs(term, candidate - 1, last_index, last_term)


def append_request(
    term: int, leader: int, prev: int, prev_term: int, entry_terms: list[int], commit: int
) -> AppendEntriesArgs:
    entries = [LogEntry(t, f"c{prev + 1 + k}") for k, t in enumerate(entry_terms)]
    return AppendEntriesArgs(term, leader - 1, prev, prev_term, entries, commit)


def snapshot_request(term: int, leader: int, index: int, snap_term: int) -> InstallSnapshotArgs:
    return InstallSnapshotArgs(term, leader - 1, index, snap_term, f"state@{index}".encode())


def terms(rf: Raft) -> list[int]:
    """The terms of the entries after the snapshot."""
    log = rf.log
    return [log.term_at(k) for k in range(log.snapshot_index + 1, log.last_index + 1)]


def elect(c: ScriptedCluster, i: int) -> None:
    c.campaign(i)
    c.stabilize()
    assert c.leaders() == [i]


def commit_everywhere(c: ScriptedCluster) -> None:
    """Let the followers learn the leader's commit index (one more heartbeat)."""
    c.stabilize()
    c.tick_heartbeat()
    c.stabilize()


# --- RequestVote receiver (figure 2) --------------------------------------------------------


def test_vote_refused_to_a_candidate_with_a_stale_term() -> None:
    """Figure 2, RequestVote receiver 1: reply false if term < currentTerm."""
    with ScriptedCluster(3) as c:
        c.set_log(2, [1, 3])  # peer 2 is in term 3
        reply = c.peer(2).request_vote(vote_request(2, 1, 5, 2))
        assert (reply.vote_granted, reply.term) == (False, 3)
        assert c.peer(2).voted_for is None


def test_one_vote_per_term() -> None:
    """Figure 2, RequestVote receiver 2: grant only if votedFor is null or candidateId;
    §5.2: each server votes for at most one candidate in a given term."""
    with ScriptedCluster(3) as c:
        assert c.peer(2).request_vote(vote_request(1, 1, 0, 0)).vote_granted
        assert not c.peer(2).request_vote(vote_request(1, 3, 0, 0)).vote_granted
        assert c.peer(2).voted_for == 0


def test_voting_again_for_the_same_candidate_is_allowed() -> None:
    """Figure 2, RequestVote receiver 2: "votedFor is null or candidateId": a repeated
    request from the candidate we voted for (a retry) is granted again."""
    with ScriptedCluster(3) as c:
        assert c.peer(2).request_vote(vote_request(1, 1, 0, 0)).vote_granted
        assert c.peer(2).request_vote(vote_request(1, 1, 0, 0)).vote_granted


def test_a_new_term_clears_the_vote() -> None:
    """Figure 2: votedFor is the candidate that received the vote in the CURRENT term; on
    seeing a higher term, a server may vote again."""
    with ScriptedCluster(3) as c:
        assert c.peer(2).request_vote(vote_request(1, 1, 0, 0)).vote_granted
        assert c.peer(2).request_vote(vote_request(2, 3, 0, 0)).vote_granted
        assert (c.peer(2).current_term, c.peer(2).voted_for) == (2, 2)


def test_vote_refused_when_the_candidates_last_term_is_older_even_if_its_log_is_longer() -> None:
    """§5.4.1: if the logs have last entries with different terms, the log with the later
    term is more up-to-date (length does not matter then)."""
    with ScriptedCluster(3) as c:
        c.set_log(2, [1, 2])
        reply = c.peer(2).request_vote(vote_request(3, 1, 10, 1))
        assert not reply.vote_granted
        assert c.peer(2).current_term == 3, "the higher term is adopted even though the vote is refused"


def test_vote_granted_when_the_candidates_last_term_is_later_even_if_its_log_is_shorter() -> None:
    """§5.4.1: the log whose last entry has the later term is more up-to-date."""
    with ScriptedCluster(3) as c:
        c.set_log(2, [1, 1, 1, 1])
        assert c.peer(2).request_vote(vote_request(3, 1, 2, 2)).vote_granted


@pytest.mark.parametrize(("candidate_last_index", "granted"), [(2, False), (3, True), (4, True)])
def test_equal_last_terms_the_longer_log_wins(candidate_last_index: int, granted: bool) -> None:
    """§5.4.1: if the logs end with the same term, whichever log is longer is more
    up-to-date; a vote needs the candidate's log at least as up-to-date as ours."""
    with ScriptedCluster(3) as c:
        c.set_log(2, [1, 2, 2])
        assert c.peer(2).request_vote(vote_request(3, 1, candidate_last_index, 2)).vote_granted is granted


def test_a_granted_vote_survives_a_restart() -> None:
    """Figure 2: currentTerm and votedFor are persistent state, updated on stable storage
    before responding to RPCs: a crash right after the reply must not forget the vote."""
    with ScriptedCluster(3) as c:
        assert c.peer(2).request_vote(vote_request(4, 1, 0, 0)).vote_granted
        c.restart(2)  # a new peer on a copy of what was saved when the reply left
        assert (c.peer(2).current_term, c.peer(2).voted_for) == (4, 0)
        assert not c.peer(2).request_vote(vote_request(4, 3, 0, 0)).vote_granted


def test_granting_a_vote_resets_the_election_timer() -> None:
    """Figure 2, followers: convert to candidate if the election timeout elapses without
    receiving AppendEntries from the current leader or GRANTING a vote to a candidate."""
    with ScriptedCluster(3) as c:
        rf = c.peer(2)
        c.clock.advance(0.5)
        assert rf.election_deadline < c.clock.now() + ELECTION_TIMEOUT_S
        assert rf.request_vote(vote_request(1, 1, 0, 0)).vote_granted
        assert rf.election_deadline == c.clock.now() + ELECTION_TIMEOUT_S


def test_refusing_a_vote_does_not_reset_the_election_timer() -> None:
    """Figure 2, followers: only granting a vote (or hearing from the leader) resets the
    timer; a refused candidate, even one with a higher term, must not keep a follower with a
    more up-to-date log from standing for election."""
    with ScriptedCluster(3) as c:
        c.set_log(2, [1, 1])
        rf = c.peer(2)
        deadline = rf.election_deadline
        c.clock.advance(0.5)
        assert not rf.request_vote(vote_request(5, 1, 1, 1)).vote_granted  # stale log, higher term
        assert rf.current_term == 5
        assert rf.election_deadline == deadline


# --- candidates (figure 2, §5.2) -------------------------------------------------------------


def test_a_candidate_increments_its_term_votes_for_itself_and_persists_both() -> None:
    """Figure 2, candidates: on conversion to candidate, increment currentTerm, vote for
    self, reset the election timer, send RequestVote RPCs to all other servers."""
    with ScriptedCluster(3) as c:
        c.set_log(1, [1, 2])
        c.clock.advance(1.0)
        c.campaign(1)
        rf = c.peer(1)
        assert (rf.role, rf.current_term, rf.voted_for) == (Role.CANDIDATE, 3, 0)
        assert rf.election_deadline == c.clock.now() + ELECTION_TIMEOUT_S
        assert sorted((m.dst, m.args.term, m.args.last_log_index, m.args.last_log_term) for m in c.mailbox) == [
            (2, 3, 2, 2),
            (3, 3, 2, 2),
        ]
        c.restart(1)
        assert (c.peer(1).current_term, c.peer(1).voted_for) == (3, 0)


def test_a_candidate_wins_with_votes_from_a_majority() -> None:
    """§5.2: a candidate wins if it receives votes from a majority of the servers in the
    full cluster for the same term (in 5: itself and two more)."""
    with ScriptedCluster(5) as c:
        c.campaign(1)
        c.deliver("1->2")
        assert c.peer(1).role is Role.CANDIDATE, "2 votes of 5 are not a majority"
        c.deliver("1->3")
        assert c.peer(1).role is Role.LEADER


def test_half_of_an_even_cluster_is_not_a_majority() -> None:
    """§5.2: a majority of the full cluster: in 4, itself and two more; two votes of four
    (half) must not elect, or two candidates could win one term."""
    with ScriptedCluster(4) as c:
        c.campaign(1)
        c.deliver("1->2")
        assert c.peer(1).role is Role.CANDIDATE, "2 votes of 4 are not a majority"
        c.deliver("1->3")
        assert c.peer(1).role is Role.LEADER


def test_a_candidate_does_not_win_with_a_minority() -> None:
    """§5.2: without votes from a majority, no leader; refusals and lost requests do not
    count (here: one grant, one refusal, two lost of 5)."""
    with ScriptedCluster(5) as c:
        c.peer(3).request_vote(vote_request(1, 5, 0, 0))  # peer 3 votes for 5 in term 1
        c.campaign(1)
        c.deliver("1->2")
        c.deliver("1->3")
        c.drop()
        assert c.peer(1).role is Role.CANDIDATE


def test_a_vote_from_an_earlier_election_is_not_counted() -> None:
    """§5.2: a candidate wins with votes for the SAME term; a grant that arrives after the
    candidate moved on to a new election belongs to the old one."""
    with ScriptedCluster(3) as c:
        c.campaign(1)  # term 1
        old = c.pending("1->2")
        c.mailbox.clear()
        c.tick_election(1)  # term 2: a new election
        c.mailbox.clear()
        c.mailbox.extend(old)
        c.deliver()  # peer 2 grants the term-1 request; peer 1 is in term 2 by now
        assert c.peer(2).voted_for == 0
        assert c.peer(1).role is Role.CANDIDATE


def test_a_candidate_steps_down_on_append_entries_of_its_own_term() -> None:
    """§5.2: if a candidate receives AppendEntries from a leader whose term is at least as
    large as its current term, it recognizes the leader and returns to follower state."""
    with ScriptedCluster(3) as c:
        c.campaign(3)
        rf = c.peer(3)
        assert (rf.role, rf.current_term) == (Role.CANDIDATE, 1)
        assert rf.append_entries(append_request(1, 1, 0, 0, [], 0)).success
        assert (rf.role, rf.current_term, rf.voted_for) == (Role.FOLLOWER, 1, 2)


# --- all servers: the term rule (figure 2, §5.1) --------------------------------------------


def test_a_higher_term_in_a_request_makes_a_leader_a_follower() -> None:
    """§5.1 / figure 2, all servers: if an RPC request or response contains term T >
    currentTerm, set currentTerm = T and convert to follower (here a leader, by a request)."""
    with ScriptedCluster(3) as c:
        elect(c, 1)
        c.peer(1).request_vote(vote_request(5, 3, 0, 0))
        assert (c.peer(1).role, c.peer(1).current_term) == (Role.FOLLOWER, 5)


def test_a_higher_term_in_a_reply_deposes_a_leader() -> None:
    """§5.1 / figure 2, all servers: if an RPC request or RESPONSE contains term T >
    currentTerm, set currentTerm = T and convert to follower: a leader learns from an
    AppendEntries reply that it has been replaced."""
    with ScriptedCluster(3) as c:
        elect(c, 1)
        c.peer(2).request_vote(vote_request(4, 3, 0, 0))  # peer 2 moves to term 4
        c.tick_heartbeat()
        c.drop("1->3")
        c.deliver("1->2")
        assert (c.peer(1).role, c.peer(1).current_term, c.peer(1).voted_for) == (Role.FOLLOWER, 4, None)


def test_a_higher_term_in_a_vote_reply_ends_a_candidacy() -> None:
    """§5.1 / figure 2, all servers: a candidate that sees a higher term in a RequestVote
    reply adopts it and becomes a follower."""
    with ScriptedCluster(3) as c:
        c.set_log(2, [1, 1, 3])  # peer 2 is in term 3
        c.campaign(1)  # term 1
        c.deliver("1->2")
        assert (c.peer(1).role, c.peer(1).current_term) == (Role.FOLLOWER, 3)


# --- AppendEntries receiver (figure 2) ------------------------------------------------------


def test_append_entries_with_a_stale_term_is_rejected() -> None:
    """Figure 2, AppendEntries receiver 1: reply false if term < currentTerm (and the stale
    leader's message neither changes the log nor resets the election timer)."""
    with ScriptedCluster(3) as c:
        c.set_log(2, [1, 2])
        rf = c.peer(2)
        deadline = rf.election_deadline
        c.clock.advance(0.3)
        reply = rf.append_entries(append_request(1, 1, 2, 2, [2], 2))
        assert (reply.success, reply.term) == (False, 2)
        assert terms(rf) == [1, 2] and rf.commit_index == 0
        assert rf.election_deadline == deadline


def test_append_entries_from_the_leader_resets_the_election_timer() -> None:
    """Figure 2, followers: the election timer restarts on AppendEntries from the current
    leader, even one that fails the consistency check."""
    with ScriptedCluster(3) as c:
        rf = c.peer(2)
        c.clock.advance(0.5)
        assert not rf.append_entries(append_request(1, 1, 3, 1, [], 0)).success
        assert rf.election_deadline == c.clock.now() + ELECTION_TIMEOUT_S


def test_a_missing_prev_entry_is_rejected_with_the_followers_length() -> None:
    """Figure 2, AppendEntries receiver 2: reply false if the log does not contain an entry
    at prevLogIndex; the handout's fast back-up: XTerm = -1 and XLen = log length."""
    with ScriptedCluster(3) as c:
        c.set_log(2, [1, 1])
        reply = c.peer(2).append_entries(append_request(1, 1, 5, 1, [1], 0))
        assert (reply.success, reply.x_term, reply.x_len) == (False, -1, 3)
        assert terms(c.peer(2)) == [1, 1]


def test_a_conflicting_prev_term_is_rejected_with_its_term_and_first_index() -> None:
    """Figure 2, AppendEntries receiver 2: reply false if the entry at prevLogIndex has
    another term than prevLogTerm; fast back-up: XTerm is that term, XIndex its first index."""
    with ScriptedCluster(3) as c:
        c.set_log(2, [1, 2, 2, 2])
        reply = c.peer(2).append_entries(append_request(3, 1, 4, 3, [3], 0))
        assert (reply.success, reply.x_term, reply.x_index, reply.x_len) == (False, 2, 2, 5)
        assert terms(c.peer(2)) == [1, 2, 2, 2], "a rejected AppendEntries changes nothing"


def test_a_conflicting_entry_is_deleted_with_all_that_follow_it() -> None:
    """Figure 2, AppendEntries receiver 3: if an existing entry conflicts with a new one
    (same index, different term), delete the existing entry and all that follow it."""
    with ScriptedCluster(3) as c:
        c.set_log(2, [1, 2, 2, 2, 2])
        assert c.peer(2).append_entries(append_request(3, 1, 1, 1, [3], 0)).success
        assert terms(c.peer(2)) == [1, 3]


def test_a_stale_shorter_append_entries_does_not_truncate() -> None:
    """Figure 2, AppendEntries receiver 3: only a CONFLICTING entry is deleted. A reordered
    AppendEntries carrying a prefix of what was already appended must not cut off the
    entries after it (the leader may have counted them already)."""
    with ScriptedCluster(3) as c:
        rf = c.peer(2)
        assert rf.append_entries(append_request(1, 1, 0, 0, [1, 1, 1], 0)).success
        reply = rf.append_entries(append_request(1, 1, 0, 0, [1], 0))  # the older, delayed one
        assert reply.success
        assert terms(rf) == [1, 1, 1]


def test_entries_already_in_the_log_are_not_appended_twice() -> None:
    """Figure 2, AppendEntries receiver 4: append any new entries NOT ALREADY in the log."""
    with ScriptedCluster(3) as c:
        rf = c.peer(2)
        assert rf.append_entries(append_request(1, 1, 0, 0, [1, 1], 0)).success
        assert rf.append_entries(append_request(1, 1, 1, 1, [1, 1], 0)).success
        assert terms(rf) == [1, 1, 1]
        assert [e.command for e in rf.log.entries_from(1)] == ["c1", "c2", "c3"]


def test_appended_entries_survive_a_restart() -> None:
    """Figure 2: the log is persistent state, saved before responding to RPCs: a follower
    that acknowledged entries still holds them after a crash."""
    with ScriptedCluster(3) as c:
        assert c.peer(2).append_entries(append_request(2, 1, 0, 0, [1, 2], 0)).success
        c.restart(2)
        assert terms(c.peer(2)) == [1, 2] and c.peer(2).current_term == 2


def test_commit_advances_only_up_to_the_last_new_entry() -> None:
    """Figure 2, AppendEntries receiver 5: if leaderCommit > commitIndex, set commitIndex =
    min(leaderCommit, index of last new entry): stale entries past what this RPC vouches
    for are not committed."""
    with ScriptedCluster(3) as c:
        c.set_log(2, [1, 2, 2])  # 2:T2 3:T2 left by a term-2 leader
        rf = c.peer(2)
        assert rf.append_entries(append_request(3, 1, 1, 1, [], 3)).success
        assert rf.commit_index == 1
        assert rf.append_entries(append_request(3, 1, 1, 1, [3], 3)).success
        assert (terms(rf), rf.commit_index) == ([1, 3], 2)


def test_commit_index_never_goes_backwards() -> None:
    """Figure 2: commitIndex is the highest index known to be committed, so it only grows;
    a delayed AppendEntries with an older leaderCommit does not lower it."""
    with ScriptedCluster(3) as c:
        rf = c.peer(2)
        assert rf.append_entries(append_request(1, 1, 0, 0, [1, 1, 1], 3)).success
        assert rf.append_entries(append_request(1, 1, 0, 0, [1], 1)).success
        assert rf.commit_index == 3


def test_append_entries_starting_inside_the_snapshot() -> None:
    """§7: entries up through the snapshot are committed, so the part of an AppendEntries
    that falls inside the snapshot matches and is skipped; the rest is appended."""
    with ScriptedCluster(3) as c:
        c.set_log(2, [1, 1, 1, 1])
        rf = c.peer(2)
        rf.append_entries(append_request(1, 1, 4, 1, [], 4))
        c.apply(2)
        rf.snapshot(3, b"state@3")
        assert rf.append_entries(append_request(2, 1, 1, 1, [1, 1, 1, 2, 2], 6)).success
        assert (rf.log.snapshot_index, terms(rf), rf.commit_index) == (3, [1, 2, 2], 6)


# --- the leader: next_index, match_index, fast back-up --------------------------------------


def test_a_leader_saves_new_entries_before_it_sends_them() -> None:
    """Figure 2: the log is persistent state. start() may defer saving (a command lost in a
    crash before anyone has it was never promised), but once a follower may hold an entry,
    the leader's own copy must survive a crash too."""
    with ScriptedCluster(3) as c:
        elect(c, 1)
        c.peer(1).start("x")
        c.pump()  # the replicators send it
        c.restart(1)
        assert [e.command for e in c.peer(1).log.entries_from(1)] == ["x"]


def test_a_leader_saves_its_entry_before_counting_it_toward_a_commit() -> None:
    """§5.3: an entry is committed once stored on a majority, and the leader's copy counts:
    so it must be stored (saved) before it is counted. A cluster of one commits at start()."""
    with ScriptedCluster(1) as c:
        elect(c, 1)
        index, _, _ = c.peer(1).start("x")
        assert c.peer(1).commit_index == index
        c.restart(1)
        assert [e.command for e in c.peer(1).log.entries_from(1)] == ["x"]


def test_a_new_leader_starts_next_index_after_its_last_entry_and_match_index_at_zero() -> None:
    """Figure 2, volatile state on leaders (reinitialized after election): nextIndex =
    leader's last log index + 1, matchIndex = 0; heartbeats go out at once."""
    with ScriptedCluster(3) as c:
        c.set_log(1, [1, 1, 2])
        c.campaign(1)
        c.deliver("1->2")
        rf = c.peer(1)
        assert rf.role is Role.LEADER
        assert {p: (g.next_index, g.match_index) for p, g in rf.progress.items()} == {1: (4, 0), 2: (4, 0)}
        heartbeats = [m.args for m in c.mailbox if m.method == "Raft.AppendEntries"]
        assert [(a.prev_log_index, a.prev_log_term, a.entries) for a in heartbeats] == [(3, 2, []), (3, 2, [])]


def test_fast_backup_when_the_follower_is_too_short() -> None:
    """The handout's fast back-up, leader side: the follower's log is too short (XTerm =
    -1): nextIndex = XLen."""
    log = RaftLog(0, 0, [LogEntry(t, None) for t in [1, 1, 4, 4, 5]])
    assert log.next_index_after_conflict(ConflictHint(-1, -1, 3)) == 3


def test_fast_backup_when_the_leader_has_the_conflicting_term() -> None:
    """The handout's fast back-up: the leader has XTerm: nextIndex = the leader's last entry
    of XTerm + 1."""
    log = RaftLog(0, 0, [LogEntry(t, None) for t in [1, 1, 4, 4, 5]])
    assert log.next_index_after_conflict(ConflictHint(4, 3, 8)) == 5


def test_fast_backup_when_the_leader_lacks_the_conflicting_term() -> None:
    """The handout's fast back-up: the leader does not have XTerm: nextIndex = XIndex."""
    log = RaftLog(0, 0, [LogEntry(t, None) for t in [1, 1, 4, 4, 5]])
    assert log.next_index_after_conflict(ConflictHint(3, 2, 8)) == 2


def test_fast_backup_repairs_a_follower_one_term_per_round_trip() -> None:
    """§5.3 with the handout's optimization: a follower with a tail of several conflicting
    terms is repaired with one rejection per conflicting term, not one per entry, and ends
    with exactly the leader's log."""
    with ScriptedCluster(3) as c:
        c.set_log(1, [1, 1, 1, 4, 4, 5, 5, 6, 6, 6])
        c.set_log(2, [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3])
        c.set_log(3, [1, 1, 1, 4, 4, 4, 4])
        c.campaign(1)
        printed = c.stabilize()
        rejections = [line for line in printed if "AppendEntries" in line and "-> reject" in line]
        assert [line.split()[0] for line in rejections] == ["1->2", "1->3", "1->2", "1->3"]
        assert terms(c.peer(2)) == terms(c.peer(3)) == [1, 1, 1, 4, 4, 5, 5, 6, 6, 6]


def test_a_stale_rejection_does_not_move_next_index() -> None:
    """Fast back-up acts only on the rejection of the AppendEntries sent from the current
    nextIndex: a reordered older rejection could move nextIndex back past entries the
    follower has since accepted."""
    progress = PeerProgress(next_index=8, match_index=3)
    assert not progress.maybe_back_up(rejected_prev_index=9, next_index=2)
    assert progress.next_index == 8


def test_next_index_never_backs_up_to_or_below_match_index() -> None:
    """Figure 2: matchIndex is known replicated on the follower, so nextIndex never goes
    below matchIndex + 1, whatever a rejection's hint says."""
    progress = PeerProgress(next_index=8, match_index=5)
    assert progress.maybe_back_up(rejected_prev_index=7, next_index=2)
    assert progress.next_index == 6


def test_a_stale_acknowledgement_does_not_lower_match_index() -> None:
    """Figure 2: matchIndex increases monotonically; a reordered success for an older,
    shorter AppendEntries says nothing new."""
    progress = PeerProgress(next_index=6, match_index=5)
    assert not progress.maybe_update(3)
    assert (progress.match_index, progress.next_index) == (5, 6)


# --- the commit rule (figure 2, leaders; §5.4.2) ---------------------------------------------


@pytest.mark.parametrize(
    ("matches", "expected"),
    [([0, 0, 5], 0), ([3, 0, 5], 3), ([5, 5, 5], 5), ([1, 2, 3, 4, 5], 3), ([5, 4, 1, 1, 5], 4), ([2, 7, 7, 9], 7)],
)
def test_quorum_index_is_the_highest_index_on_a_majority(matches: list[int], expected: int) -> None:
    """Figure 2, leaders: N such that a majority of matchIndex[i] >= N (the leader's own
    last index counts as one of them)."""
    assert quorum_index(matches) == expected
    assert sum(m >= expected for m in matches) * 2 > len(matches)


def test_an_old_term_entry_is_not_committed_by_counting_replicas() -> None:
    """§5.4.2 / figure 8; figure 2, leaders: commit N only if log[N].term == currentTerm.
    An entry of an earlier term stored on a majority is NOT thereby committed."""
    with ScriptedCluster(5) as c:
        c.set_log(1, [1])
        c.set_log(2, [1])
        c.set_log(5, [2])
        c.partition([1, 2, 3, 4], [5])
        c.campaign(1)  # term 2 (peer 1 was in term 1), votes from 2, 3, 4
        c.stabilize()
        rf = c.peer(1)
        assert (rf.role, rf.current_term) == (Role.LEADER, 2)
        assert sorted(p.match_index for p in rf.progress.values()) == [0, 1, 1, 1]
        assert rf.commit_index == 0


def test_an_entry_of_the_current_term_on_a_majority_commits_it_and_all_before() -> None:
    """§5.4.2 / figure 8: once an entry from the leader's current term is stored on a
    majority, it is committed, and by Log Matching so are all the entries before it."""
    with ScriptedCluster(5) as c:
        c.set_log(1, [1])
        c.set_log(2, [1])
        c.set_log(5, [2])
        c.partition([1, 2, 3], [4], [5])
        c.campaign(1)
        c.stabilize()
        assert c.peer(1).commit_index == 0
        c.propose(1, "z")
        c.stabilize()
        assert c.peer(1).commit_index == 2


def test_commit_to_past_the_last_index_raises() -> None:
    """commitIndex <= the last log index (an entry we lack cannot be applied): a rule above
    that asks for more is broken, so _commit_to_locked stops the peer rather than apply."""
    with ScriptedCluster(3) as c:
        c.set_log(2, [1, 1])
        rf = c.peer(2)
        with rf.mu, pytest.raises(AssertionError):
            rf._commit_to_locked(3)
        assert rf.commit_index == 0


def test_commit_to_an_older_index_changes_nothing() -> None:
    """commitIndex never decreases: an older commit index is old news."""
    with ScriptedCluster(3) as c:
        c.set_log(2, [1, 1, 1])
        rf = c.peer(2)
        with rf.mu:
            rf._commit_to_locked(3)
            rf._commit_to_locked(1)
        assert rf.commit_index == 3


def test_heartbeats_carry_the_leaders_commit_index() -> None:
    """Figure 2, AppendEntries arguments: leaderCommit; §5.3: the leader includes the
    highest index it knows committed in future AppendEntries (heartbeats too), which is how
    followers learn it."""
    with ScriptedCluster(3) as c:
        elect(c, 1)
        c.propose(1, "x")
        c.propose(1, "y")
        c.stabilize()
        assert c.peer(1).commit_index == 2
        c.tick_heartbeat()
        assert [(m.args.leader_commit, m.args.entries) for m in c.mailbox] == [(2, []), (2, [])]
        c.stabilize()
        assert c.peer(2).commit_index == c.peer(3).commit_index == 2


# --- snapshots (§7, figure 13, handout 2D) -------------------------------------------------


def test_install_snapshot_older_than_the_commit_index_is_ignored() -> None:
    """Figure 13, InstallSnapshot receiver: a snapshot that covers nothing beyond what the
    follower has committed (a stale or reordered one) must not roll its state back."""
    with ScriptedCluster(3) as c:
        rf = c.peer(2)
        assert rf.append_entries(append_request(1, 1, 0, 0, [1, 1, 1, 1], 4)).success
        for index in (2, 4):  # below, and exactly at, its commit index
            rf.install_snapshot(snapshot_request(1, 1, index, 1))
            assert (rf.log.snapshot_index, terms(rf), rf.commit_index, rf.pending_snapshot) == (
                0,
                [1, 1, 1, 1],
                4,
                None,
            )


def test_install_snapshot_with_a_stale_term_is_rejected() -> None:
    """Figure 13, InstallSnapshot receiver 1: reply immediately if term < currentTerm."""
    with ScriptedCluster(3) as c:
        c.set_log(2, [1, 3])
        reply = c.peer(2).install_snapshot(snapshot_request(2, 1, 5, 2))
        assert reply.term == 3
        assert (c.peer(2).log.snapshot_index, c.peer(2).commit_index) == (0, 0)


def test_install_snapshot_keeps_the_entries_after_a_matching_last_included_entry() -> None:
    """Figure 13, InstallSnapshot receiver 6: if an existing log entry has the same index
    and term as the snapshot's last included entry, retain the log entries following it."""
    with ScriptedCluster(3) as c:
        c.set_log(2, [1, 1, 1, 2, 2])
        rf = c.peer(2)
        rf.install_snapshot(snapshot_request(2, 1, 3, 1))
        assert (rf.log.snapshot_index, rf.log.snapshot_term, terms(rf), rf.commit_index) == (3, 1, [2, 2], 3)


def test_install_snapshot_discards_a_log_that_does_not_match() -> None:
    """Figure 13, InstallSnapshot receiver 7: otherwise discard the entire log (entries
    after a conflicting one cannot be trusted)."""
    with ScriptedCluster(3) as c:
        c.set_log(2, [1, 1, 1, 2, 2])
        rf = c.peer(2)
        rf.install_snapshot(snapshot_request(3, 1, 4, 3))
        assert (rf.log.snapshot_index, rf.log.snapshot_term, terms(rf), rf.commit_index) == (4, 3, [], 4)


def test_the_applier_hands_over_the_snapshot_before_later_entries() -> None:
    """Figure 13, InstallSnapshot receiver 8 (reset the state machine using the snapshot)
    and the handout: the service gets the snapshot on applyCh before the entries after it."""
    with ScriptedCluster(3) as c:
        rf = c.peer(2)
        rf.install_snapshot(snapshot_request(1, 1, 3, 1))
        assert rf.append_entries(append_request(1, 1, 3, 1, [1, 1], 5)).success
        applied = c.apply(2)
        assert [(m.snapshot_valid, m.snapshot_index or m.command_index) for m in applied] == [
            (True, 3),
            (False, 4),
            (False, 5),
        ]
        assert applied[0].snapshot == b"state@3"
        assert rf.last_applied == 5


def test_snapshot_refuses_an_index_not_yet_applied() -> None:
    """Handout 2D: Snapshot(index) means the service has applied everything through index;
    a snapshot past lastApplied would drop entries the service has not seen."""
    with ScriptedCluster(3) as c:
        rf = c.peer(2)
        assert rf.append_entries(append_request(1, 1, 0, 0, [1, 1, 1], 3)).success
        with pytest.raises(ValueError):
            rf.snapshot(2, b"state@2")
        assert rf.log.snapshot_index == 0
        c.apply(2)
        rf.snapshot(2, b"state@2")
        assert (rf.log.snapshot_index, terms(rf)) == (2, [1])


def test_the_leader_sends_its_snapshot_when_next_index_is_inside_it() -> None:
    """§7: the leader sends InstallSnapshot to a follower that lags so far behind that the
    entries it needs next have been compacted away."""
    with ScriptedCluster(3) as c:
        elect(c, 1)
        c.partition([1, 2], [3])
        for command in "abcd":
            c.propose(1, command)
        commit_everywhere(c)
        c.apply(1)
        c.snapshot(1, 3)
        c.heal()
        c.tick_heartbeat()
        assert [(m.method, m.args.last_included_index) for m in c.pending("1->3")] == [("Raft.InstallSnapshot", 3)]
        c.stabilize()
        assert (c.peer(3).log.snapshot_index, terms(c.peer(3)), c.peer(3).commit_index) == (3, [1], 4)
        assert c.peer(1).progress[2].match_index == 4


def test_a_restart_counts_the_snapshot_as_committed_and_applied() -> None:
    """§7 / handout 2D: after a crash the service restores its state from the snapshot, so
    Raft restarts with commitIndex = lastApplied = the snapshot's last included index."""
    with ScriptedCluster(3) as c:
        rf = c.peer(2)
        assert rf.append_entries(append_request(1, 1, 0, 0, [1, 1, 1], 3)).success
        c.apply(2)
        rf.snapshot(2, b"state@2")
        c.restart(2)
        rf = c.peer(2)
        assert (rf.log.snapshot_index, terms(rf), rf.commit_index, rf.last_applied) == (2, [1], 2, 2)
        assert c.persisters[1].read_snapshot() == b"state@2"


def test_a_reply_to_an_earlier_leadership_is_ignored() -> None:
    """Figure 2's leader rules act on replies to the current term's AppendEntries only (the
    Students' Guide: check that the term has not changed since the RPC was sent). A peer
    leading again in a later term must not count a success sent to its earlier leadership:
    another leader may since have overwritten what that follower accepted."""
    with ScriptedCluster(3) as c:
        elect(c, 1)  # term 1
        c.campaign(2)
        c.stabilize()
        c.campaign(1)
        c.stabilize()
        leader = c.peer(1)
        assert c.leaders() == [1] and leader.current_term == 3
        old = append_request(1, 1, 0, 0, [1], 0)  # sent while leading term 1: entry 1 accepted
        with leader.mu:
            progress = leader.progress[1]
            progress.in_flight += 1
            leader._handle_append_entries_reply_locked(1, progress, old, AppendEntriesReply(1, True, -1, -1, -1))
            assert (progress.match_index, progress.in_flight) == (0, 0)
