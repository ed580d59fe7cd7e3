"""Canonical JSON, links and checkpoint signatures of the audit chain.

Events written since migration 0013 are linked by an HMAC-SHA-256 with a key kept
outside the database (AUDIT_KEY): whoever can write the table cannot forge a link.
Events written before it keep their plain SHA-256 links (scheme "sha256"); they are
accepted only as the chain's first run, so the first HMAC link, which covers the
last legacy hash, seals them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from typing import Any

GENESIS = "0" * 64
LEGACY_SCHEME = "sha256"
HMAC_SCHEME = "hmac-sha256"

# The reasons first_broken_link and checkpoint_problem give (stable English codes).
PREV_MISMATCH = "prev_hash does not match the previous event"
HASH_MISMATCH = "hash does not match the event's content"
LEGACY_AFTER_HMAC = "a plain SHA-256 event follows HMAC events"
UNKNOWN_SCHEME = "unknown hash scheme"
BAD_SIGNATURE = "checkpoint signature does not match"
TRUNCATED_TAIL = "the chain ends before the checkpoint's sequence"
REWRITTEN_EVENT = "the event at the checkpoint's sequence has another hash"


def canonical_json(payload: Mapping[str, Any]) -> str:
    """One byte-exact text per payload: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link_hash(prev_hash: str, payload: Mapping[str, Any]) -> str:
    """SHA-256 of the previous link and this event's canonical JSON (legacy scheme)."""
    return hashlib.sha256((prev_hash + canonical_json(payload)).encode()).hexdigest()


def link_hmac(key: bytes, prev_hash: str, payload: Mapping[str, Any]) -> str:
    """HMAC-SHA-256 under `key` of the previous link and this event's canonical JSON."""
    message = (prev_hash + canonical_json(payload)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def first_broken_link(
    events: Iterable[tuple[int, str, str, str, Mapping[str, Any]]], key: bytes
) -> tuple[int, str] | None:
    """Walk (id, prev_hash, hash, scheme, payload) in order; (id, why) of the first bad link."""
    expected_prev = GENESIS
    seen_hmac = False
    for event_id, prev_hash, stored_hash, scheme, payload in events:
        if prev_hash != expected_prev:
            return event_id, PREV_MISMATCH
        if scheme == HMAC_SCHEME:
            seen_hmac = True
            digest = link_hmac(key, prev_hash, payload)
        elif scheme == LEGACY_SCHEME:
            if seen_hmac:
                return event_id, LEGACY_AFTER_HMAC
            digest = link_hash(prev_hash, payload)
        else:
            return event_id, UNKNOWN_SCHEME
        if not hmac.compare_digest(digest, stored_hash):
            return event_id, HASH_MISMATCH
        expected_prev = stored_hash
    return None


def checkpoint_signature(key: bytes, record: Mapping[str, Any]) -> str:
    """HMAC-SHA-256 of a checkpoint's fields (all but the signature itself)."""
    fields = {name: value for name, value in record.items() if name != "signature"}
    return hmac.new(key, canonical_json(fields).encode(), hashlib.sha256).hexdigest()


def checkpoint_problem(
    key: bytes, record: Mapping[str, Any], head_id: int, hash_at_sequence: str | None
) -> str | None:
    """Why a checkpoint disagrees with the chain (None: it agrees).

    `head_id` is the chain's last event id, `hash_at_sequence` the stored hash of the
    event at the checkpoint's sequence (None when there is no such event).
    """
    expected = checkpoint_signature(key, record)
    if not hmac.compare_digest(expected, str(record.get("signature", ""))):
        return BAD_SIGNATURE
    sequence = int(record["sequence"])
    if sequence == 0:
        return None
    if head_id < sequence:
        return TRUNCATED_TAIL
    if hash_at_sequence != record["hash"]:
        return REWRITTEN_EVENT
    return None
