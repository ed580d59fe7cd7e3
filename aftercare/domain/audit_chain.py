"""Canonical JSON and SHA-256 links of the audit chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

GENESIS = "0" * 64


def canonical_json(payload: Mapping[str, Any]) -> str:
    """One byte-exact text per payload: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link_hash(prev_hash: str, payload: Mapping[str, Any]) -> str:
    """SHA-256 of the previous link and this event's canonical JSON."""
    return hashlib.sha256((prev_hash + canonical_json(payload)).encode()).hexdigest()


def first_broken_link(
    events: Iterable[tuple[int, str, str, Mapping[str, Any]]],
) -> tuple[int, str] | None:
    """Walk (id, prev_hash, hash, payload) in order; return (id, why) of the first bad link."""
    expected_prev = GENESIS
    for event_id, prev_hash, stored_hash, payload in events:
        if prev_hash != expected_prev:
            return event_id, "prev_hash does not match the previous event"
        if link_hash(prev_hash, payload) != stored_hash:
            return event_id, "hash does not match the event's content"
        expected_prev = stored_hash
    return None
