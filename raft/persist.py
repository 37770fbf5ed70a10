"""What Raft saves, and reading it back after a crash (figure 2: persistent state)."""

from __future__ import annotations

from labrpc import codec
from raft.log import RaftLog
from raft.messages import LogEntry, PersistentState


class CorruptStateError(ValueError):
    """The persisted Raft state cannot be read."""


def encode_state(current_term: int, voted_for: int | None, log: RaftLog) -> bytes:
    """Figure 2's persistent state as bytes (the log's entries are already encoded)."""
    with log.encoded_tail() as entries:
        return codec.encode(PersistentState(current_term, voted_for, log.snapshot_index, log.snapshot_term, entries))


def decode_state(data: bytes, snapshot: bytes, peer_count: int) -> tuple[int, int | None, RaftLog] | None:
    """(current_term, voted_for, log) from what encode_state saved, or None for a fresh
    server (nothing saved). Raises CorruptStateError if the state is unreadable, or is one
    no Raft could have saved."""
    if not data:
        if snapshot:
            raise CorruptStateError(f"corrupt persisted Raft state: a {len(snapshot)}-byte snapshot but no Raft state")
        return None
    state = _decode_state(data)
    _check_state(state, peer_count, bool(snapshot))
    assert isinstance(state.entries, list), "_check_state refuses anything but a list"
    return (
        state.current_term,
        state.voted_for,
        RaftLog(state.last_included_index, state.last_included_term, state.entries),
    )


def _decode_state(data: bytes) -> PersistentState:
    try:
        state = codec.decode(data)
    except codec.CodecError as e:
        raise CorruptStateError(f"corrupt persisted Raft state: {e}") from None
    if not isinstance(state, PersistentState):
        raise CorruptStateError(f"corrupt persisted Raft state: expected PersistentState, got {type(state).__name__}")
    return state


def _check_state(state: PersistentState, peer_count: int, has_snapshot: bool) -> None:
    """Refuse a state that decodes but that no Raft could have saved (figure 2's invariants)."""
    problem = _first_problem(state, peer_count, has_snapshot)
    if problem:
        raise CorruptStateError(f"corrupt persisted Raft state: {problem}")


def _first_problem(state: PersistentState, peer_count: int, has_snapshot: bool) -> str | None:
    term, index, snapshot_term = state.current_term, state.last_included_index, state.last_included_term
    if not (_is_count(term) and _is_count(index) and _is_count(snapshot_term)):
        return (
            f"current_term {term!r}, last_included_index {index!r}, last_included_term {snapshot_term!r}: "
            "each must be an int >= 0"
        )
    if state.voted_for is not None and not (_is_count(state.voted_for) and state.voted_for < peer_count):
        return f"voted_for {state.voted_for!r} is not a peer (there are {peer_count})"
    if state.voted_for is not None and term == 0:
        return f"voted_for {state.voted_for} in term 0, where no election has been held"
    if (index == 0) != (snapshot_term == 0):
        return f"snapshot ends at index {index} with term {snapshot_term}: only index 0 has term 0"
    if index > 0 and not has_snapshot:
        return f"the state says a snapshot covers up through index {index}, but no snapshot is saved"
    if not isinstance(state.entries, list) or not all(_is_entry(e) for e in state.entries):
        return "entries must be a list of LogEntry with terms >= 1"
    terms = [snapshot_term] + [e.term for e in state.entries]
    for position, (before, after) in enumerate(zip(terms, terms[1:], strict=False)):  # neighbours
        if not before <= after <= term:
            return (
                f"entry {index + position + 1} has term {after}, after term {before}: log terms never "
                f"decrease, and none exceeds current_term {term}"
            )
    return None


def _is_count(value: object) -> bool:
    return type(value) is int and value >= 0


def _is_entry(value: object) -> bool:
    return isinstance(value, LogEntry) and type(value.term) is int and value.term >= 1
