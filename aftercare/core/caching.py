"""A tiny per-process cache for dashboard aggregates (seconds-old figures are fine there)."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app

F = TypeVar("F", bound=Callable[..., Any])


def cached_for(seconds_key: str = "DASHBOARD_CACHE_SECONDS") -> Callable[[F], F]:
    """Cache a function's result by its arguments for the configured number of seconds."""

    def decorator(func: F) -> F:
        store: dict[tuple, tuple[float, Any]] = {}
        lock = threading.Lock()

        @functools.wraps(func)
        def wrapper(*args: Any) -> Any:
            ttl = current_app.config.get(seconds_key, 0)
            if not ttl:
                return func(*args)
            key = (current_app.config["SQLALCHEMY_DATABASE_URI"], *args)
            now = time.monotonic()
            with lock:
                hit = store.get(key)
            if hit is not None and now - hit[0] < ttl:
                return hit[1]
            value = func(*args)
            with lock:
                store[key] = (now, value)
            return value

        return wrapper  # type: ignore[return-value]

    return decorator
