"""Leader election (§5.2, §5.4.1): the ticker, RequestVote on both sides, winning."""

from __future__ import annotations

import runtime
from labrpc import handler
from raft.core import RaftCore
from raft.messages import RequestVoteArgs, RequestVoteReply
from raft.role import Role


class Election(RaftCore):
    def _ticker(self) -> None:
        """Figure 2, followers and candidates: if the election timeout elapses without
        hearing from a current leader or granting a vote, start an election."""
        with self.mu:
            while not self.killed():
                if self.role is Role.LEADER:
                    self.ticker_cond.wait()  # woken when we step down, or by kill()
                    continue
                remaining = self.election_deadline - runtime.now()
                if remaining > 0:
                    self.ticker_cond.wait(remaining)
                    continue
                self._log_locked("TIMR", "election timeout")
                self._start_election_locked()

    def _start_election_locked(self) -> None:
        self._become_candidate_locked()
        args = RequestVoteArgs(self.current_term, self.me, self.log.last_index, self.log.last_term)
        votes = [1]  # our own; shared by this election's vote threads, guarded by mu
        self._event_locked("vote-asked", last=args.last_log_index, last_term=args.last_log_term)
        if self._is_majority_locked(votes[0]):  # a cluster of one: our own vote elects us
            self._become_leader_locked()
            return
        for peer in self.replicate_conds:
            self._ask_for_vote_locked(peer, args, votes)

    def _ask_for_vote_locked(self, peer: int, args: RequestVoteArgs, votes: list[int]) -> None:
        self._send_locked(
            peer,
            "Raft.RequestVote",
            args,
            lambda reply: self._handle_vote_reply_locked(peer, args, reply, votes),
            lambda: self._log_locked("DROP", "vote request to S%d lost", peer),
        )

    def _handle_vote_reply_locked(
        self, peer: int, args: RequestVoteArgs, reply: RequestVoteReply, votes: list[int]
    ) -> None:
        self._observe_term_locked(reply.term)
        if not reply.vote_granted:
            self._log_locked("VOTE", "S%d refused (its term %d)", peer, reply.term)
            return
        if self.role is not Role.CANDIDATE or self.current_term != args.term:
            return  # a stale reply from an election that is over
        votes[0] += 1
        self._event_locked("vote-received", voter=peer, votes=votes[0])
        if self._is_majority_locked(votes[0]):
            self._become_leader_locked()

    def _is_majority_locked(self, votes: int) -> bool:
        """§5.2: a candidate wins with votes from a majority of the full cluster."""
        return votes * 2 > len(self.peers)

    @handler
    def request_vote(self, args: RequestVoteArgs) -> RequestVoteReply:
        """Figure 2, RequestVote receiver."""
        with self.mu:
            self._observe_term_locked(args.term)
            granted = self._may_vote_for_locked(args)
            if granted:
                self.voted_for = args.candidate_id
                self._persist_locked()
                # Figure 2: granting a vote resets the election timer, so a follower does not
                # stand against a candidate it just helped.
                self._reset_election_timer_locked()
            return RequestVoteReply(self.current_term, granted)

    def _may_vote_for_locked(self, args: RequestVoteArgs) -> bool:
        """Figure 2, RequestVote receiver 1-2: reply false if term < current_term; grant if
        voted_for is none or the candidate, and the candidate's log is at least as
        up-to-date as ours (§5.4.1)."""
        if args.term < self.current_term:
            self._event_locked("vote-refused", cand=args.candidate_id, why="stale-term", cand_term=args.term)
            return False
        if self.voted_for not in (None, args.candidate_id):
            self._event_locked(
                "vote-refused", cand=args.candidate_id, why="already-voted", cand_term=args.term, voted=self.voted_for
            )
            return False
        if not self.log.is_up_to_date(args.last_log_index, args.last_log_term):
            self._event_locked(
                "vote-refused",
                cand=args.candidate_id,
                why="log-behind",
                cand_term=args.term,
                last=args.last_log_index,
                last_term=args.last_log_term,
                my_last=self.log.last_index,
                my_last_term=self.log.last_term,
            )
            return False
        self._event_locked("vote-granted", cand=args.candidate_id)
        return True
