"""Rendered fragments kept per data version: a busy list is rendered once per change.

A fragment's key names everything its HTML depends on: the fragment, the data
version read in this request's transaction (`aftercare.data_version`), the language,
the query string and the viewer's scope. A version moves with every write of the
data, so an entry is never stale; a request that saw an older version misses and
renders again.

The CSRF token is the one part that differs between viewers of one key: fragments
carry `CSRF_HOLE` where it goes, filled per request. A whole page (`cached_page`) is
kept the same way, its key naming what the page shows of its viewer. The cache is per
app and per process (each worker keeps its own), bounded (least recently used go
first), and its entries expire after FRAGMENT_CACHE_SECONDS: a database restored from
a backup counts again from an older version.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import Flask, current_app, request, session
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from aftercare import data_version
from aftercare.i18n import language
from aftercare.transactions import begin_read, has_written

# Only a template can write it: escaping turns a user's "<" into "&lt;".
CSRF_HOLE = Markup("<csrf-hole>")
T = TypeVar("T")


class FragmentCache:
    """A bounded, expiring map of keys to rendered values (thread-safe)."""

    def __init__(self, size: int, seconds: float, clock: Callable[[], float] = time.monotonic):
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._size = size
        self._seconds = seconds
        self._clock = clock
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if self._clock() - entry[0] >= self._seconds:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._entries[key] = (self._clock(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def init_app(app: Flask) -> None:
    size = app.config.get("FRAGMENT_CACHE_SIZE", 0)
    if size:
        app.extensions["fragments"] = FragmentCache(size, app.config["FRAGMENT_CACHE_SECONDS"])


def kept(name: str, data: str, key: tuple[Hashable, ...], render: Callable[[], T]) -> T:
    """What `render` makes for this request, kept under `name`, the data version and `key`.

    `data` names the data version the value shows; `key` whatever else of the request
    it depends on (query string, language, the viewer's role and scope). Nothing is
    kept from a transaction that wrote: it would show others uncommitted data.
    """
    cache: FragmentCache | None = current_app.extensions.get("fragments")
    if cache is None or has_written():
        return _rendered(render)
    version = data_version.current(data)
    if version is None:
        return _rendered(render)
    full_key = (name, version, *key)
    value = cache.get(full_key)
    if value is None:
        value = _rendered(render)
        cache.put(full_key, value)
    return value


def _rendered(render: Callable[[], T]) -> T:
    begin_read()  # a listed read renders in autocommit: the API found its caller without it
    return render()


def cached_fragment(
    name: str, data: str, scope: tuple[Hashable, ...], render: Callable[[], str]
) -> Markup:
    """The HTML fragment `name` of this request's page, its CSRF token filled in.

    Kept per language and query string, and per `scope` (what of the viewer it
    depends on: role, firm).
    """
    html = kept(name, data, (language(), request.query_string, *scope), lambda: str(render()))
    if CSRF_HOLE in html:
        html = html.replace(CSRF_HOLE, generate_csrf())
    return Markup(html)


def cached_page(
    name: str, data: str, viewer: tuple[Hashable, ...], render: Callable[[], str]
) -> str:
    """A whole page kept for one viewer and address, its CSRF token filled in.

    `viewer` names everything of the viewer the page shows (the header's name, role
    and unread count, the list's scope); the key adds the language and the full path.
    A page with flashed messages waiting is rendered, shown once, and never kept.
    """
    if session.get("_flashes"):
        return render()
    token = generate_csrf()  # the one this request's page carries wherever it has one

    def render_with_holes() -> str:
        return str(render()).replace(token, CSRF_HOLE)

    html = kept(name, data, (language(), request.full_path, *viewer), render_with_holes)
    return html.replace(CSRF_HOLE, token)
