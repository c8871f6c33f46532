"""Derived figures (home page lists, per-unit counts) cached until the data they come from changes.

Every write path that can change them calls `data_changed()`. Entries also expire after
`TTL` seconds, which bounds the staleness of a change made outside the services (a shell session).
The cache is Redis when REDIS_URL is set, otherwise a directory under var/ shared by the processes of one
machine.
"""

import uuid

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "luoshi:generation"
TTL = 300


def generation() -> str:
    value = cache.get(GENERATION_KEY)
    if value is None:
        value = uuid.uuid4().hex
        cache.add(GENERATION_KEY, value, timeout=None)
        value = cache.get(GENERATION_KEY, value)
    return value


def _bump() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def data_changed() -> None:
    """Invalidate every derived figure now, and again once the current transaction commits: a request
    that read the old rows while the transaction was open cannot leave them cached under the new
    generation.

    A new random generation, not an increment: two processes changing data at once both move it away
    from the value the stale entries were filed under, which is all that matters."""
    _bump()
    transaction.on_commit(_bump)


def cached(key: str, compute, ttl: int = TTL):
    """`compute()`'s value, kept under `key` for the current data generation."""
    full_key = f"luoshi:{generation()}:{key}"
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, ttl)
    return value
