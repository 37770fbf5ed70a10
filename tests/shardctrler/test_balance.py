"""The controller's rebalancing and state machine, without a network.

Properties of rebalance() (handout 4A): every shard on a live group (gid 0 when none are
left), balanced within one shard, no more shards moved than the fewest any balanced
assignment needs, and the same answer on every replica whatever the order of the gids.
"""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shardctrler import N_SHARDS, Clerk, Config, rebalance
from shardctrler.common import JoinArgs, LeaveArgs, MoveArgs, QueryArgs
from shardctrler.server import ConfigHistory

live_gids = st.sets(st.integers(1, 20), max_size=14)


@st.composite
def assignments(draw: st.DrawFn) -> tuple[list[int], set[int]]:
    """(shards, gids): shards on live groups, on groups that left (21..25), or on gid 0."""
    gids = draw(live_gids)
    owners = sorted(gids | {0, 21, 25})
    shards = draw(st.lists(st.sampled_from(owners), min_size=N_SHARDS, max_size=N_SHARDS))
    return shards, gids


def fewest_moves(shards: list[int], gids: set[int]) -> int:
    """Brute force: over every choice of which groups serve one shard more, the fewest
    shards that must change owner to reach a balanced assignment."""
    base, extra = divmod(N_SHARDS, len(gids))
    counts = {g: shards.count(g) for g in gids}
    kept = max(sum(min(counts[g], base + (g in bigger)) for g in gids) for bigger in combinations(sorted(gids), extra))
    return N_SHARDS - kept


@given(assignments())
def test_every_shard_on_a_live_group(case: tuple[list[int], set[int]]) -> None:
    shards, gids = case
    result = rebalance(shards, gids)
    assert len(result) == N_SHARDS
    assert all(g in gids for g in result) if gids else result == [0] * N_SHARDS


@given(assignments())
def test_balanced_within_one(case: tuple[list[int], set[int]]) -> None:
    shards, gids = case
    result = rebalance(shards, gids)
    counts = [result.count(g) for g in gids]
    if counts:
        assert max(counts) - min(counts) <= 1, result


@given(assignments())
def test_moves_as_few_shards_as_possible(case: tuple[list[int], set[int]]) -> None:
    shards, gids = case
    if not gids:
        return
    moved = sum(1 for before, after in zip(shards, rebalance(shards, gids), strict=True) if before != after)
    assert moved == fewest_moves(shards, gids)


@given(assignments(), st.randoms(use_true_random=False))
def test_deterministic_whatever_the_order_of_gids(case: tuple[list[int], set[int]], rnd) -> None:
    shards, gids = case
    shuffled = sorted(gids)
    rnd.shuffle(shuffled)
    original = list(shards)
    assert rebalance(shards, shuffled) == rebalance(shards, sorted(gids)) == rebalance(shards, dict.fromkeys(shuffled))
    assert shards == original  # pure: the argument is not changed


@given(assignments())
def test_a_balanced_assignment_stays(case: tuple[list[int], set[int]]) -> None:
    shards, gids = case
    once = rebalance(shards, gids)
    assert rebalance(once, gids) == once


def test_join_then_leave_moves_only_what_it_must() -> None:
    one = rebalance([0] * N_SHARDS, [1])
    assert one == [1] * N_SHARDS
    two = rebalance(one, [1, 2])
    assert sorted(two) == [1] * 5 + [2] * 5
    assert rebalance(two, [2]) == [2] * N_SHARDS
    assert rebalance(two, []) == [0] * N_SHARDS


# --- the state machine ----------------------------------------------------------------------


def history_of(*ops: object) -> ConfigHistory:
    history = ConfigHistory()
    for op in ops:
        history.apply(op)
    return history


def test_config_zero_is_empty() -> None:
    assert ConfigHistory().query(-1) == Config(0, [0] * N_SHARDS, {})


def test_each_change_makes_the_next_config_from_fresh_copies() -> None:
    history = history_of(JoinArgs({2: ["b"], 1: ["a"]}, 1, 1), MoveArgs(3, 2, 1, 2), LeaveArgs([1], 1, 3))
    c1, c2, c3 = history.configs[1:]
    assert [c.num for c in history.configs] == [0, 1, 2, 3]
    assert list(c1.groups) == [1, 2]  # gid order, whatever the Join's
    assert c2.shards[3] == 2 and c3.shards == [2] * N_SHARDS and c3.groups == {2: ["b"]}
    c1.groups[2].append("mutated")
    assert c2.groups[2] == ["b"]


def test_query_number_past_the_latest_gives_the_latest() -> None:
    history = history_of(JoinArgs({1: ["a"]}, 1, 1))
    assert history.apply(QueryArgs(0)).num == 0
    assert history.apply(QueryArgs(-1)).num == history.apply(QueryArgs(99)).num == 1


def test_snapshot_restore_round_trip() -> None:
    history = history_of(JoinArgs({1: ["a"]}, 1, 1), JoinArgs({2: ["b"]}, 1, 2))
    restored = ConfigHistory()
    restored.restore(history.snapshot())
    assert restored.configs == history.configs


def test_unknown_op_is_refused() -> None:
    with pytest.raises(TypeError, match="expecting JoinArgs"):
        ConfigHistory().apply("join")


@pytest.mark.parametrize(
    "call, problem",
    [
        (lambda ck: ck.move(N_SHARDS, 1), "shard 10"),
        (lambda ck: ck.move(0, 0), "gid 0"),
        (lambda ck: ck.join({0: ["a"]}), "gid 0"),
    ],
)
def test_clerk_refuses_bad_arguments_before_sending(call, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        call(Clerk([]))
