"""Where results live: every API call takes an open `Store`, a path or URL, or nothing (the default)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from assay.store import Store

StoreLike = Store | str | os.PathLike[str] | None


@contextmanager
def using_store(store: StoreLike) -> Iterator[Store]:
    """The given open store (left open), or one opened here from a path/URL/$ASSAY_DB and closed after."""
    if isinstance(store, Store):
        yield store
        return
    opened = Store.open(store)
    try:
        yield opened
    finally:
        opened.close()


def open_store(store: StoreLike = None) -> Store:
    """An open results store: a SQLite path, a postgresql:// URL, or $ASSAY_DB / the user data dir."""
    return store if isinstance(store, Store) else Store.open(store)


def store_marker(store: StoreLike, *tables: str) -> tuple[tuple[Any, ...], ...]:
    """A cheap value that changes whenever rows of these store tables ("runs", "scores", "battles",
    ...) are added, removed or re-stamped: the key for caches of views derived from them."""
    with using_store(store) as opened:
        return opened.fingerprint(*tables)
