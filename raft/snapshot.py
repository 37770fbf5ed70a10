"""Snapshots (§7, figure 13; lab 2D): the service's snapshot(), and the InstallSnapshot
receiver, for a follower that lags behind the leader's snapshot. (The leader sends
snapshots from replication.py, with the rest of what it sends.)"""

from __future__ import annotations

from labrpc import handler
from raft.core import RaftCore
from raft.messages import ApplyMsg, InstallSnapshotArgs, InstallSnapshotReply


class Snapshots(RaftCore):
    def snapshot(self, index: int, snapshot: bytes) -> None:
        """The service has saved its state up through index in ``snapshot``: drop the log
        up through index (handout 2D). A snapshot older than ours is ignored."""
        with self.mu:
            if index <= self.log.snapshot_index:
                return
            if index > self.last_applied:
                raise ValueError(
                    f"S{self.me}: snapshot at {index} covers unapplied entries (applied {self.last_applied})"
                )
            self.log.compact_to(index)
            self._persist_locked(snapshot)
            self._event_locked("snap-taken", index=index)

    def cond_install_snapshot(self, last_included_term: int, last_included_index: int, snapshot: bytes) -> bool:
        """Vestigial in 2022 (the handout: "simply return true"): Raft already installed the
        snapshot when InstallSnapshot arrived, and hands it to the service in log order."""
        return True

    # --- follower side ---------------------------------------------------------------------

    @handler
    def install_snapshot(self, args: InstallSnapshotArgs) -> InstallSnapshotReply:
        """Figure 13, InstallSnapshot receiver (the whole snapshot in one RPC)."""
        with self.mu:
            self._observe_term_locked(args.term)
            reply = InstallSnapshotReply(self.current_term)
            if args.term < self.current_term:
                self._log_locked(
                    "DROP",
                    "rejected InstallSnapshot(T%d from S%d at %d): stale term",
                    args.term,
                    args.leader_id,
                    args.last_included_index,
                )
                return reply  # rule 1
            self._hear_from_leader_locked(args.leader_id)
            if args.last_included_index <= self.commit_index:
                return reply  # we already hold everything it covers
            # Rules 6-7: keep entries after the snapshot if our log agrees at its end.
            self.log.reset_to_snapshot(args.last_included_index, args.last_included_term)
            self._commit_to_locked(args.last_included_index)
            self._persist_locked(args.data)
            self.pending_snapshot = ApplyMsg(
                snapshot_valid=True,
                snapshot=args.data,
                snapshot_term=args.last_included_term,
                snapshot_index=args.last_included_index,
            )
            self._event_locked("snap-installed", leader=args.leader_id, index=args.last_included_index)
            return reply
