"""`flask seed-demo`: every role can sign in, and a second run adds nothing."""

from sqlalchemy import func, select

from aftercare.assets.models import Asset
from aftercare.auth.models import User
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.tickets.models import Ticket


def _counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Firm, Asset, Ticket)
    }


def test_seed_demo_is_idempotent_and_covers_every_role(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert first.output.strip().splitlines()[-1].startswith("Seed done:")
    after_first = _counts()
    roles = set(db.session.scalars(select(User.role)))
    assert roles == {"admin", "manager", "auditor", "firm", "meister"}
    assert after_first["Asset"] == 3

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    db.session.expire_all()
    assert _counts() == after_first


def test_seed_demo_refuses_to_run_in_production(app):
    """Its accounts have known passwords: a production database never gets them."""
    app.config["ENV_NAME"] = "production"
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 1
    assert result.output.startswith("운영 환경에서는")
    db.session.rollback()
    assert db.session.scalar(select(func.count(User.id))) == 0
