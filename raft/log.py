"""RaftLog: the log and its snapshot offset, with all index arithmetic in one place.

Indexes are Raft's (the first entry ever is 1). After a snapshot the log begins at
``snapshot_index + 1``; slot 0 of the list is a dummy entry that holds the snapshot's last
included index and term, so ``term_at(snapshot_index)`` still answers, as the consistency
check for the first entry after a snapshot needs.

Invariant: snapshot_index <= last_index; the entry at list position p has index
snapshot_index + p.

Each entry is also kept encoded (a codec part) in one growing buffer, made once when it
enters the log (for an entry received from the leader: the bytes the leader made), so
persisting a long log copies bytes instead of re-encoding every entry each time (which made
every start() cost O(log length) in Python code), and AppendEntries carries the same bytes
(encoded_entries_from) instead of encoding each entry again for every follower and every
send. Encoding first also makes append() all or nothing: a command the codec refuses is
refused before anything changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from labrpc import codec
from raft.messages import LogEntry

# Where an entry sits in what carries it: PersistentState or AppendEntriesArgs (depth 0), its
# entries list (1), the entry (2).
ENTRY_DEPTH = 2


class IndexCompacted(LookupError):
    """The index lies inside the snapshot: its entry is gone."""


@dataclass(frozen=True)
class Accepted:
    """What maybe_append did with an AppendEntries whose consistency check passed."""

    last_new_index: int  # the last index the RPC vouches for: receiver rule 5's bound on commit_index
    changed: bool  # whether the log changed (and must be persisted before the reply)


@dataclass(frozen=True)
class ConflictHint:
    """Fast back-up (the lab handout's hint): what a follower tells the leader when its
    consistency check fails, so the leader can skip a whole conflicting term at once."""

    x_term: int  # term of the follower's entry at prev_log_index, or -1 if its log is too short
    x_index: int  # the follower's first index of x_term (-1 with x_term)
    x_len: int  # the follower's log length: its last index + 1


class RaftLog:
    def __init__(self, snapshot_index: int = 0, snapshot_term: int = 0, entries: list[LogEntry] | None = None) -> None:
        self._entries: list[LogEntry] = [LogEntry(snapshot_term, None)]
        # The encodings of _entries[1:], back to back; entry p ends at _ends[p] (the dummy
        # entry 0 is not encoded: _ends[0] == 0).
        self._encoded = bytearray()
        self._ends: list[int] = [0]
        self.snapshot_index = snapshot_index
        self.append(entries or [])

    # --- reading ---------------------------------------------------------------------------

    @property
    def snapshot_term(self) -> int:
        return self._entries[0].term

    @property
    def last_index(self) -> int:
        return self.snapshot_index + len(self._entries) - 1

    @property
    def last_term(self) -> int:
        return self._entries[-1].term

    def term_at(self, index: int) -> int:
        if index < self.snapshot_index:
            raise IndexCompacted(f"index {index} is compacted into the snapshot at {self.snapshot_index}")
        if index > self.last_index:
            raise IndexError(f"index {index} is past the last index {self.last_index}")
        return self._entries[index - self.snapshot_index].term

    def entry(self, index: int) -> LogEntry:
        if not self.snapshot_index < index <= self.last_index:
            raise IndexError(f"no entry {index}: the log holds ({self.snapshot_index}, {self.last_index}]")
        return self._entries[index - self.snapshot_index]

    def entries_from(self, lo: int, hi: int | None = None) -> list[LogEntry]:
        """The entries with indexes in [lo, hi) (hi defaults to past the end); lo > snapshot_index."""
        if lo <= self.snapshot_index:
            raise IndexCompacted(f"entries from {lo} are compacted into the snapshot at {self.snapshot_index}")
        end = len(self._entries) if hi is None else hi - self.snapshot_index
        return self._entries[lo - self.snapshot_index : end]

    def is_up_to_date(self, last_log_index: int, last_log_term: int) -> bool:
        """§5.4.1: is a log ending at (last_log_index, last_log_term) at least as up-to-date
        as ours? The later last term wins; with equal terms, the longer log."""
        if last_log_term != self.last_term:
            return last_log_term > self.last_term
        return last_log_index >= self.last_index

    def first_index_of_term(self, index: int) -> int:
        """The first index (after the snapshot) holding the same term as ``index``."""
        term = self.term_at(index)
        while index - 1 > self.snapshot_index and self.term_at(index - 1) == term:
            index -= 1
        return index

    def last_index_of_term(self, term: int) -> int | None:
        """The last index holding ``term``, or None if the log (after the snapshot) has none."""
        for index in range(self.last_index, self.snapshot_index, -1):
            t = self.term_at(index)
            if t == term:
                return index
            if t < term:
                return None
        return None

    # --- AppendEntries receiver rules 2-4 (figure 2) -------------------------------------

    def maybe_append(
        self, prev_index: int, prev_term: int, entries: list[LogEntry], commit_index: int
    ) -> Accepted | None:
        """Receiver rule 2: None, changing nothing, unless the log holds an entry at
        prev_index of prev_term. Rules 3-4: then delete an existing entry that conflicts
        with a new one (same index, different term) and all that follow it, and append the
        new entries not already in the log. Entries that match stay: a stale, reordered RPC
        must not cut off entries a later one appended. The part of the batch our snapshot
        already covers is committed, so it matches and is skipped.

        Raises AssertionError if a conflict lies at or below commit_index: a committed entry
        is never overwritten (§5.4, Leader Completeness), so a leader sending one is broken."""
        if prev_index < self.snapshot_index:
            skip = self.snapshot_index - prev_index
            prev_index, prev_term, entries = self.snapshot_index, self.snapshot_term, entries[skip:]
        if not self.has_entry(prev_index, prev_term):
            return None
        conflict = self._first_conflict(prev_index + 1, entries)
        last_new_index = prev_index + len(entries)
        if conflict is None:
            return Accepted(last_new_index, changed=False)
        if conflict <= self.last_index:
            if conflict <= commit_index:
                raise AssertionError(f"conflict at committed index {conflict} (commit_index {commit_index})")
            self.truncate_from(conflict)
        self.append(entries[conflict - prev_index - 1 :])
        return Accepted(last_new_index, changed=True)

    def has_entry(self, index: int, term: int) -> bool:
        """Does the log hold an entry at index with this term? Index snapshot_index counts
        (its term is the snapshot's); indexes inside the snapshot do not."""
        return self.snapshot_index <= index <= self.last_index and self.term_at(index) == term

    def _first_conflict(self, first_index: int, entries: list[LogEntry]) -> int | None:
        """The index of the first of entries (starting at first_index) that the log lacks or
        holds with another term; None if the log already holds them all."""
        for offset, entry in enumerate(entries):
            index = first_index + offset
            if index > self.last_index or self.term_at(index) != entry.term:
                return index
        return None

    def conflict_hint(self, prev_index: int) -> ConflictHint:
        """What to tell a leader whose consistency check at prev_index failed (prev_index is
        past our snapshot: maybe_append matched anything earlier)."""
        if prev_index > self.last_index:
            return ConflictHint(-1, -1, self.last_index + 1)
        return ConflictHint(self.term_at(prev_index), self.first_index_of_term(prev_index), self.last_index + 1)

    def next_index_after_conflict(self, hint: ConflictHint) -> int:
        """The leader's side of fast back-up: where to resume sending to a follower that
        rejected us. Its log too short: resume at its length. We hold x_term: resume after
        our last entry of x_term. We lack x_term: resume at its first x_term entry."""
        if hint.x_term == -1:
            return hint.x_len
        last = self.last_index_of_term(hint.x_term)
        return last + 1 if last is not None else hint.x_index

    # --- changing --------------------------------------------------------------------------

    def append(self, entries: list[LogEntry]) -> None:
        """Append entries; raise CodecError (naming the bad field) and change nothing if the
        codec cannot carry one of them."""
        parts = [codec.remembered_part(e, ENTRY_DEPTH) or codec.encode_part(e, ENTRY_DEPTH, "entry") for e in entries]
        for part in parts:  # first: a buffer being viewed (encoded_tail) refuses to grow
            self._encoded += part
            self._ends.append(len(self._encoded))
        self._entries.extend(entries)

    def truncate_from(self, index: int) -> None:
        """Delete the entry at index and all that follow it (figure 2, AppendEntries 3)."""
        if index <= self.snapshot_index:
            raise IndexCompacted(f"cannot truncate at {index}: committed into the snapshot at {self.snapshot_index}")
        position = index - self.snapshot_index
        del self._entries[position:]
        del self._encoded[self._ends[position - 1] :]
        del self._ends[position:]

    def compact_to(self, index: int) -> None:
        """Drop the entries up through index, which a snapshot now covers (§7)."""
        if not self.snapshot_index < index <= self.last_index:
            raise IndexError(f"cannot compact to {index}: the log holds ({self.snapshot_index}, {self.last_index}]")
        term = self.term_at(index)
        position = index - self.snapshot_index
        cut = self._ends[position]
        self._entries = [LogEntry(term, None)] + self._entries[position + 1 :]
        del self._encoded[:cut]
        self._ends = [0] + [end - cut for end in self._ends[position + 1 :]]
        self.snapshot_index = index

    def reset_to_snapshot(self, index: int, term: int) -> None:
        """Install a snapshot ending at (index, term) from the leader (figure 13, rules 6-7):
        keep the entries that follow it if our log holds the same entry, else discard all."""
        if self.snapshot_index < index <= self.last_index and self.term_at(index) == term:
            self.compact_to(index)
            return
        self._entries = [LogEntry(term, None)]
        self._encoded = bytearray()
        self._ends = [0]
        self.snapshot_index = index

    # --- encoded, for persisting and sending ------------------------------------------------

    def encoded_entries_from(self, lo: int) -> codec.Encoded:
        """The entries from index lo to the end, as an encoded list of LogEntry (lo > snapshot_index)."""
        if lo <= self.snapshot_index:
            raise IndexCompacted(f"entries from {lo} are compacted into the snapshot at {self.snapshot_index}")
        position = min(lo - self.snapshot_index, len(self._entries))
        start = self._ends[position - 1]
        return codec.encoded_list(len(self._entries) - position, self._encoded[start:])  # a copy

    def encoded_tail(self) -> codec.Encoded:
        """The entries after the snapshot, as an encoded list of LogEntry, for a with block
        only (``with log.encoded_tail() as entries``): it views the log's buffer rather than
        copying it (persisting a long log copied it three times), and the buffer cannot grow
        until the block ends."""
        return codec.encoded_list(len(self._entries) - 1, memoryview(self._encoded))

    def __str__(self) -> str:
        return f"log(snap=({self.snapshot_index},T{self.snapshot_term}) last=({self.last_index},T{self.last_term}))"
