"""ShardStore: the state machine one replica group replicates through its Raft log.

    store = ShardStore(gid)          config 0, no shards
    store.apply(op) -> result        every log entry, in order (rsm calls it with rsm.mu held)
    store.snapshot() / restore(v)    the whole state, for rsm's snapshots
    store.serves(shard)              may a client op on this shard be applied now?
    store.settled()                  may the next configuration be applied now?
    store.transfers()                what the migration loops must do, by other group

The log holds six kinds of entry (handout 4B: "process re-configurations one at a time, in
order", each through the group's own Raft log, so every replica moves through the same
configurations at the same log position):

    ClientOp          a clerk's Get/Put/Append
    ConfigOp          the next configuration (config.num + 1), applied only when settled()
    InstallShardOp    a shard's data and duplicate table, pulled from its previous owner
    DeleteShardOp     the new owner has the shard: the previous owner drops it (challenge 1)
    ShardSettledOp    the previous owner has dropped it: the new owner stops telling it to
    NoOp              a new leader's first entry (see migration.py), changes nothing

Each shard this group holds is in one of four states:

    SERVING     owned in the current config, data here: clients are served
    PULLING     owned in the current config, data still at the previous owner: ErrWrongGroup
    NOTIFYING   owned and here, so served (challenge 2: serve a shard as soon as it arrives),
                but the previous owner has not yet confirmed that it dropped its copy
    OFFERING    no longer owned: kept, frozen, until the new owner has pulled it and asks
                us to delete it

A shard that is neither owned nor OFFERING is absent. The group is settled when every shard
it holds is SERVING; until then it keeps its current config (the next config may move a
shard whose move in this one is unfinished). Shards unaffected by an unfinished change stay
SERVING and are served throughout (challenge 2).

Duplicate detection is per shard: each shard carries its own DuplicateTable, which travels
with its data, so a Put/Append retried at the new owner after the shard moved still applies
once (handout 4B: "at-most-once semantics ... across shard movement").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NoReturn

from labrpc import codec
from rsm import CorruptSnapshotError, DuplicateTable
from shardctrler.common import N_SHARDS, Config
from shardkv.common import APPEND, ERR_NO_KEY, ERR_NOT_READY, ERR_WRONG_GROUP, GET, OK, PUT, key2shard

SERVING = "serving"
PULLING = "pulling"
NOTIFYING = "notifying"
OFFERING = "offering"

# The states in which clients are served (and their ops on the shard applied).
SERVED_STATES = (SERVING, NOTIFYING)


@codec.register
@dataclass
class ClientOp:
    """A clerk's operation, as the group's Raft replicates it."""

    kind: str  # GET, PUT or APPEND
    key: str
    value: str  # "" for GET
    client_id: int
    seq: int


@codec.register
@dataclass
class NoOp:
    term: int  # the term of the leader that proposed it


@codec.register
@dataclass
class ConfigOp:
    config: Config  # the configuration that follows the group's current one


@codec.register
@dataclass
class InstallShardOp:
    config_num: int  # the configuration in which the shard moved here
    shard: int
    data: dict[str, str] = field(default_factory=dict)
    last_seq: dict[int, int] = field(default_factory=dict)


@codec.register
@dataclass
class DeleteShardOp:
    config_num: int  # the configuration in which the shard moved away from here
    shard: int


@codec.register
@dataclass
class ShardSettledOp:
    config_num: int  # the configuration in which the shard moved here
    shard: int


class Shard:
    """One shard as this group holds it: its state, its keys and its duplicate table."""

    def __init__(self, state: str, data: dict[str, str] | None = None, dedup: DuplicateTable | None = None) -> None:
        self.state = state
        self.data: dict[str, str] = data if data is not None else {}
        self.dedup = dedup if dedup is not None else DuplicateTable()

    def __repr__(self) -> str:
        return f"Shard({self.state}, {len(self.data)} keys)"


@dataclass
class Transfer:
    """Work for the migration loop with one other group, all in one configuration."""

    gid: int  # the other group: the previous owner of the shards below
    servers: list[str]  # its servers, as the previous configuration names them
    config_num: int
    pull: list[int] = field(default_factory=list)  # PULLING shards to fetch from it
    notify: list[int] = field(default_factory=list)  # NOTIFYING shards it must drop


def zero_config() -> Config:
    """Configuration 0: no groups, every shard on the invalid gid 0."""
    return Config(num=0, shards=[0] * N_SHARDS, groups={})


class ShardStore:
    """Not thread-safe: rsm.mu guards it (rsm calls apply/snapshot/restore with it held)."""

    def __init__(self, gid: int) -> None:
        self.gid = gid
        self.config = zero_config()  # the configuration this group has reached
        self.prev_config = zero_config()  # the one before: who owned each shard until now
        self.shards: dict[int, Shard] = {}  # shard -> its state here; absent when not held

    # --- questions the handlers and loops ask ----------------------------------------------

    def serves(self, shard: int) -> bool:
        held = self.shards.get(shard)
        return held is not None and held.state in SERVED_STATES

    def settled(self) -> bool:
        return all(held.state == SERVING for held in self.shards.values())

    def is_duplicate(self, shard: int, client_id: int, seq: int) -> bool:
        """Has this Put/Append been applied? Only meaningful while the shard is served."""
        held = self.shards.get(shard)
        return held is not None and held.dedup.is_duplicate(client_id, seq)

    def offered(self, config_num: int, shard: int) -> Shard | None:
        """The shard, if it is waiting here for its new owner of config config_num."""
        held = self.shards.get(shard)
        if self.config.num == config_num and held is not None and held.state == OFFERING:
            return held
        return None

    def transfers(self) -> list[Transfer]:
        """The pulls and deletions this group still needs, one Transfer per previous owner."""
        by_gid: dict[int, Transfer] = {}
        for shard, held in sorted(self.shards.items()):
            if held.state not in (PULLING, NOTIFYING):
                continue
            gid = self.prev_config.shards[shard]
            transfer = by_gid.get(gid)
            if transfer is None:
                servers = list(self.prev_config.groups.get(gid, []))
                transfer = by_gid[gid] = Transfer(gid, servers, self.config.num)
            (transfer.pull if held.state == PULLING else transfer.notify).append(shard)
        return list(by_gid.values())

    # --- the state machine -----------------------------------------------------------------

    def apply(self, op: Any) -> Any:
        if isinstance(op, ClientOp):
            return self._apply_client_op(op)
        if isinstance(op, ConfigOp):
            return self._apply_config(op.config)
        if isinstance(op, InstallShardOp):
            return self._apply_install(op)
        if isinstance(op, DeleteShardOp):
            return self._apply_delete(op)
        if isinstance(op, ShardSettledOp):
            return self._apply_settled(op)
        if isinstance(op, NoOp):
            return None
        raise TypeError(
            f"shardkv: unknown log entry {op!r}; expecting ClientOp, ConfigOp, InstallShardOp, "
            f"DeleteShardOp, ShardSettledOp or NoOp"
        )

    def _apply_client_op(self, op: ClientOp) -> tuple[str, str]:
        """(err, value). Checked again here, not only in the handler: a config change may have
        been applied between the handler's check and this entry."""
        shard = key2shard(op.key)
        if not self.serves(shard):
            return ERR_WRONG_GROUP, ""
        held = self.shards[shard]
        if op.kind == GET:
            value = held.data.get(op.key)
            return (OK, value) if value is not None else (ERR_NO_KEY, "")
        if held.dedup.record(op.client_id, op.seq):
            if op.kind == PUT:
                held.data[op.key] = op.value
            elif op.kind == APPEND:
                held.data[op.key] = held.data.get(op.key, "") + op.value
        return OK, ""

    def _apply_config(self, config: Config) -> bool:
        """Move to config if it is the next one and the current one is finished; whether it did."""
        if config.num != self.config.num + 1 or not self.settled():
            return False  # a duplicate proposal, or one made by a leader that was behind
        for shard in range(N_SHARDS):
            was_mine = self.config.shards[shard] == self.gid
            is_mine = config.shards[shard] == self.gid
            if is_mine and not was_mine:
                # From gid 0 (config 1, or after every group had left) there is nothing to
                # pull: the shard starts empty.
                self.shards[shard] = Shard(SERVING if self.config.shards[shard] == 0 else PULLING)
            elif was_mine and not is_mine:
                if config.shards[shard] == 0:
                    del self.shards[shard]  # every group left: no one will ever pull it
                else:
                    self.shards[shard].state = OFFERING
        self.prev_config, self.config = self.config, config
        return True

    def _apply_install(self, op: InstallShardOp) -> bool:
        held = self.shards.get(op.shard)
        if self.config.num != op.config_num or held is None or held.state != PULLING:
            return False  # installed already (a retried pull), or a stale leader's proposal
        # Copies: the op stays in the Raft log (and may be encoded again) while we append.
        self.shards[op.shard] = Shard(NOTIFYING, dict(op.data), DuplicateTable(op.last_seq))
        return True

    def _apply_delete(self, op: DeleteShardOp) -> str:
        """OK once the shard is gone (now or earlier); ERR_NOT_READY if we have not reached
        the config in which it moved."""
        if self.config.num < op.config_num:
            return ERR_NOT_READY
        if self.offered(op.config_num, op.shard) is not None:
            del self.shards[op.shard]
        return OK

    def _apply_settled(self, op: ShardSettledOp) -> bool:
        held = self.shards.get(op.shard)
        if self.config.num != op.config_num or held is None or held.state != NOTIFYING:
            return False
        held.state = SERVING
        return True

    # --- snapshots -------------------------------------------------------------------------

    def snapshot(self) -> Any:
        """Compact on purpose (TestChallenge1Delete allows about 2000 bytes per server beyond
        the values): plain tuples, no class names."""
        shards = {s: (held.state, held.data, held.dedup.last_seq) for s, held in self.shards.items()}
        return self.config, self.prev_config, shards

    def restore(self, value: Any) -> None:
        """Adopt what snapshot() returned; CorruptSnapshotError, changing nothing, for anything else."""
        config, prev_config, shards = _checked_snapshot(value)
        self.config, self.prev_config = config, prev_config
        self.shards = {
            s: Shard(state, dict(data), DuplicateTable(last_seq)) for s, (state, data, last_seq) in shards.items()
        }


_SHARD_STATES = (SERVING, PULLING, NOTIFYING, OFFERING)


def _checked_snapshot(value: Any) -> tuple[Config, Config, dict[int, tuple[str, dict[str, str], dict[int, int]]]]:
    """value, if it has the shape ShardStore.snapshot() gives; else CorruptSnapshotError."""

    def refuse(what: str) -> NoReturn:
        raise CorruptSnapshotError(f"corrupt shardkv snapshot: {what}, got {value!r:.80}")

    if not (isinstance(value, tuple) and len(value) == 3):
        refuse("expected (config, previous config, shards)")
    config, prev_config, shards = value
    if not (isinstance(config, Config) and isinstance(prev_config, Config) and prev_config.num <= config.num):
        refuse("expected two Configs, the previous one not after the current one")
    if not isinstance(shards, dict):
        refuse("expected shards as a dict")
    for shard, held in shards.items():
        if not (
            isinstance(shard, int)
            and 0 <= shard < N_SHARDS
            and isinstance(held, tuple)
            and len(held) == 3
            and held[0] in _SHARD_STATES
            and isinstance(held[1], dict)
            and isinstance(held[2], dict)
        ):
            refuse(f"shard {shard!r} is not (state, data, duplicate table)")
    return config, prev_config, shards
