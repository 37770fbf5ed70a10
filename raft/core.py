"""RaftCore: figure 2's state, declared once, and what every concern module builds on.

Each concern module (election.py, replication.py, snapshot.py, apply.py) subclasses this
class and reads and writes only the state declared here and its own methods: none calls
into a sibling. What they share lives here: the role changes (only the _become_* methods
write ``role``), the term rule every RPC obeys, the one place commit_index moves,
persistence, the one way an RPC leaves the peer, and debug logging.

Constructing a peer starts no thread (raft.py's make() starts them), so a test can build a
peer, call its handlers and rules directly, and look at its state
(tests/raft/test_raft_rules.py, tests/raft/scripted_cluster.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import runtime
from labrpc import Channel, ClientEnd, debug
from raft import persist
from raft.log import RaftLog
from raft.messages import ApplyMsg
from raft.persister import Persister
from raft.progress import PeerProgress
from raft.role import ELECTION_TIMEOUT_MAX_S, ELECTION_TIMEOUT_MIN_S, Role
from runtime.workers import Workers


class RaftCore:
    """One Raft peer's state. Every attribute below is guarded by ``mu`` unless it says
    otherwise; methods named ``*_locked`` expect the caller to hold ``mu``."""

    def __init__(self, peers: list[ClientEnd], me: int, persister: Persister, apply_ch: Channel[ApplyMsg]) -> None:
        # Fixed at construction, read without the lock.
        self.mu = runtime.Lock()
        self.peers = peers  # peers[i] reaches peer i; peers[me] is ourselves, never called
        self.me = me
        self.persister = persister  # where the persistent state and the snapshot are saved
        self.apply_ch = apply_ch  # committed entries and snapshots go to the service here, in order
        self._dead = runtime.Event()  # set by kill(); read without mu (an Event is thread-safe)
        self.senders = Workers(f"S{me}-rpc")  # the threads _send_locked's calls run on; thread-safe

        # Figure 2, persistent state on all servers: saved by _persist_locked before any reply
        # or RPC that depends on it.
        self.current_term = 0  # latest term this server has seen; never decreases
        self.voted_for: int | None = None  # candidate that received our vote in current_term
        self.log = RaftLog()  # log entries with the snapshot offset; terms never decrease along it
        # Entries start() appended that are not saved yet. A leader saves them once per batch,
        # before it sends them to a follower or counts them toward a majority: saving the
        # whole log on every start() made each command cost O(log length). Losing them in a
        # crash is what start() allows (no guarantee the command commits), as long as no
        # other peer has them. Only a leader has any, and a leader stops leading only on
        # seeing a higher term, which saves everything first.
        self.unsaved_appends = False

        # Figure 2, volatile state on all servers.
        # Highest index known committed: moves only through _commit_to_locked, forward only,
        # never past log.last_index.
        self.commit_index = 0
        self.last_applied = 0  # highest index handed to the applier; last_applied <= commit_index

        # Figure 2, volatile state on leaders, reinitialized after election: next_index and
        # match_index per follower (PeerProgress), with the replicator's bookkeeping.
        self.progress: dict[int, PeerProgress] = {}

        self.role = Role.FOLLOWER  # written only by the _become_* methods
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
            self._restore_locked(persister.read_raft_state(), persister.read_snapshot())
            self._reset_election_timer_locked()

    # --- the API every peer answers --------------------------------------------------------

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
        self.senders.stop()
        self._event("killed")

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
            self._event_locked("became", role="follower")
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
        self._event_locked("became", role="candidate")

    def _become_leader_locked(self) -> None:
        """Figure 2, leaders: next_index starts just past our last entry, match_index at 0;
        then heartbeats go out at once."""
        assert self.role is Role.CANDIDATE, f"only a candidate can become leader, not a {self.role.name}"
        self.role = Role.LEADER
        self.leader_id = self.me
        now = runtime.now()
        self.progress = {
            peer: PeerProgress(next_index=self.log.last_index + 1, heartbeat_at=now) for peer in self.replicate_conds
        }
        self._event_locked("became", text=self.log, role="leader")
        for cond in self.replicate_conds.values():
            cond.notify()

    # --- rules every RPC obeys -------------------------------------------------------------

    def _observe_term_locked(self, term: int) -> None:
        """Figure 2, all servers: if an RPC request or response contains term T >
        current_term, set current_term = T and convert to follower. Every RPC and reply
        handler calls this first, before its role-specific code."""
        if term > self.current_term:
            self._become_follower_locked(term)

    def _hear_from_leader_locked(self, leader_id: int) -> None:
        """A current leader spoke (AppendEntries or InstallSnapshot of our term): a candidate
        steps down (§5.2), and the election timer restarts (figure 2, followers)."""
        if self.role is Role.CANDIDATE:
            self._become_follower_locked(self.current_term)
        self.leader_id = leader_id
        self._reset_election_timer_locked()

    def _reset_election_timer_locked(self) -> None:
        timeout = ELECTION_TIMEOUT_MIN_S + runtime.random() * (ELECTION_TIMEOUT_MAX_S - ELECTION_TIMEOUT_MIN_S)
        self.election_deadline = runtime.now() + timeout

    def _commit_to_locked(self, index: int) -> None:
        """The one place commit_index moves. An index at or below it is old news (a stale
        or reordered RPC) and changes nothing; an index past the last entry means a rule
        above us is broken, and we stop rather than apply an entry we do not have."""
        if index <= self.commit_index:
            return
        if index > self.log.last_index:
            raise AssertionError(f"S{self.me}: commit_index {index} past the last index {self.log.last_index}")
        if self.unsaved_appends:
            self._persist_locked()  # our copy counted toward the majority: it must survive a crash
        self.commit_index = index
        self.apply_cond.notify()

    # --- talking to other peers ------------------------------------------------------------

    def _send_locked(
        self,
        peer: int,
        method: str,
        args: Any,
        on_reply: Callable[[Any], None],
        on_lost: Callable[[], None],
    ) -> None:
        """Send one RPC and return at once: a thread of its own (a reused one: see
        runtime/workers.py) makes the call without mu, then runs on_reply(reply), or
        on_lost() if the network lost it, holding mu. Every RPC a peer sends goes through
        here; the rule tests replace it with a mailbox they deliver by hand."""
        self.senders.run(self._call, peer, method, args, on_reply, on_lost)

    def _call(
        self, peer: int, method: str, args: Any, on_reply: Callable[[Any], None], on_lost: Callable[[], None]
    ) -> None:
        ok, reply = self.peers[peer].call(method, args)
        with self.mu:
            if ok:
                on_reply(reply)
            else:
                on_lost()

    # --- persistence (figure 2: persistent state) ------------------------------------------

    def _persist_locked(self, snapshot: bytes | None = None) -> None:
        """Save current_term, voted_for and the log (and a new snapshot, if given) before
        anything that depends on them is said to another peer or to the service."""
        state = persist.encode_state(self.current_term, self.voted_for, self.log)
        self.unsaved_appends = False
        if snapshot is None:
            self.persister.save_raft_state(state)
        else:
            self.persister.save(state, snapshot)
        self._log_locked("PERS", "saved %d bytes%s", len(state), "" if snapshot is None else " with snapshot")

    def _restore_locked(self, data: bytes, snapshot: bytes) -> None:
        """Restore from a crash. The service restores its own state from the snapshot, so
        everything up through the snapshot counts as committed and applied. Raises
        persist.CorruptStateError, leaving the persister as it was, if the state is
        unreadable or impossible."""
        restored = persist.decode_state(data, snapshot, len(self.peers))
        if restored is None:
            return  # a fresh server
        self.current_term, self.voted_for, self.log = restored
        self.commit_index = self.last_applied = self.log.snapshot_index

    # --- debug logging ---------------------------------------------------------------------

    def _log_locked(self, topic: str, fmt: str, *args: Any) -> None:
        if debug.enabled(topic):
            debug.log(topic, fmt % args if args else fmt, self.me, self.current_term, self.role.value)

    def _log(self, topic: str, fmt: str, *args: Any) -> None:
        if debug.enabled(topic):
            debug.log(topic, fmt % args if args else fmt, self.me)

    def _event_locked(self, name: str, text: object = "", **fields: Any) -> None:
        """A declared event (labrpc/debug.py's EVENTS: what the study tools draw), with
        this peer's term and role; text is an optional free phrase after the fields."""
        debug.event(name, self.me, self.current_term, self.role.value, text=text, **fields)

    def _event(self, name: str, **fields: Any) -> None:
        """An event without the lock: without term or role."""
        debug.event(name, self.me, **fields)
