"""The Raft peer: figure 2's state, role changes, and the API the tester and kvraft drive.

    rf = make(peers, me, persister, apply_ch)   # returns at once; threads do the work
    rf.start(command) -> (index, term, is_leader)
    rf.get_state() -> (term, is_leader)
    rf.snapshot(index, snapshot)                  # the service has applied up through index
    rf.cond_install_snapshot(term, index, snapshot) -> True   (vestigial in 2022)
    rf.kill()

Where things live (one module per concern; Raft is assembled from their mixins):
    election.py     ticker, RequestVote both sides, becoming leader
    replication.py  start(), one replicator per follower, AppendEntries both sides, the commit rule
    snapshot.py     snapshot(), InstallSnapshot both sides
    persist.py      what is saved, and reading it back after a crash
    apply.py        the applier thread that sends committed entries on apply_ch
    log.py          RaftLog: the log with its snapshot offset (all index arithmetic)
    progress.py     PeerProgress: the leader's next_index / match_index for one follower

Concurrency: one mutex ``mu`` per peer guards all of its state. Conditions on ``mu`` wake
the ticker, the applier and each replicator. ``mu`` is never held across an RPC, a send on
apply_ch or a sleep: arguments are built under the lock, the call is made without it, and
the reply is checked against the (possibly changed) term and role after re-locking.
"""

from __future__ import annotations

from typing import Any

import runtime
from labrpc import Channel, ClientEnd, debug
from raft.apply import ApplierMixin
from raft.election import ElectionMixin
from raft.log import RaftLog
from raft.messages import ApplyMsg
from raft.persist import PersistenceMixin
from raft.persister import Persister
from raft.progress import PeerProgress
from raft.replication import ReplicationMixin
from raft.role import ELECTION_TIMEOUT_MAX_S, ELECTION_TIMEOUT_MIN_S, Role
from raft.snapshot import SnapshotMixin

