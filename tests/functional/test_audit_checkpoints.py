"""Signed checkpoints of the chain's head, and `flask audit verify` against them.

A forger who owns the tables goes past the append-only triggers (tests.helpers.forge_audit).
Without AUDIT_KEY they cannot forge HMAC links; the checkpoint files, outside the
database, also catch what the chain alone cannot: a cut-off tail, or a tail rewritten
by someone who has the key.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from aftercare.audit.checkpoints import write_checkpoint
from aftercare.audit.models import AuditEvent
from aftercare.audit.services import _payload, record_event
from aftercare.domain.audit_chain import GENESIS, checkpoint_signature, link_hash, link_hmac
from aftercare.extensions import db
from aftercare.jobs.models import JobRun
from tests.helpers import forge_audit


def events(n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        record_event(None, "test.event", "thing", i, after={"n": i})
    db.session.commit()


def head() -> int:
    return db.session.scalar(select(func.max(AuditEvent.id))) or 0


def files(app) -> list[Path]:
    return sorted(Path(app.config["AUDIT_CHECKPOINT_DIR"]).glob("audit-checkpoint-*.json"))


def verify(runner):
    return runner.invoke(args=["audit", "verify"])


def relink_from(first_id: int, key: bytes | None) -> None:
    """Recompute every link from `first_id` on: HMAC with `key`, or plain SHA-256 without."""
    rows = db.session.execute(select(AuditEvent.__table__).order_by(AuditEvent.id)).mappings()
    prev = GENESIS
    for row in list(rows):
        if row["id"] >= first_id:
            payload = _payload(row)
            digest = link_hmac(key, prev, payload) if key else link_hash(prev, payload)
            scheme = "hmac-sha256" if key else "sha256"
            forge_audit(
                "UPDATE audit_event SET prev_hash = :p, hash = :h, hash_scheme = :s WHERE id = :id",
                p=prev,
                h=digest,
                s=scheme,
                id=row["id"],
            )
            prev = digest
        else:
            prev = row["hash"]


def test_the_checkpoint_command_writes_one_signed_file_of_the_head(app, runner):
    events(5)
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    assert "체크포인트 기록: 순번 5" in result.output
    assert "Checkpoint written: sequence 5" in result.output
    [path] = files(app)
    record = json.loads(path.read_text())
    assert record["sequence"] == 5
    assert record["hash"] == db.session.scalar(select(AuditEvent.hash).where(AuditEvent.id == 5))
    key = app.config["AUDIT_KEY"].encode()
    assert record["signature"] == checkpoint_signature(key, record)
    assert db.session.scalars(select(JobRun.job).where(JobRun.outcome == "ok")).all() == [
        "audit_checkpoint"
    ]

    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert "감사 체인 정상" in result.output
    assert "5 events verified, 1 checkpoint(s) match" in result.output


def test_the_daily_job_writes_a_verifiable_checkpoint_and_never_overwrites(app, runner):
    events(3)
    first = runner.invoke(args=["jobs", "run", "audit_checkpoint"])
    assert first.exit_code == 0, first.output
    events(2, start=3)
    assert runner.invoke(args=["jobs", "run", "audit_checkpoint"]).exit_code == 0
    written = files(app)
    assert [json.loads(p.read_text())["sequence"] for p in written] == [3, 5]
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert "2 checkpoint(s) match" in result.output


def test_a_checkpoint_of_an_empty_chain_verifies(app, runner):
    write_checkpoint()
    assert json.loads(files(app)[0].read_text())["sequence"] == 0
    assert verify(runner).exit_code == 0


def test_a_truncated_tail_is_reported_against_the_checkpoint(app, runner):
    events(6)
    write_checkpoint()
    forge_audit("DELETE FROM audit_event WHERE id > 3")  # the chain left is whole

    result = verify(runner)

    assert result.exit_code == 1, result.output
    assert "순번 6" in result.output
    assert "끝부분이 잘렸습니다" in result.output
    assert "its tail was cut off" in result.output
    assert "chain head at sequence 3" in result.output
    assert "Broken link" not in result.output


def test_a_tail_rewritten_with_the_key_is_reported_by_the_checkpoint(app, runner):
    events(6)
    write_checkpoint()
    forge_audit("UPDATE audit_event SET after = :a WHERE id = 4", a='{"n": 999}')
    relink_from(4, app.config["AUDIT_KEY"].encode())  # an insider who also has the key

    result = verify(runner)

    assert result.exit_code == 1, result.output
    assert "Broken link" not in result.output  # the chain itself is whole again
    assert "the event at this sequence has another hash" in result.output
    assert "이벤트가 다시 쓰였습니다" in result.output


def test_a_chain_relinked_without_the_key_as_plain_sha256_is_reported(app, runner):
    """Downgrading every link to the legacy scheme makes a whole chain: checkpoints catch it."""
    events(4)
    write_checkpoint()
    forge_audit("UPDATE audit_event SET after = :a WHERE id = 2", a='{"n": 999}')
    relink_from(1, None)

    result = verify(runner)

    assert result.exit_code == 1, result.output
    assert "another hash" in result.output


def test_a_rewritten_event_is_reported_at_that_event(app, runner):
    events(5)
    write_checkpoint()
    forge_audit("UPDATE audit_event SET after = :a WHERE id = 2", a='{"n": 999}')

    result = verify(runner)

    assert result.exit_code == 1, result.output
    assert "감사 이벤트 2에서 체인이 끊어졌습니다" in result.output
    assert "Broken link at audit event 2" in result.output


def test_another_key_is_reported_on_the_chain_and_the_checkpoints(app, runner):
    events(3)
    write_checkpoint()
    app.config["AUDIT_KEY"] = "another-key-that-is-long-enough-to-pass"

    result = verify(runner)

    assert result.exit_code == 1, result.output
    assert "Broken link at audit event 1" in result.output
    assert "AUDIT_KEY" in result.output
    assert "signature does not match" in result.output


def test_an_edited_or_unreadable_checkpoint_file_is_reported(app, runner):
    events(3)
    path = write_checkpoint().path
    record = json.loads(path.read_text()) | {"sequence": 2}
    path.chmod(0o644)
    path.write_text(json.dumps(record))
    (path.parent / "audit-checkpoint-99990101T000000000000Z-9.json").write_text("{not json")

    result = verify(runner)

    assert result.exit_code == 1, result.output
    assert "signature does not match" in result.output
    assert "the file cannot be read" in result.output
