"""Rebalancing: which group serves which shard, as evenly as possible, moving as few as possible.

    rebalance(shards, gids) -> new shards     pure and deterministic

Handout 4A: a Join or Leave "should divide the shards as evenly as possible among the full
set of groups, and should move as few shards as possible to achieve that goal". Every
controller replica runs this on the same log, so the answer may depend on nothing but its
arguments: gids are sorted, and ties are broken by gid and by shard number, never by the
order of a dict (Python's follows insertion, which a Join's map need not share).

With g groups and N_SHARDS shards, N_SHARDS % g groups serve one shard more than the others
(if g > N_SHARDS, some serve none). Giving those extra slots to the groups that already serve
the most keeps the most shards where they are: a group keeps min(current, target) of its
shards, and only the rest move.
"""

from __future__ import annotations

from collections.abc import Collection


def rebalance(shards: list[int], gids: Collection[int]) -> list[int]:
    """The assignment after rebalancing ``shards`` (shard -> gid) over ``gids``.

    A shard on a gid outside ``gids`` (a group that left, or gid 0) is handed out; with no
    gids at all, every shard goes to gid 0.
    """
    groups = sorted(set(gids))
    if not groups:
        return [0] * len(shards)
    owned = {gid: [s for s, g in enumerate(shards) if g == gid] for gid in groups}
    targets = _targets(len(shards), owned)
    free = [s for s, g in enumerate(shards) if g not in owned]
    for gid in groups:
        # Keep the lowest-numbered shards; the rest of an over-full group's go back.
        free += owned[gid][targets[gid] :]
        del owned[gid][targets[gid] :]
    free.sort()
    result = list(shards)
    for gid in groups:
        while len(owned[gid]) < targets[gid]:
            shard = free.pop(0)
            owned[gid].append(shard)
            result[shard] = gid
    return result


def _targets(n_shards: int, owned: dict[int, list[int]]) -> dict[int, int]:
    """gid -> how many shards it should serve: the first n_shards % g groups by (most shards
    now, lowest gid) get one more than the rest."""
    base, extra = divmod(n_shards, len(owned))
    by_size = sorted(owned, key=lambda gid: (-len(owned[gid]), gid))
    return {gid: base + (1 if rank < extra else 0) for rank, gid in enumerate(by_size)}
