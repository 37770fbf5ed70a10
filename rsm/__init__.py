"""rsm: a replicated state machine on Raft, the layer kvraft, shardctrler and shardkv share.

Cheat sheet:

    rsm = RSM(servers, me, persister, maxraftstate, sm, topic="KVSV")
                                         restores sm from the snapshot, starts Raft and the apply loop
    ok, result = rsm.submit(op, client_id, seq)
                                         a client's mutation: applied at most once per (client_id, seq)
    ok, result = rsm.submit(op)          anything else: a read, or an op sm deduplicates itself
        ok is True when op was committed and applied at the index Raft gave it (result is
        sm.apply(op)'s return, or None for a duplicate that was not applied again); False when
        this server is not the leader, loses leadership or its term changes, is killed, or
        gives up after APPLY_WAIT_S. False does NOT mean "not applied": the op may still
        commit later, so a client retries with the same (client_id, seq).
    rsm.is_duplicate(client_id, seq)     already applied? (racy: it can only turn True)
    rsm.mu                               guards sm: every sm method runs with it held; never
                                         hold it across submit() (which takes it)
    rsm.rf                               the Raft peer     rsm.kill()  rsm.killed()
    rsm.snapshots_taken                  statistics

    class StateMachine(Protocol):        what the application plugs in
        apply(op) -> result              a committed op, in log order, exactly once per log entry
        snapshot() -> value              its whole state as a codec value (plain values, registered dataclasses)
        restore(value) -> None           replace its state by what snapshot() returned

    DuplicateTable                       client_id -> highest seq applied; RSM keeps one for the
                                         ops submitted with a client_id, and a state machine that
                                         must own its table (shardkv: one per shard, moving with
                                         the shard) submits without one and uses its own
    CorruptSnapshotError                 a snapshot that cannot be read (a raft CorruptStateError)

rsm.py explains how an op travels, and when snapshots are taken.
"""

from rsm.dedup import DuplicateTable
from rsm.rsm import APPLY_WAIT_S, RSM, Command, CorruptSnapshotError, StateMachine

__all__ = ["APPLY_WAIT_S", "RSM", "Command", "CorruptSnapshotError", "DuplicateTable", "StateMachine"]
