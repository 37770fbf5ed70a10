"""The applier: hands committed entries, and installed snapshots, to the service in log
order on apply_ch, without holding the lock while it waits for the service to take them.

A batch goes out with send_each: the service receives one ApplyMsg per entry, each when it
asks, as from a loop of sends, but the applier sleeps once for the batch instead of trading
a thread switch with the service for every entry (which was most of a command's cost)."""

from __future__ import annotations

from labrpc import ChannelClosed
from raft.core import RaftCore
from raft.messages import ApplyMsg


class Applier(RaftCore):
    def _applier(self) -> None:
        while True:
            with self.mu:
                batch = self._next_batch_locked()
            if batch is None:
                return
            try:
                self.apply_ch.send_each(batch)  # blocks until the service has taken them all
            except ChannelClosed:
                return  # the service is gone (the tester closes apply_ch on a crash)

    def _next_batch_locked(self) -> list[ApplyMsg] | None:
        """Wait for something to apply; None once killed.

        A snapshot goes first: it supersedes every entry it covers, and the service must see
        it before the entries that follow it. last_applied advances here, when a batch is
        taken, so entries are never handed out twice.
        """
        while not self.killed():
            if self.pending_snapshot is not None:
                msg, self.pending_snapshot = self.pending_snapshot, None
                self.last_applied = max(self.last_applied, msg.snapshot_index)
                return [msg]
            if self.last_applied < self.commit_index:
                first = self.last_applied + 1
                entries = self.log.entries_from(first, self.commit_index + 1)
                self.last_applied = self.commit_index
                self._event_locked("apply", first=first, last=self.last_applied)
                return [
                    ApplyMsg(command_valid=True, command=e.command, command_index=first + i, command_term=e.term)
                    for i, e in enumerate(entries)
                ]
            self.apply_cond.wait()
        return None
