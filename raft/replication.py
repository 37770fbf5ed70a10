"""Log replication (§5.3, §5.4): start(), one replicator per follower, AppendEntries on
both sides, fast back-up, and the commit rule.

Each follower has a replicator thread that sleeps on its condition until there is
something to send: new entries (start() wakes it at once, rather than waiting for the next
heartbeat), a reply that moved next_index, or a heartbeat falling due. It sends each RPC on
a thread of its own and does not wait for the reply, so a follower that is slow or cut off
never delays the others, and heartbeats keep their 100 ms rhythm. While one AppendEntries
is in flight, new entries wait for its reply and then go out together: concurrent start()s
are coalesced into batches, and each entry crosses the network about once.
"""

from __future__ import annotations

from typing import Any, Callable

import runtime
from labrpc import codec, handler
from raft.messages import AppendEntriesArgs, AppendEntriesReply, LogEntry
from raft.progress import PeerProgress
from raft.role import HEARTBEAT_INTERVAL_S, Role


class ReplicationMixin:
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
            self._persist_locked()
            index = self.log.last_index
            self._log_locked("APND", "start %r at %d", command, index)
            for peer, progress in self.progress.items():
                if self._has_news_for_locked(progress):  # else a reply or heartbeat will carry it
                    self.replicate_conds[peer].notify()
            self._maybe_advance_commit_locked()  # a cluster of one commits at once
            return index, self.current_term, True

    # --- leader side -----------------------------------------------------------------------

    def _replicator(self, peer: int) -> None:
        wake = self.replicate_conds[peer]
        with self.mu:
            while not self.killed():
                if self.role is not Role.LEADER:
                    wake.wait()  # until _become_leader_locked, or kill()
                    continue
                progress = self.progress[peer]
                until_heartbeat = progress.heartbeat_at - runtime.now()
                if until_heartbeat <= 0 or self._has_news_for_locked(progress):
                    self._send_to_locked(peer, progress)
                else:
                    wake.wait(until_heartbeat)

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
        prev = progress.next_index - 1
        args = AppendEntriesArgs(self.current_term, self.me, prev, self.log.term_at(prev),
                                 self.log.entries_from(prev + 1), self.commit_index)
        self._log_locked("APND", "send %s to S%d", args, peer)
        runtime.go(self._call_follower, peer, progress, "Raft.AppendEntries", args,
                   self._handle_append_entries_reply_locked, name=f"S{self.me}-ae-S{peer}")

    def _call_follower(self, peer: int, progress: PeerProgress, method: str, args: Any,
                       handle_reply_locked: Callable[[int, PeerProgress, Any, Any], None]) -> None:
        """Body of a replication RPC's thread: call, then account for the reply under mu."""
        ok, reply = self.peers[peer].call(method, args)
        with self.mu:
            progress.in_flight -= 1
            if not ok:
                progress.paused = True
                self._log_locked("DROP", "%s to S%d lost", method, peer)
                return
            handle_reply_locked(peer, progress, args, reply)

    def _handle_append_entries_reply_locked(self, peer: int, progress: PeerProgress, args: AppendEntriesArgs,
                                            reply: AppendEntriesReply) -> None:
        self._observe_term_locked(reply.term)
        if self.role is not Role.LEADER or self.current_term != args.term:
            return  # a reply to a leadership that is over
        if reply.success:
            if progress.maybe_update(args.prev_log_index + len(args.entries)):
                self._log_locked("APND", "S%d accepted: %s", peer, progress)
                self._maybe_advance_commit_locked()
        elif args.prev_log_index + 1 == progress.next_index:  # else a stale rejection
            progress.back_up_to(self._next_index_after_conflict_locked(reply))
            self._log_locked("APND", "S%d rejected prev=%d: next=%d", peer, args.prev_log_index, progress.next_index)
        self.replicate_conds[peer].notify()

    def _next_index_after_conflict_locked(self, reply: AppendEntriesReply) -> int:
        """Fast back-up (lab handout): skip the follower's whole conflicting term in one RPC.

        Follower's log too short: resume at its length. Leader has x_term: resume after its
        last entry of x_term. Leader lacks x_term: resume at the follower's first x_term entry.
        """
        if reply.x_term == -1:
            return reply.x_len
        last = self.log.last_index_of_term(reply.x_term)
        return last + 1 if last is not None else reply.x_index

    def _maybe_advance_commit_locked(self) -> bool:
        """Figure 2, leaders: if there is an N > commit_index that a majority has in its log
        and log[N].term == current_term, set commit_index = N. Only entries of the current
        term are committed by counting replicas (§5.4.2, figure 8)."""
        matches = sorted([p.match_index for p in self.progress.values()] + [self.log.last_index])
        majority_index = matches[len(matches) - (len(matches) // 2 + 1)]
        if majority_index <= self.commit_index or self.log.term_at(majority_index) != self.current_term:
            return False
        self.commit_index = majority_index
        self._log_locked("CMIT", "commit up to %d", majority_index)
        self.apply_cond.notify()
        return True

    # --- follower side ---------------------------------------------------------------------

    @handler
    def append_entries(self, args: AppendEntriesArgs) -> AppendEntriesReply:
        """Figure 2, AppendEntries receiver."""
        with self.mu:
            self._observe_term_locked(args.term)
            reply = AppendEntriesReply(self.current_term, False, -1, -1, -1)
            if args.term < self.current_term:
                self._log_locked("DROP", "rejected %s: stale term", args)  # receiver rule 1
                return reply
            self._hear_from_leader_locked(args.leader_id)
            reply.success = self._accept_entries_locked(args, reply)
            if reply.success:
                self._log_locked("APND", "accepted %s", args)
            return reply

    def _hear_from_leader_locked(self, leader_id: int) -> None:
        """A current leader spoke: a candidate steps down (§5.2), and the timer restarts."""
        if self.role is Role.CANDIDATE:
            self._become_follower_locked(self.current_term)
        self.leader_id = leader_id
        self._reset_election_timer_locked()

    def _accept_entries_locked(self, args: AppendEntriesArgs, reply: AppendEntriesReply) -> bool:
        prev, prev_term, entries = args.prev_log_index, args.prev_log_term, args.entries
        if prev < self.log.snapshot_index:
            # The batch starts inside our snapshot. Those entries are committed, so they
            # match ours; consider only what follows the snapshot.
            skip = self.log.snapshot_index - prev
            if skip >= len(entries):
                return True  # everything in the batch is already in the snapshot
            prev, prev_term, entries = self.log.snapshot_index, self.log.snapshot_term, entries[skip:]
        if not self._matches_locked(prev, prev_term, reply):
            return False
        if self._merge_locked(prev, entries):
            self._persist_locked()
        # Receiver rule 5: commit up to the leader's commit index, but no further than the
        # last entry this RPC vouches for (later ones may yet be overwritten).
        new_commit = min(args.leader_commit, prev + len(entries))
        if new_commit > self.commit_index:
            self.commit_index = new_commit
            self._log_locked("CMIT", "commit up to %d (leader's %d)", new_commit, args.leader_commit)
            self.apply_cond.notify()
        return True

    def _matches_locked(self, prev: int, prev_term: int, reply: AppendEntriesReply) -> bool:
        """Receiver rule 2: does our log hold an entry at prev whose term is prev_term? If
        not, fill in the fast back-up hints."""
        if prev > self.log.last_index:
            reply.x_len = self.log.last_index + 1
            self._log_locked("DROP", "rejected prev=%d: my log ends at %d", prev, self.log.last_index)
            return False
        term = self.log.term_at(prev)
        if term != prev_term:
            reply.x_term, reply.x_index = term, self.log.first_index_of_term(prev)
            reply.x_len = self.log.last_index + 1
            self._log_locked("DROP", "rejected prev=(%d,T%d): mine is T%d from %d", prev, prev_term, term, reply.x_index)
            return False
        return True

    def _merge_locked(self, prev: int, entries: list[LogEntry]) -> bool:
        """Receiver rules 3-4: delete a conflicting entry and all after it, append entries
        not already in the log. Entries that match stay, so a stale, reordered RPC cannot
        cut off entries a later one appended. Returns whether the log changed."""
        for offset, entry in enumerate(entries):
            index = prev + 1 + offset
            if index > self.log.last_index:
                self.log.append(entries[offset:])
                return True
            if self.log.term_at(index) != entry.term:
                assert index > self.commit_index, f"S{self.me}: truncating committed entry {index}"
                self.log.truncate_from(index)
                self.log.append(entries[offset:])
                return True
        return False
