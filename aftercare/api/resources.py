"""Registers every feature's /api/v1 blueprint with the Api (one list to read)."""

from __future__ import annotations

from aftercare.api.base import AftercareApi


def register_api_blueprints(api: AftercareApi) -> None:
    from aftercare.assets.api import blp as assets_blp
    from aftercare.auth.api import blp as auth_blp
    from aftercare.claims.api import blp as claims_blp
    from aftercare.firms.api import blp as firms_blp
    from aftercare.ledger.api import blp as ledger_blp
    from aftercare.meisters.api import blp as meisters_blp
    from aftercare.meisters.work_api import blp as work_blp
    from aftercare.tickets.api import blp as tickets_blp

    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    blueprints = (auth_blp, firms_blp, meisters_blp, ledger_blp, tickets_blp, work_blp, claims_blp)
    for blueprint in (*blueprints, assets_blp):
        api.register_blueprint(blueprint)
