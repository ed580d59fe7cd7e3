"""An approval runs a fixed, small number of statements, however many claims exist."""

from __future__ import annotations

from aftercare.extensions import db
from tests.functional.test_query_counts import counted
from tests.integration.ledger_support import quick_claim, this_year

# PostgreSQL writes balances, transaction and postings, the firm's reservation and the
# claim's decision in one statement that also locks the audit chain and reads its last
# link (SQLite: six); it reads the firm's users with the locked claim, and locks the
# pool accounts with the upsert of the firm's usage row (SQLite: two).
MOST_STATEMENTS = {"postgresql": 5, "sqlite": 13}


def _approve(manager_api, claim_id: int) -> list[str]:
    with counted() as statements:
        answer = manager_api.post(f"/claims/{claim_id}/approve", json={})
    assert answer.status_code == 200, answer.json
    return statements


def test_an_approval_runs_the_same_few_statements_as_claims_grow(make, api):
    make.fiscal_year(year=this_year(), budget=1_000_000_000)
    manager = make.user("manager")
    manager_api = api.as_(manager)
    firms = [make.firm() for _ in range(6)]
    claims = [quick_claim(firm.id, manager.id, [("parts", 2_000_000)]) for firm in firms]
    _approve(manager_api, claims[0])  # warm: statement caches, prepared statements

    second = _approve(manager_api, claims[1])
    for firm in firms[2:]:  # more claims in the books, decided and pending
        quick_claim(firm.id, manager.id, [("parts", 1_000_000)])
    later = _approve(manager_api, claims[5])

    dialect = db.engine.dialect.name
    assert len(later) == len(second) <= MOST_STATEMENTS[dialect], later
    assert sum("ledger_posting" in s for s in later) == 1  # one posting write for both legs
