"""PeerProgress: what a leader knows about one follower (figure 2's next_index and
match_index) plus its replicator's bookkeeping."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PeerProgress:
    # Invariant: match_index < next_index.
    next_index: int  # index of the next entry to send to the follower
    match_index: int = 0  # highest index known to be replicated on the follower
    heartbeat_at: float = 0.0  # runtime.now() when the next heartbeat is due
    in_flight: int = 0  # RPCs sent and not yet answered (or lost)
    # After a lost RPC, wait for the next heartbeat rather than resend at once, so an
    # unreachable follower costs at most ten RPCs a second.
    paused: bool = False

    def maybe_update(self, match_index: int) -> bool:
        """A follower acknowledged entries up through match_index. Returns False for a stale
        (reordered) acknowledgement that tells us nothing new."""
        self.paused = False
        if match_index <= self.match_index:
            self.next_index = max(self.next_index, self.match_index + 1)
            return False
        self.match_index = match_index
        self.next_index = max(self.next_index, match_index + 1)
        return True

    def maybe_back_up(self, rejected_prev_index: int, next_index: int) -> bool:
        """A follower rejected the AppendEntries whose prev_log_index was rejected_prev_index;
        fast back-up says to retry from next_index. Returns False, changing nothing, for a
        stale or reordered rejection (one not sent from the current next_index): acting on
        it could move next_index back past entries the follower has since accepted. Never
        backs up to or below match_index, which the follower holds."""
        if rejected_prev_index + 1 != self.next_index:
            return False
        self.paused = False
        self.next_index = max(self.match_index + 1, min(next_index, self.next_index))
        return True

    def __str__(self) -> str:
        state = " paused" if self.paused else ""
        return f"match={self.match_index} next={self.next_index} inflight={self.in_flight}{state}"
