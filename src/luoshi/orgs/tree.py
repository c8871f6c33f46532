"""The organization tree as materialized paths.

Each organization's `path` is its parent's path plus a fixed-width segment of digits (its number among its
siblings). Digits only, fixed width: the same string order on SQLite and on PostgreSQL under any collation,
so "this subtree" is one range scan on the unique index: path >= P and path < P+1 (as a number of the same
width). No LIKE, whose index use differs between the two databases.
"""

import os

from django.db.models import Q

SEGMENT = 6  # digits per level: up to 999,999 children under one parent


def segment(number: int) -> str:
    if not 0 < number < 10**SEGMENT:
        raise ValueError(f"sibling number out of range: {number}")
    return str(number).zfill(SEGMENT)


def child_path(parent_path: str, number: int) -> str:
    return parent_path + segment(number)


def depth_of(path: str) -> int:
    return len(path) // SEGMENT


def subtree_bounds(path: str) -> tuple[str, str]:
    """[low, high) such that every path in the subtree of `path` (itself included) lies in the range."""
    high = str(int(path) + 1).zfill(len(path))
    return path, high


def ancestor_paths(path: str) -> list[str]:
    """The paths of every ancestor of `path`, root first, itself excluded."""
    return [path[:end] for end in range(SEGMENT, len(path), SEGMENT)]


def common_ancestor_path(paths) -> str:
    """The path of the deepest organization whose subtree holds all of `paths` ("" when they have no
    common root)."""
    common = os.path.commonprefix(list(paths))
    return common[: len(common) - len(common) % SEGMENT]


def minimal_cover(paths) -> list[str]:
    """Drop paths that lie inside another path of the list (a grant inside a bigger grant adds nothing)."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not kept or not path.startswith(kept[-1]):
            kept.append(path)
    return kept


def subtree_q(paths, field: str = "path") -> Q:
    """A Q matching every row whose `field` path lies in one of the subtrees; nothing when `paths` is empty."""
    q = Q(pk__in=[])
    for path in minimal_cover(paths):
        low, high = subtree_bounds(path)
        q |= Q(**{f"{field}__gte": low, f"{field}__lt": high})
    return q
