"""HMAC links, the legacy SHA-256 prefix and signed checkpoints (aftercare.domain.audit_chain)."""

from __future__ import annotations

from aftercare.domain.audit_chain import (
    BAD_SIGNATURE,
    GENESIS,
    HASH_MISMATCH,
    HMAC_SCHEME,
    LEGACY_AFTER_HMAC,
    LEGACY_SCHEME,
    REWRITTEN_EVENT,
    TRUNCATED_TAIL,
    checkpoint_problem,
    checkpoint_signature,
    first_broken_link,
    link_hash,
    link_hmac,
)

KEY = b"unit-test-audit-key"


def chain(schemes: list[str], key: bytes = KEY) -> list[tuple]:
    prev, rows = GENESIS, []
    for i, scheme in enumerate(schemes, start=1):
        payload = {"id": i, "action": f"thing.{i}"}
        hmac_link = scheme == HMAC_SCHEME
        digest = link_hmac(key, prev, payload) if hmac_link else link_hash(prev, payload)
        rows.append((i, prev, digest, scheme, payload))
        prev = digest
    return rows


def test_a_legacy_prefix_then_hmac_links_verify():
    rows = chain([LEGACY_SCHEME] * 3 + [HMAC_SCHEME] * 3)
    assert first_broken_link(rows, KEY) is None


def test_another_key_breaks_the_first_hmac_link():
    rows = chain([LEGACY_SCHEME, LEGACY_SCHEME, HMAC_SCHEME, HMAC_SCHEME])
    assert first_broken_link(rows, b"another key") == (3, HASH_MISMATCH)


def test_a_rewritten_event_recomputed_with_plain_sha256_is_refused_after_hmac_links():
    """Without the key a forger can only write plain SHA-256 links: refused past the prefix."""
    rows = chain([HMAC_SCHEME, HMAC_SCHEME, LEGACY_SCHEME])
    assert first_broken_link(rows, KEY) == (3, LEGACY_AFTER_HMAC)


def test_a_rewritten_legacy_event_breaks_the_first_hmac_link():
    rows = chain([LEGACY_SCHEME, LEGACY_SCHEME, HMAC_SCHEME])
    forged = {"id": 2, "action": "forged"}
    rows[1] = (2, rows[1][1], link_hash(rows[1][1], forged), LEGACY_SCHEME, forged)
    assert first_broken_link(rows, KEY) == (3, "prev_hash does not match the previous event")


def test_an_unknown_scheme_is_a_broken_link():
    rows = chain([HMAC_SCHEME])
    rows[0] = (*rows[0][:3], "md5", rows[0][4])
    assert first_broken_link(rows, KEY)[0] == 1


def signed(sequence: int, digest: str, key: bytes = KEY) -> dict:
    record = {"version": 1, "sequence": sequence, "hash": digest, "created_at": "2026-12-07"}
    return record | {"signature": checkpoint_signature(key, record)}


def test_a_checkpoint_agrees_with_its_event():
    record = signed(5, "a" * 64)
    assert checkpoint_problem(KEY, record, head_id=9, hash_at_sequence="a" * 64) is None


def test_a_checkpoint_past_the_head_reports_a_truncated_tail():
    assert checkpoint_problem(KEY, signed(5, "a" * 64), 4, None) == TRUNCATED_TAIL


def test_a_checkpoint_whose_event_changed_reports_a_rewrite():
    assert checkpoint_problem(KEY, signed(5, "a" * 64), 9, "b" * 64) == REWRITTEN_EVENT


def test_an_edited_checkpoint_or_another_key_reports_the_signature():
    record = signed(5, "a" * 64)
    assert checkpoint_problem(KEY, record | {"sequence": 4}, 9, "a" * 64) == BAD_SIGNATURE
    assert checkpoint_problem(b"other", record, 9, "a" * 64) == BAD_SIGNATURE


def test_a_checkpoint_of_an_empty_chain_agrees_with_any_chain():
    assert checkpoint_problem(KEY, signed(0, GENESIS), 0, None) is None
