"""Log replication (§5.3, §5.4): start(), one replicator per follower, AppendEntries on
both sides, fast back-up, the commit rule, and sending a snapshot to a follower that needs
entries the leader has compacted away (all of the leader's sending lives here).

Each follower has a replicator thread that sleeps on its condition until there is
something to send: new entries (start() wakes it at once, rather than waiting for the next
heartbeat), a reply that moved next_index, or a heartbeat falling due. It sends each RPC on
a thread of its own and does not wait for the reply, so a follower that is slow or cut off
never delays the others, and heartbeats keep their 100 ms rhythm. While one AppendEntries
is in flight, new entries wait for its reply and then go out together: concurrent start()s
are coalesced into batches, and each entry crosses the network about once.
"""

from __future__ import annotations

from typing import Any

import runtime
from labrpc import codec, handler
from raft.core import RaftCore
from raft.log import ConflictHint
from raft.messages import (
    AppendEntriesArgs,
    AppendEntriesReply,
    InstallSnapshotArgs,
    InstallSnapshotReply,
    LogEntry,
)
from raft.progress import PeerProgress
from raft.role import HEARTBEAT_INTERVAL_S, Role


class Replication(RaftCore):
    def start(self, command: Any) -> tuple[int, int, bool]:
        """Append command to the leader's log and start agreement on it; return at once.

        Returns (index, term, is_leader); index and term say where the command will appear
        if it is ever committed. There is no guarantee that it will be: the leader may fail
        or lose an election first.
        """
        with self.mu:
            if self.role is not Role.LEADER or self.killed():
                return -1, self.current_term, False
            try:
                self.log.append([LogEntry(self.current_term, command)])
            except codec.CodecError as e:
                # Refused before it reached the log: a command peers cannot decode would fail
                # every AppendEntries and make the persisted state unreadable.
                raise codec.CodecError(f"start(): command not appended, the codec cannot carry it: {e}") from None
            self.unsaved_appends = True  # saved once per batch, before it is sent or counted
            index = self.log.last_index
            self._event_locked("start", index=index, cmd=command)
            for peer, progress in self.progress.items():
                if self._has_news_for_locked(progress):  # else a reply or heartbeat will carry it
                    self.replicate_conds[peer].notify()
            if not self.progress:
                self._maybe_advance_commit_locked()  # a cluster of one commits at once
            return index, self.current_term, True

    # --- leader side -----------------------------------------------------------------------

    def _replicator(self, peer: int) -> None:
        """One per follower for the peer's life: sleeps until there is something to send."""
        wake = self.replicate_conds[peer]
        with self.mu:
            while not self.killed():
                wait = self._replicate_locked(peer)
                if wait is None or wait > 0:
                    wake.wait(wait)  # woken by start(), a reply, becoming leader, or kill()

    def _replicate_locked(self, peer: int) -> float | None:
        """Send to peer if a heartbeat is due or it lacks entries we can send now. Returns how
        long to wait before looking again: None while we are not leader (until woken), 0 to
        look again at once."""
        if self.role is not Role.LEADER:
            return None
        progress = self.progress[peer]
        until_heartbeat = progress.heartbeat_at - runtime.now()
        if until_heartbeat <= 0 or self._has_news_for_locked(progress):
            self._send_to_locked(peer, progress)
            return 0
        return until_heartbeat

    def _has_news_for_locked(self, progress: PeerProgress) -> bool:
        """Entries the follower lacks, and no RPC already carrying them (nor a recent loss)."""
        return progress.in_flight == 0 and not progress.paused and progress.next_index <= self.log.last_index

    def _send_to_locked(self, peer: int, progress: PeerProgress) -> None:
        """Send AppendEntries from next_index, or the snapshot if those entries are gone."""
        progress.heartbeat_at = runtime.now() + HEARTBEAT_INTERVAL_S
        progress.in_flight += 1
        if progress.next_index <= self.log.snapshot_index:
            self._send_snapshot_locked(peer, progress)
            return
        if self.unsaved_appends:
            self._persist_locked()  # no peer holds an entry we could lose in a crash
        prev = progress.next_index - 1
        args = AppendEntriesArgs(
            self.current_term,
            self.me,
            prev,
            self.log.term_at(prev),
            self.log.encoded_entries_from(prev + 1),
            self.commit_index,
        )
        self._log_locked("APND", "send %s to S%d", args, peer)
        self._send_locked(
            peer,
            "Raft.AppendEntries",
            args,
            lambda reply: self._handle_append_entries_reply_locked(peer, progress, args, reply),
            lambda: self._lost_locked(peer, progress, "Raft.AppendEntries"),
        )

    def _send_snapshot_locked(self, peer: int, progress: PeerProgress) -> None:
        """Figure 13: the follower needs entries our snapshot has replaced; send it whole."""
        args = InstallSnapshotArgs(
            self.current_term, self.me, self.log.snapshot_index, self.log.snapshot_term, self.persister.read_snapshot()
        )
        self._event_locked("snap-sent", to=peer, index=args.last_included_index)
        self._send_locked(
            peer,
            "Raft.InstallSnapshot",
            args,
            lambda reply: self._handle_install_snapshot_reply_locked(peer, progress, args, reply),
            lambda: self._lost_locked(peer, progress, "Raft.InstallSnapshot"),
        )

    def _lost_locked(self, peer: int, progress: PeerProgress, method: str) -> None:
        progress.in_flight -= 1
        progress.paused = True
        self._log_locked("DROP", "%s to S%d lost", method, peer)

    def _settle_reply_locked(self, progress: PeerProgress, sent_term: int, reply_term: int) -> bool:
        """A reply to an RPC sent as leader of sent_term came back: it is no longer in flight,
        and its term may depose us (figure 2, all servers). True if we still lead sent_term;
        else the reply belongs to a leadership that is over and says nothing to act on."""
        progress.in_flight -= 1
        self._observe_term_locked(reply_term)
        return self.role is Role.LEADER and self.current_term == sent_term

    def _handle_append_entries_reply_locked(
        self, peer: int, progress: PeerProgress, args: AppendEntriesArgs, reply: AppendEntriesReply
    ) -> None:
        if not self._settle_reply_locked(progress, args.term, reply.term):
            return
        if reply.success:
            if progress.maybe_update(args.prev_log_index + len(args.entries)):
                self._log_locked("APND", "S%d accepted: %s", peer, progress)
                self._maybe_advance_commit_locked()
        else:
            hint = ConflictHint(reply.x_term, reply.x_index, reply.x_len)
            if progress.maybe_back_up(args.prev_log_index, self.log.next_index_after_conflict(hint)):
                self._event_locked("ae-back-up", peer=peer, prev=args.prev_log_index, next=progress.next_index)
        self.replicate_conds[peer].notify()

    def _handle_install_snapshot_reply_locked(
        self, peer: int, progress: PeerProgress, args: InstallSnapshotArgs, reply: InstallSnapshotReply
    ) -> None:
        if not self._settle_reply_locked(progress, args.term, reply.term):
            return
        progress.maybe_update(args.last_included_index)
        self.replicate_conds[peer].notify()

    def _maybe_advance_commit_locked(self) -> None:
        """Figure 2, leaders: if there is an N > commit_index that a majority has in its log
        and log[N].term == current_term, set commit_index = N. Only entries of the current
        term are committed by counting replicas (§5.4.2, figure 8)."""
        majority_index = quorum_index([p.match_index for p in self.progress.values()] + [self.log.last_index])
        if majority_index <= self.commit_index or self.log.term_at(majority_index) != self.current_term:
            return
        self._commit_to_locked(majority_index)
        self._event_locked("commit", index=majority_index)

    # --- follower side ---------------------------------------------------------------------

    @handler
    def append_entries(self, args: AppendEntriesArgs) -> AppendEntriesReply:
        """Figure 2, AppendEntries receiver."""
        with self.mu:
            self._observe_term_locked(args.term)
            reply = AppendEntriesReply(self.current_term, False, -1, -1, -1)
            if args.term < self.current_term:
                self._event_locked(  # receiver rule 1
                    "ae-rejected",
                    leader=args.leader_id,
                    why="stale-term",
                    prev=args.prev_log_index,
                    prev_term=args.prev_log_term,
                    term=args.term,
                    n=len(args.entries),
                )
                return reply
            self._hear_from_leader_locked(args.leader_id)
            assert isinstance(args.entries, list), "the leader's encoded entries arrive decoded"
            accepted = self.log.maybe_append(args.prev_log_index, args.prev_log_term, args.entries, self.commit_index)
            if accepted is None:
                self._reject_locked(args, reply)
                return reply
            if accepted.changed:
                self._persist_locked()
            # Receiver rule 5: commit up to the leader's commit index, but no further than the
            # last entry this RPC vouches for (later ones may yet be overwritten).
            new_commit = min(args.leader_commit, accepted.last_new_index)
            if new_commit > self.commit_index:
                self._commit_to_locked(new_commit)
                self._event_locked("commit", index=new_commit, leader_commit=args.leader_commit)
            reply.success = True
            self._log_locked("APND", "accepted %s", args)
            return reply

    def _reject_locked(self, args: AppendEntriesArgs, reply: AppendEntriesReply) -> None:
        """Receiver rule 2 failed: fill in the fast back-up hint."""
        hint = self.log.conflict_hint(args.prev_log_index)
        reply.x_term, reply.x_index, reply.x_len = hint.x_term, hint.x_index, hint.x_len
        if hint.x_term == -1:
            self._event_locked(
                "ae-rejected",
                leader=args.leader_id,
                why="too-short",
                prev=args.prev_log_index,
                prev_term=args.prev_log_term,
                x_len=hint.x_len,
            )
        else:
            self._event_locked(
                "ae-rejected",
                leader=args.leader_id,
                why="conflict",
                prev=args.prev_log_index,
                prev_term=args.prev_log_term,
                x_term=hint.x_term,
                x_index=hint.x_index,
            )


def quorum_index(match_indexes: list[int]) -> int:
    """The highest index held by a majority, given each peer's match index (the leader's
    own is its last index): the median, rounding toward the smaller."""
    matches = sorted(match_indexes)
    return matches[len(matches) - (len(matches) // 2 + 1)]
