"""What Raft peers say to each other (figure 2's RPCs, plus §7's InstallSnapshot) and
what Raft tells its service (ApplyMsg). Field names are the paper's, in PEP 8 form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labrpc import codec


@codec.remember_parts  # a follower stores the bytes the leader encoded, not encoding them again
@codec.register
@dataclass(frozen=True)
class LogEntry:
    term: int
    command: Any

    def __str__(self) -> str:
        return f"(T{self.term} {self.command!r:.20})"


@codec.register
@dataclass
class RequestVoteArgs:
    term: int  # candidate's term
    candidate_id: int
    last_log_index: int  # index of candidate's last log entry (§5.4)
    last_log_term: int  # term of candidate's last log entry (§5.4)


@codec.register
@dataclass
class RequestVoteReply:
    term: int  # current_term, for the candidate to update itself
    vote_granted: bool


@codec.register
@dataclass
class AppendEntriesArgs:
    term: int  # leader's term
    leader_id: int
    prev_log_index: int  # index of the log entry immediately preceding the new ones
    prev_log_term: int  # term of the prev_log_index entry
    # Empty for a heartbeat. The leader sends its log's encoded entries (codec.Encoded, each
    # entry encoded once, when it entered the log); a follower receives a list.
    entries: list[LogEntry] | codec.Encoded
    leader_commit: int  # leader's commit_index

    def __str__(self) -> str:
        return (
            f"AE(T{self.term} from S{self.leader_id} prev=({self.prev_log_index},T{self.prev_log_term}) "
            f"n={len(self.entries)} commit={self.leader_commit})"
        )


@codec.register
@dataclass
class AppendEntriesReply:
    term: int  # current_term, for the leader to update itself
    success: bool  # true if the follower held an entry matching prev_log_index and prev_log_term
    # Fast back-up (the lab handout's hint), filled in on a failed consistency check:
    x_term: int  # term of the conflicting entry, or -1 if the follower's log is too short
    x_index: int  # the follower's first index of x_term
    x_len: int  # the follower's log length: its last index + 1


@codec.register
@dataclass
class InstallSnapshotArgs:
    term: int  # leader's term
    leader_id: int
    last_included_index: int  # the snapshot replaces all entries up through this index
    last_included_term: int  # term of last_included_index
    data: bytes  # the service's snapshot (figure 13 sends it in chunks; we send it whole)


@codec.register
@dataclass
class InstallSnapshotReply:
    term: int  # current_term, for the leader to update itself


@dataclass(slots=True)
class ApplyMsg:
    """What Raft sends on apply_ch: a committed command, or a snapshot to install."""

    command_valid: bool = False
    command: Any = None
    command_index: int = 0
    command_term: int = 0

    snapshot_valid: bool = False
    snapshot: bytes = b""
    snapshot_term: int = 0
    snapshot_index: int = 0


@codec.register
@dataclass
class PersistentState:
    """Figure 2's persistent state on all servers, plus the snapshot's place in the log."""

    current_term: int
    voted_for: int | None
    last_included_index: int
    last_included_term: int
    # The entries after last_included_index: decoding gives the list; saving passes RaftLog's
    # already-encoded list (codec.Encoded), spliced in as is.
    entries: list[LogEntry] | codec.Encoded
