"""Schemathesis against /api/v1/openapi.json, signed in as each role (SPEC §8).

Every operation gets a few generated requests (valid and invalid ones), some aimed at
ids that exist (tickets in several states, claims, lines, attachments, firms, Meisters).
Each answer must not be a server error, and must match the documented response schema.
Failures are collected over all operations and reported together, once per kind.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import select

from aftercare.auth.models import User
from aftercare.auth.services import issue_token
from aftercare.extensions import db
from tests.functional.test_authorization_matrix import World, build_world
from tests.helpers import ApiClient

ROLES = ("manager", "firm", "meister", "auditor", "admin")
MAX_EXAMPLES = 6  # per operation and role
CHECKS = [not_a_server_error, response_schema_conformance]
SELF_REVOKING = ("DELETE", "/api/v1/tokens/current")  # revokes the token it is sent with


def _seed_more(app: Flask, world: World) -> dict[str, list[Any]]:
    """Tickets in the early states too, and the ids each path parameter may take."""
    client = app.test_client()
    with app.app_context():
        firm = ApiClient(client, world.tokens["firm"])
        manager = ApiClient(client, world.tokens["manager"])
        new = {"category": "upgrade", "severity": "normal", "title": "MES 업그레이드"}
        submitted = firm.post("/tickets", json=new).get_json()["id"]
        triaged = firm.post("/tickets", json=new | {"category": "defect"}).get_json()["id"]
        answer = manager.post(f"/tickets/{triaged}/triage", json={"decision": "accept"})
        assert answer.status_code == 200, answer.get_json()
    ids = world.ids
    return {
        "ticket_id": [
            ids["ticket_a"],
            ids["ticket_b"],
            ids["ticket_settled"],
            submitted,
            triaged,
        ],
        "claim_id": [ids["claim_a"], ids["claim_b"]],
        "line_id": [ids["line_a"], ids["line_b"]],
        "attachment_id": [ids["attachment_a"], ids["attachment_b"]],
        "firm_id": [ids["firm_a"], ids["firm_b"]],
        "user_id": [ids["meister_a"], ids["meister_b"]],
        "year": [ids["year"]],
        "supplier_id": [ids["supplier"]],
    }


def _fresh_token(app: Flask, email: str) -> str:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        token, _ = issue_token(user)
    return token


class ClosingClient(FlaskClient):
    """A test client that reads and closes every answer (downloads hold an open file)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        response = super().open(*args, **kwargs)
        response.get_data()
        response.close()
        return response


def _what_failed(error: BaseException) -> list[str]:
    """One line per distinct failure: its title and the first line of its message."""
    failures = error.exceptions if isinstance(error, FailureGroup) else (error,)
    lines = []
    for failure in failures:
        if isinstance(failure, Failure):
            detail = (failure.message or "").strip().splitlines()
            lines.append(f"{failure.title}: {detail[0][:200] if detail else ''}")
        else:
            lines.append(f"{type(failure).__name__}: {str(failure).strip()[:200]}")
    return lines


def _fuzz_operation(
    app: Flask,
    operation: Any,
    headers: Any,
    seeded: dict[str, list[Any]],
    failures: dict[tuple[str, str], str],
    client: FlaskClient,
) -> int:
    """Run the examples of one operation; record each kind of failure once. Returns the count."""
    sent = 0
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, pick=st.integers(min_value=-1, max_value=4))
    def run(case: Any, pick: int) -> None:
        nonlocal sent
        if pick >= 0 and case.path_parameters:  # aim at ids that exist
            for name in case.path_parameters:
                if name in seeded:
                    case.path_parameters[name] = seeded[name][pick % len(seeded[name])]
        request_headers = headers()
        body = "<bytes>" if isinstance(case.body, bytes) else case.body
        body = None if body is NOT_SET else body
        sent_as = f"{case.method} {case.formatted_path} query={case.query} body={body!r:.200}"
        with app.app_context():
            try:
                response = case.call(headers=request_headers, session=client)
            except Exception as error:  # the transport re-raises what the app did not handle
                _record(failures, f"{operation.label} → unhandled", _what_failed(error), sent_as)
                sent += 1
                return
            sent += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=request_headers)
            except (Failure, FailureGroup) as error:
                where = f"{operation.label} → {response.status_code}"
                _record(failures, where, _what_failed(error), f"{sent_as} → {response.text[:200]}")

    run()
    return sent


def _record(failures: dict[tuple[str, str], str], where: str, what: list[str], eg: str) -> None:
    for line in what:
        failures.setdefault((where, line), eg)


@pytest.mark.parametrize("role", ROLES)
def test_api_answers_conform_and_never_fail_on_the_server(app, make, role):
    """On both databases: PostgreSQL refuses input SQLite stores (NUL characters, huge ids)."""
    world = build_world(app, make)
    seeded = _seed_more(app, world)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    token = world.tokens[role]

    client = ClosingClient(app, app.response_class)
    failures: dict[tuple[str, str], str] = {}
    sent = 0
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        if (operation.method.upper(), operation.path) == SELF_REVOKING:

            def headers(email: str = world.emails[role]) -> dict[str, str]:
                return {"Authorization": f"Bearer {_fresh_token(app, email)}"}
        else:

            def headers() -> dict[str, str]:
                return {"Authorization": f"Bearer {token}"}

        sent += _fuzz_operation(app, operation, headers, seeded, failures, client)

    assert operations >= 40, operations  # the whole document was read
    assert sent >= operations * 2, sent
    report = "\n".join(
        f"- {where}: {what}\n    e.g. {example}" for (where, what), example in failures.items()
    )
    assert not failures, f"{len(failures)} kinds of failure as {role} ({sent} requests):\n{report}"
