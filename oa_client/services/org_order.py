"""Units in the org's own order (as the 通讯录 lists them), not by the code points of their names:
洪阳镇, 流沙东街道, 梅塘镇 — the order the county's own tables use."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from oa_client.store.local import LocalStore

__all__ = ["in_org_order", "rank_of", "unit_rank"]

SCAN = 100_000


def rank_of(units: Iterable[Mapping]) -> dict[str, int]:
    """unit id → its place in the org chart, from the org cache's unit records (the server's order)."""
    ranked = sorted(units, key=lambda u: (int(u.get("org_index", u.get("sort_order", 0)) or 0), u.get("name", "")))
    return {u["id"]: i for i, u in enumerate(ranked)}


def unit_rank(store: LocalStore) -> dict[str, int]:
    """unit id → its place in the org chart (the server's order, kept by the org cache)."""
    return rank_of(store.records.list("units", limit=SCAN))


def in_org_order(ids: Iterable[str], rank: Mapping[str, int], names: Mapping[str, str] | None = None) -> list[str]:
    """`ids` sorted as the org chart lists them (units it does not know last, by name)."""
    names = names or {}
    last = len(rank)
    return sorted(ids, key=lambda u: (rank.get(u, last), names.get(u, u)))