class Raft(ElectionMixin, ReplicationMixin, SnapshotMixin, PersistenceMixin, ApplierMixin):
    def __init__(self, peers: list[ClientEnd], me: int, persister: Persister, apply_ch: Channel[ApplyMsg]) -> None:
        self.mu = runtime.Lock()
        self.peers = peers
        self.me = me
        self.persister = persister
        self.apply_ch = apply_ch
        self._dead = runtime.Event()

        # Figure 2, persistent state on all servers (saved by _persist_locked before any
        # reply or RPC that depends on it).
        self.current_term = 0  # latest term this server has seen
        self.voted_for: int | None = None  # candidate that received our vote in current_term
        self.log = RaftLog()  # log entries, with the snapshot offset

        # Figure 2, volatile state on all servers.
        self.commit_index = 0  # highest index known committed; commit_index <= log.last_index
        self.last_applied = 0  # highest index handed to the applier; last_applied <= commit_index

        # Volatile state on leaders, reinitialized after election: next_index and
        # match_index per follower, with the replicator's bookkeeping.
        self.progress: dict[int, PeerProgress] = {}

        self.role = Role.FOLLOWER
        self.leader_id: int | None = None  # who we last heard from as leader (for logs)
        self.election_deadline = 0.0  # runtime.now() after which a follower stands for election
        # A snapshot received by InstallSnapshot, waiting for the applier to hand it to the service.
        self.pending_snapshot: ApplyMsg | None = None

        # Conditions on mu, each woken by kill() as well:
        self.ticker_cond = runtime.Condition(self.mu)  # role changed (the ticker sleeps while leader)
        self.apply_cond = runtime.Condition(self.mu)  # commit_index advanced or a snapshot is pending
        # per follower: new entries to send, a reply came back, or we became leader
        self.replicate_conds = {peer: runtime.Condition(self.mu) for peer in range(len(peers)) if peer != me}

        with self.mu:
            self._read_persist_locked(persister.read_raft_state(), persister.read_snapshot())
            self._reset_election_timer_locked()
        name = f"S{me}"
        runtime.go(self._ticker, name=f"{name}-ticker")
        runtime.go(self._applier, name=f"{name}-applier")
        for peer in self.replicate_conds:
            runtime.go(self._replicator, peer, name=f"{name}-repl-S{peer}")

    # --- the API ---------------------------------------------------------------------------

    def get_state(self) -> tuple[int, bool]:
        """(current_term, is_leader). Racy by nature: either may change as soon as it returns."""
        with self.mu:
            return self.current_term, self.role is Role.LEADER

    def kill(self) -> None:
        """Stop this peer: every thread notices and exits. The owner of apply_ch closes it,
        which frees an applier blocked in send()."""
        with self.mu:
            self._dead.set()
            for cond in (self.ticker_cond, self.apply_cond, *self.replicate_conds.values()):
                cond.notify_all()
        self._log("LEAD", "killed")

    def killed(self) -> bool:
        return self._dead.is_set()

    # --- role changes: only these three write self.role ------------------------------------

    def _become_follower_locked(self, term: int) -> None:
        """Step down (or stay down) in ``term``. A new term clears our vote (figure 2)."""
        if term > self.current_term:
            self.current_term = term
            self.voted_for = None
            self._persist_locked()
        if self.role is Role.LEADER:
            # A leader's election timer does not run; without a fresh timeout a deposed
            # leader would stand for election at once and unseat the leader that replaced it.
            self._reset_election_timer_locked()
        if self.role is not Role.FOLLOWER:
            self._log_locked("LEAD", "became follower")
            self.role = Role.FOLLOWER
            self.ticker_cond.notify_all()

    def _become_candidate_locked(self) -> None:
        """Figure 2, candidates: increment current_term, vote for self, reset the timer."""
        assert self.role is not Role.LEADER, "a leader never becomes a candidate directly"
        self.current_term += 1
        self.voted_for = self.me
        self.role = Role.CANDIDATE
        self._persist_locked()
        self._reset_election_timer_locked()
        self._log_locked("LEAD", "became candidate")

    def _become_leader_locked(self) -> None:
        assert self.role is Role.CANDIDATE, f"only a candidate can become leader, not a {self.role.name}"
        self.role = Role.LEADER
        self.leader_id = self.me
        now = runtime.now()
        for peer in self.replicate_conds:
            self.progress[peer] = PeerProgress(next_index=self.log.last_index + 1, heartbeat_at=now)
        self._log_locked("LEAD", "became leader, log %s", self.log)
        for cond in self.replicate_conds.values():
            cond.notify()  # send the initial heartbeats now (figure 2, leaders)

    def _observe_term_locked(self, term: int) -> None:
        """Figure 2, all servers: if an RPC request or response contains term T >
        current_term, set current_term = T and convert to follower. Every RPC and reply
        handler calls this first, before its role-specific code."""
        if term > self.current_term:
            self._become_follower_locked(term)

    def _reset_election_timer_locked(self) -> None:
        timeout = ELECTION_TIMEOUT_MIN_S + runtime.random() * (ELECTION_TIMEOUT_MAX_S - ELECTION_TIMEOUT_MIN_S)
        self.election_deadline = runtime.now() + timeout

    # --- debug logging ---------------------------------------------------------------------

    def _log_locked(self, topic: str, fmt: str, *args: Any) -> None:
        if debug.enabled(topic):
            debug.log(topic, fmt % args if args else fmt, self.me, self.current_term, self.role.value)

    def _log(self, topic: str, fmt: str, *args: Any) -> None:
        if debug.enabled(topic):
            debug.log(topic, fmt % args if args else fmt, self.me)


def make(peers: list[ClientEnd], me: int, persister: Persister, apply_ch: Channel[ApplyMsg]) -> Raft:
    """The course's Make(): a Raft peer at peers[me], restored from persister; returns at once."""
    return Raft(peers, me, persister, apply_ch)
