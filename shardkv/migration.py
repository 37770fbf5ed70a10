"""The leader's background work: follow the controller's configurations, move shards.

Two loops per replica, both idle unless this replica leads its group:

    config poller   every POLL_INTERVAL_S: if the group is settled, ask the controller for
                    config.num + 1 and put it in the log (ConfigOp). First, in each new
                    term, a NoOp: Raft commits entries of earlier terms only by committing
                    one of its own (Fig. 2, the leaders' commit rule; §5.4.2). After a whole
                    group restarts, the entries it replays (a ConfigOp, an InstallShardOp)
                    would otherwise wait for a clerk's op, and none may come: the group
                    answers ErrWrongGroup for the shards those entries concern
    shard mover     every MOVE_INTERVAL_S: for each previous owner we still need something
                    from, one task (at most one at a time per group) that pulls our PULLING
                    shards (FetchShard, then InstallShardOp in our log) and has our
                    NOTIFYING shards deleted there (DeleteShard, then ShardSettledOp)

Tasks for different groups run in parallel, so a dead previous owner (TestChallenge2Partial
kills one) delays only the shards it holds.

Debug topics: CONF (configurations), MIGR (shards pulled and installed), GC (deletions).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import runtime
from labrpc import ClientEnd, debug
from shardctrler.client import ClerkClosed
from shardkv.common import OK, DeleteShardArgs, FetchShardArgs
from shardkv.store import ConfigOp, InstallShardOp, NoOp, ShardSettledOp, Transfer

if TYPE_CHECKING:
    from rsm import RSM
    from shardctrler.client import Clerk as CtrlerClerk
    from shardkv.store import ShardStore

# Handout 4B: "poll the shardctrler ... roughly every 100 milliseconds".
POLL_INTERVAL_S = 0.1
# How often the leader looks for shards to pull or to have deleted.
MOVE_INTERVAL_S = 0.05


class MigrationMixin:
    """Part of ShardKV (server.py); these fields are set in ShardKV.__init__."""

    me: int
    gid: int
    make_end: Callable[[str], ClientEnd]
    dead: runtime.Event
    store: ShardStore
    rsm: RSM
    ctrler: CtrlerClerk

    def _start_migration(self) -> None:
        self._moves_mu = runtime.Lock()
        self._ends: dict[str, ClientEnd] = {}  # server name -> end; guarded by _moves_mu
        self._busy_gids: set[int] = set()  # groups a transfer task is talking to; guarded by _moves_mu
        self._noop_term = 0  # the last term in which this replica put a NoOp in the log (poller only)
        runtime.go(self._poll_configs, name=f"G{self.gid}-S{self.me}-conf")
        runtime.go(self._move_shards, name=f"G{self.gid}-S{self.me}-migr")

    def _is_leader(self) -> bool:
        return self.rsm.rf.get_state()[1]

    # --- configurations --------------------------------------------------------------------

    def _poll_configs(self) -> None:
        while not self.dead.wait(POLL_INTERVAL_S):
            term, is_leader = self.rsm.rf.get_state()
            if not is_leader:
                continue
            if term != self._noop_term:
                ok, _ = self.rsm.submit(NoOp(term))
                if ok:
                    self._noop_term = term
            self._maybe_next_config()

    def _maybe_next_config(self) -> None:
        with self.rsm.mu:
            if not self.store.settled():
                return  # finish this change first: configs one at a time (handout 4B)
            want = self.store.config.num + 1
        try:
            config = self.ctrler.query(want)  # outside mu: it waits for the controller
        except ClerkClosed:
            return  # kill() closed the clerk while it retried
        if config.num != want:
            return  # no newer config (Query of a number past the latest gives the latest)
        ok, moved = self.rsm.submit(ConfigOp(config))
        if ok and moved:
            debug.event("config", self.me, group=self.gid, num=config.num, shards=config.shards)

    # --- shards ----------------------------------------------------------------------------

    def _move_shards(self) -> None:
        while not self.dead.wait(MOVE_INTERVAL_S):
            if not self._is_leader():
                continue
            with self.rsm.mu:
                transfers = self.store.transfers()
            for transfer in transfers:
                with self._moves_mu:
                    if transfer.gid in self._busy_gids:
                        continue
                    self._busy_gids.add(transfer.gid)
                runtime.go(self._transfer, transfer, name=f"G{self.gid}-S{self.me}-from-G{transfer.gid}")

    def _transfer(self, transfer: Transfer) -> None:
        try:
            for shard in transfer.pull:
                self._pull(transfer, shard)
            for shard in transfer.notify:
                self._notify(transfer, shard)
        finally:
            with self._moves_mu:
                self._busy_gids.discard(transfer.gid)

    def _pull(self, transfer: Transfer, shard: int) -> None:
        reply = self._call_group(transfer.servers, "ShardKV.FetchShard", FetchShardArgs(transfer.config_num, shard))
        if reply is None:
            return  # the previous owner is not there yet (or unreachable): next round
        ok, installed = self.rsm.submit(InstallShardOp(transfer.config_num, shard, reply.data, reply.last_seq))
        if ok and installed:
            debug.event(
                "shard-installed",
                self.me,
                group=self.gid,
                shard=shard,
                num=transfer.config_num,
                src=transfer.gid,
                keys=len(reply.data),
            )

    def _notify(self, transfer: Transfer, shard: int) -> None:
        reply = self._call_group(transfer.servers, "ShardKV.DeleteShard", DeleteShardArgs(transfer.config_num, shard))
        if reply is None:
            return
        ok, settled = self.rsm.submit(ShardSettledOp(transfer.config_num, shard))
        if ok and settled:
            debug.event("shard-settled", self.me, group=self.gid, shard=shard, src=transfer.gid)

    def _call_group(self, servers: list[str], method: str, args: Any) -> Any:
        """The first OK reply from the group's servers, tried in order; None if none says OK."""
        for name in servers:
            if self.dead.is_set():
                return None
            ok, reply = self._end(name).call(method, args)
            if ok and reply.err == OK:
                return reply
        return None

    def _end(self, name: str) -> ClientEnd:
        """One end per server name, made on first use: make_end creates a network end per call."""
        with self._moves_mu:
            end = self._ends.get(name)
        if end is None:
            made = self.make_end(name)  # outside _moves_mu: it takes the network's lock
            with self._moves_mu:
                end = self._ends.setdefault(name, made)
        return end
