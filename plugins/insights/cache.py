"""Figures read outside the rollups (the roster, other plugins' satisfaction) kept for a minute
per worker, in the app's own extensions (no module-level state): a dashboard a minute behind
is as useful, and counting 100,000 accounts on every page view is not."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

from flask import current_app, has_app_context

SECONDS = 60.0
T = TypeVar("T")


def kept(key: tuple, compute: Callable[[], T], seconds: float = SECONDS) -> T:
    """``compute()``'s value, reused for ``seconds`` within this app (computed afresh outside one)."""
    if not has_app_context():
        return compute()
    store = current_app.extensions.setdefault("insights.kept", {})
    found = store.get(key)
    now = time.monotonic()
    if found is not None and now - found[0] < seconds:
        return found[1]
    value = compute()
    if len(store) > 256:
        store.clear()
    store[key] = (now, value)
    return value
