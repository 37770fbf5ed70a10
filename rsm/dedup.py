"""Duplicate detection: which client operations have been applied already.

A clerk has one operation outstanding at a time and numbers its operations 1, 2, 3, ..., so
one int per client is enough: the highest seq applied. A request whose seq is not above it
is a retry of something already applied (handout 3A: "your scheme for duplicate detection
should free server memory quickly").
"""

from __future__ import annotations


class DuplicateTable:
    """client_id -> highest seq applied. Not thread-safe: its owner's lock guards it."""

    def __init__(self, last_seq: dict[int, int] | None = None) -> None:
        self.last_seq: dict[int, int] = dict(last_seq or {})

    def is_duplicate(self, client_id: int, seq: int) -> bool:
        return seq <= self.last_seq.get(client_id, 0)

    def record(self, client_id: int, seq: int) -> bool:
        """Note that (client_id, seq) is being applied; False, changing nothing, if it is a duplicate."""
        if self.is_duplicate(client_id, seq):
            return False
        self.last_seq[client_id] = seq
        return True

    def __repr__(self) -> str:
        return f"DuplicateTable({self.last_seq})"
