"""The services' state machines refuse a snapshot of the wrong shape (CorruptSnapshotError,
naming what is wrong) and change nothing; what snapshot() gives, restore() takes back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kvraft.server import KVStore
from rsm import CorruptSnapshotError
from shardctrler import Config
from shardctrler.common import JoinArgs
from shardctrler.server import ConfigHistory
from shardkv.store import SERVING, ConfigOp, ShardStore


def kv_store() -> KVStore:
    store = KVStore()
    store.data = {"k": "v"}
    return store


def config_history() -> ConfigHistory:
    history = ConfigHistory()
    history.apply(JoinArgs({1: ["a"]}, client_id=7, seq=1))
    return history


def shard_store() -> ShardStore:
    store = ShardStore(1)
    store.apply(ConfigOp(Config(1, [1] * 10, {1: ["a"]})))
    store.shards[3].data["k"] = "v"
    return store


# (a state machine with some state, a fresh one, snapshots of the wrong shape)
STATE_MACHINES: list[tuple[Callable[[], Any], Callable[[], Any], list[Any]]] = [
    (kv_store, KVStore, [["k", "v"], {"k": 1}, {2: "v"}, None]),
    (config_history, ConfigHistory, [[], [Config(1)], [Config(0), Config(2)], {0: Config(0)}, "configs"]),
    (
        shard_store,
        lambda: ShardStore(1),
        [
            (Config(), Config()),
            (Config(1), Config(2), {}),
            (Config(), Config(), []),
            (Config(), Config(), {10: (SERVING, {}, {})}),
            (Config(), Config(), {1: ("lost", {}, {})}),
            (Config(), Config(), {1: (SERVING, [], {})}),
        ],
    ),
]
CASES = [(make, bad) for make, _, bads in STATE_MACHINES for bad in bads]


@pytest.mark.parametrize(
    "make, fresh",
    [(make, fresh) for make, fresh, _ in STATE_MACHINES],
    ids=[make.__name__ for make, _, _ in STATE_MACHINES],
)
def test_restore_takes_back_what_snapshot_gives(make: Callable[[], Any], fresh: Callable[[], Any]) -> None:
    original, replica = make(), fresh()
    replica.restore(original.snapshot())
    assert replica.snapshot() == original.snapshot()


@pytest.mark.parametrize("make, bad", CASES, ids=[f"{make.__name__}-{i}" for i, (make, _) in enumerate(CASES)])
def test_a_snapshot_of_the_wrong_shape_is_refused_and_changes_nothing(make: Callable[[], Any], bad: Any) -> None:
    machine = make()
    before = machine.snapshot()
    with pytest.raises(CorruptSnapshotError, match="corrupt"):
        machine.restore(bad)
    assert machine.snapshot() == before
