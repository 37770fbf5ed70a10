"""What Raft saves, and reading it back after a crash (figure 2: persistent state)."""

from __future__ import annotations

from labrpc import codec
from raft.log import RaftLog
from raft.messages import LogEntry, PersistentState


class CorruptStateError(ValueError):
    """The persisted Raft state cannot be read."""


class PersistenceMixin:
    def _encode_state_locked(self) -> bytes:
        log = self.log
        return codec.encode(PersistentState(self.current_term, self.voted_for, log.snapshot_index,
                                            log.snapshot_term, log.encoded_tail()))

    def _persist_locked(self, snapshot: bytes | None = None) -> None:
        """Save current_term, voted_for and the log (and a new snapshot, if given) before
        anything that depends on them is said to another peer or to the service."""
        state = self._encode_state_locked()
        if snapshot is None:
            self.persister.save_raft_state(state)
        else:
            self.persister.save(state, snapshot)
        self._log_locked("PERS", "saved %d bytes%s", len(state), "" if snapshot is None else " with snapshot")

    def _read_persist_locked(self, data: bytes) -> None:
        """Restore from a crash. The service restores its own state from the snapshot, so
        everything up through the snapshot counts as committed and applied."""
        if not data:
            return  # a fresh server
        state = _decode_state(data)
        self.current_term = state.current_term
        self.voted_for = state.voted_for
        entries = [LogEntry(term, command) for term, command in state.entries]
        self.log = RaftLog(state.last_included_index, state.last_included_term, entries)
        self.commit_index = self.last_applied = state.last_included_index


def _decode_state(data: bytes) -> PersistentState:
    try:
        state = codec.decode(data)
    except codec.CodecError as e:
        raise CorruptStateError(f"corrupt persisted Raft state: {e}") from None
    if not isinstance(state, PersistentState) or not all(_is_entry(e) for e in state.entries):
        raise CorruptStateError(f"corrupt persisted Raft state: expected PersistentState, got {type(state).__name__}")
    return state


def _is_entry(value: object) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], int)
