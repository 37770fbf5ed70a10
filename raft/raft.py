"""The Raft peer: figure 2's state, role changes, and the API the tester and kvraft drive.

    rf = make(peers, me, persister, apply_ch)   # returns at once; threads do the work
    rf.start(command) -> (index, term, is_leader)
    rf.get_state() -> (term, is_leader)
    rf.snapshot(index, snapshot)                  # the service has applied up through index
    rf.cond_install_snapshot(term, index, snapshot) -> True   (vestigial in 2022)
    rf.kill()

Where things live (one module per concern, each a subclass of core.py's RaftCore, none
calling into a sibling; Raft joins them):
    core.py         RaftCore: figure 2's state, role changes, the term rule, commit_index's
                    one door, persistence, sending an RPC, logging
    election.py     ticker, RequestVote both sides
    replication.py  start(), one replicator per follower, AppendEntries both sides, the commit
                    rule, sending a snapshot to a follower that needs one
    snapshot.py     snapshot(), the InstallSnapshot receiver
    apply.py        the applier thread that sends committed entries on apply_ch
    log.py          RaftLog: the log with its snapshot offset (all index arithmetic) and the
                    AppendEntries receiver's rules 2-4 and fast back-up hint
    progress.py     PeerProgress: the leader's next_index / match_index for one follower
    persist.py      what is saved, and reading it back after a crash

Concurrency: one mutex ``mu`` per peer guards all of its state. Conditions on ``mu`` wake
the ticker, the applier and each replicator. ``mu`` is never held across an RPC, a send on
apply_ch or a sleep: arguments are built under the lock, the call is made without it, and
the reply is checked against the (possibly changed) term and role after re-locking.
"""

from __future__ import annotations

import runtime
from labrpc import Channel, ClientEnd
from raft.apply import Applier
from raft.election import Election
from raft.messages import ApplyMsg
from raft.persister import Persister
from raft.replication import Replication
from raft.snapshot import Snapshots


class Raft(Election, Replication, Snapshots, Applier):
    """A Raft peer. Constructing one starts no thread (so tests can drive its rules by hand);
    make() constructs it and starts its threads."""

    def start_threads(self) -> None:
        """Start the peer's threads: the ticker, the applier, one replicator per follower.
        Each exits once the peer is killed."""
        name = f"S{self.me}"
        runtime.go(self._ticker, name=f"{name}-ticker")
        runtime.go(self._applier, name=f"{name}-applier")
        for peer in self.replicate_conds:
            runtime.go(self._replicator, peer, name=f"{name}-repl-S{peer}")


def make(peers: list[ClientEnd], me: int, persister: Persister, apply_ch: Channel[ApplyMsg]) -> Raft:
    """The course's Make(): a Raft peer at peers[me], restored from persister, its threads
    running; returns at once."""
    rf = Raft(peers, me, persister, apply_ch)
    rf.start_threads()
    return rf
