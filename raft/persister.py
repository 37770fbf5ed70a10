"""The Persister: where Raft (and kvraft) keep what must survive a crash.

As the course's persister.go: the tester hands a Persister to each new Raft instance, and
on a crash makes a copy for the next one, so a killed instance can never write to the state
its successor reads. save() writes the Raft state and the snapshot as one atomic pair.
Values are bytes, which are immutable, so callers always hold their own copy.
"""

from __future__ import annotations

import runtime


class Persister:
    def __init__(self) -> None:
        self._mu = runtime.Lock()
        self._raft_state = b""  # guarded by _mu, as is _snapshot
        self._snapshot = b""

    def copy(self) -> Persister:
        twin = Persister()
        with self._mu:
            twin._raft_state, twin._snapshot = self._raft_state, self._snapshot
        return twin

    def save_raft_state(self, raft_state: bytes) -> None:
        """Replace the Raft state, keeping the snapshot."""
        with self._mu:
            self._raft_state = bytes(raft_state)

    def save(self, raft_state: bytes, snapshot: bytes) -> None:
        """Replace the Raft state and the snapshot together, atomically."""
        with self._mu:
            self._raft_state, self._snapshot = bytes(raft_state), bytes(snapshot)

    def read_raft_state(self) -> bytes:
        with self._mu:
            return self._raft_state

    def read_snapshot(self) -> bytes:
        with self._mu:
            return self._snapshot

    def raft_state_size(self) -> int:
        with self._mu:
            return len(self._raft_state)

    def snapshot_size(self) -> int:
        with self._mu:
            return len(self._snapshot)
