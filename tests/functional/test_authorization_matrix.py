"""Every route × every role, built from `app.url_map` (SPEC §1 and §8).

The RULES table below names, for each endpoint and method, the answer each role gets:
anonymous, a firm user (firm A), a Meister (Meister A), a manager, an auditor, an admin.
Where a route takes an object id, the firm user and the Meister are tried on their own
object (firm A's ticket, assigned to Meister A) and on another one (firm B's ticket,
assigned to Meister B); a pair `(own, other)` gives both answers.

- Pages: anonymous → 302 to /login; allowed → 200; forbidden role → 403; an object the
  user may not see → 404.
- API: anonymous → 401; the same 200/403/404 otherwise.
- POST/PATCH/DELETE are sent only for roles that must be refused (`OK` marks an allowed
  role: the request is not sent, because it may legitimately change state). Pages get an
  empty form (CSRF is off in tests); the API gets a body that would pass validation, so
  the permission check, not the schema, has to refuse it.

A route with no entry in RULES fails the test by name: a new route needs a rule.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from aftercare.auth.models import User
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.notifications.models import Notification
from tests.helpers import PASSWORD, ApiClient, Factory, give_evidence, make_all_settleable

ROLES = ("anonymous", "firm", "meister", "manager", "auditor", "admin")
SKIPPED_ENDPOINTS = {"static", "api-docs.openapi_json"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

OK = "ok"  # an allowed write: not sent, it may change state
LOGIN = "login"  # 302 to the sign-in page

SEES_OWN = (200, 404)  # own object 200, another firm's/Meister's 404
ACTS_OWN = (OK, 404)  # may act on own object; another's is not even visible
REFUSED = (403, 404)  # sees own object but may not do this; another's is invisible

Expected = int | str | tuple[int | str, int | str]


@dataclass(frozen=True)
class Rule:
    anonymous: Expected
    firm: Expected = 403
    meister: Expected = 403
    manager: Expected = 403
    auditor: Expected = 403
    admin: Expected = 403
    params: dict[str, str] = field(default_factory=dict)  # URL parameter → world key
    body: Any = None  # API writes: a JSON body, UPLOAD, or a callable of the world

    def expected(self, role: str) -> Expected:
        return getattr(self, role)


def page(**kw: Any) -> Rule:
    kw.setdefault("anonymous", LOGIN)
    return Rule(**kw)


def api(**kw: Any) -> Rule:
    kw.setdefault("anonymous", 401)
    return Rule(**kw)


UPLOAD = "upload"  # multipart with a small text file
REASON = {"reason": "authorization matrix"}
MEISTER_PAIR = {"user_id": "meister"}

# Pages every signed-in user may open.
ANY_SIGNED_IN = {"firm": 200, "meister": 200, "manager": 200, "auditor": 200, "admin": 200}
ANY_SIGNED_IN_WRITE = {"firm": OK, "meister": OK, "manager": OK, "auditor": OK, "admin": OK}
# Ticket pages: firm and Meister see their own; managers and auditors all; admins none.
TICKET_READERS = {"firm": SEES_OWN, "meister": SEES_OWN, "manager": 200, "auditor": 200}
# A ticket write a manager alone may do.
MANAGER_ON_TICKET = {"firm": REFUSED, "meister": REFUSED, "manager": OK}
MANAGER_ON_TICKET_PAGE = {"firm": REFUSED, "meister": REFUSED, "manager": 200}
# The assigned Meister's work.
MEISTER_WORK = {"firm": REFUSED, "meister": ACTS_OWN}
MEISTER_WORK_PAGE = {"firm": REFUSED, "meister": SEES_OWN}
# The firm's sign-off.
FIRM_SIGNOFF = {"firm": ACTS_OWN, "meister": REFUSED}
FIRM_SIGNOFF_PAGE = {"firm": SEES_OWN, "meister": REFUSED}
# Comments and files: firm, Meister (own tickets) and managers.
TICKET_CONTRIBUTORS = {"firm": ACTS_OWN, "meister": ACTS_OWN, "manager": OK}
# Claims: managers and auditors all, a firm its own.
CLAIM_READERS = {"firm": SEES_OWN, "manager": 200, "auditor": 200}
MANAGER_ON_CLAIM = {"firm": 403, "manager": OK}  # role refused before the object is looked up
MANAGER_ON_CLAIM_API = {"firm": REFUSED, "manager": OK}
LEDGER_READERS = {"manager": 200, "auditor": 200}
# Evidence: auditors and managers review and confirm (the role is checked first).
EVIDENCE_REVIEWERS = {"manager": OK, "auditor": OK}
EVIDENCE_EDITORS = {"firm": ACTS_OWN, "meister": ACTS_OWN, "manager": OK, "auditor": 403}


def _visit_body(world: World) -> dict:
    return {
        "visited_on": seoul_today().isoformat(),
        "hours": 1,
        "notes": "",
        "cost_lines": [{"kind": "labour", "description": "x", "quantity": 1, "unit_price": 1000}],
    }


RULES: dict[str, dict[str, Rule]] = {
    # ------------------------------------------------------------ sign-in, account, home
    "auth.login": {
        "GET": page(anonymous=200, **dict.fromkeys(ANY_SIGNED_IN, 302)),
        "POST": page(anonymous=OK, **ANY_SIGNED_IN_WRITE),
    },
    "auth.logout": {"POST": page(anonymous=OK, **ANY_SIGNED_IN_WRITE)},
    "auth.set_language": {"POST": page(anonymous=OK, **ANY_SIGNED_IN_WRITE)},
    "auth.change_password": {
        "GET": page(**ANY_SIGNED_IN),
        "POST": page(**ANY_SIGNED_IN_WRITE),
    },
    # Only after signing in with a reset password; anyone else is sent to the sign-in page.
    "auth.choose_password": {
        "GET": page(**dict.fromkeys(ANY_SIGNED_IN, LOGIN)),
        "POST": page(**dict.fromkeys(ANY_SIGNED_IN, LOGIN)),
    },
    "auth.sign_out_everywhere": {  # each user's own sessions
        "GET": page(**ANY_SIGNED_IN),
        "POST": page(**ANY_SIGNED_IN_WRITE),
    },
    "home.index": {"GET": page(**dict.fromkeys(ANY_SIGNED_IN, 302))},
    "home.firm": {"GET": page(firm=200)},
    "home.meister": {"GET": page(meister=200)},
    "home.manager": {"GET": page(manager=200)},
    "home.auditor": {"GET": page(auditor=200)},
    "home.admin": {"GET": page(admin=200)},
    "notifications.index": {"GET": page(**ANY_SIGNED_IN)},
    "notifications.mark_read": {"POST": page(**ANY_SIGNED_IN_WRITE)},
    "notifications.settings": {  # each user's own settings; nobody sees another's
        "GET": page(**ANY_SIGNED_IN),
        "POST": page(**ANY_SIGNED_IN_WRITE),
    },
    # ------------------------------------------------------------ administration
    "admin.users": {"GET": page(admin=200)},
    "admin.create_user": {"GET": page(admin=200), "POST": page(admin=OK)},
    "admin.user_detail": {"GET": page(admin=200)},
    "admin.toggle_active": {"GET": page(admin=200), "POST": page(admin=OK)},
    "admin.reset_password": {"POST": page(admin=OK)},
    "admin.unlock": {"GET": page(admin=200), "POST": page(admin=OK)},
    "admin.revoke_tokens": {"GET": page(admin=200), "POST": page(admin=OK)},
    # ------------------------------------------------------------ tickets (pages)
    # SPEC §1: a forbidden action on a visible object is 403 — also for the page that only
    # shows the action's form (as tickets.assign and tickets.new_visit do), and for a POST whose
    # refusal would otherwise be a flash message and a redirect.
    "tickets.index": {"GET": page(firm=200, meister=200, manager=200, auditor=200)},
    "tickets.export": {"GET": page(firm=200, meister=200, manager=200, auditor=200)},
    "tickets.new": {
        "GET": page(firm=200, manager=200),
        "POST": page(firm=OK, manager=OK),
    },
    "tickets.detail": {"GET": page(**TICKET_READERS)},
    "tickets.triage": {"POST": page(**MANAGER_ON_TICKET)},
    "tickets.cancel": {
        "GET": page(firm=SEES_OWN, meister=REFUSED, manager=200),
        "POST": page(firm=ACTS_OWN, meister=REFUSED, manager=OK),
    },
    "tickets.extend": {
        "GET": page(**MANAGER_ON_TICKET_PAGE),
        "POST": page(**MANAGER_ON_TICKET),
    },
    "tickets.comment": {"POST": page(**TICKET_CONTRIBUTORS)},
    "tickets.attach": {"POST": page(**TICKET_CONTRIBUTORS)},
    "tickets.download": {"GET": page(**TICKET_READERS)},
    # Bulk triage and assignment: managers only; a GET only leads back to the list.
    "tickets.bulk_review": {
        "GET": page(firm=302, meister=302, manager=302, auditor=302),
        "POST": page(manager=OK),
    },
    "tickets.bulk_apply": {
        "GET": page(firm=302, meister=302, manager=302, auditor=302),
        "POST": page(manager=OK),
    },
    "tickets.assign": {
        "GET": page(**MANAGER_ON_TICKET_PAGE),
        "POST": page(**MANAGER_ON_TICKET),
    },
    "tickets.accept": {"POST": page(**MEISTER_WORK)},
    "tickets.decline": {"GET": page(**MEISTER_WORK_PAGE), "POST": page(**MEISTER_WORK)},
    "tickets.new_visit": {"GET": page(**MEISTER_WORK_PAGE), "POST": page(**MEISTER_WORK)},
    "tickets.resolve": {"GET": page(**MEISTER_WORK_PAGE), "POST": page(**MEISTER_WORK)},
    "tickets.confirm": {"GET": page(**FIRM_SIGNOFF_PAGE), "POST": page(**FIRM_SIGNOFF)},
    "tickets.reopen": {"GET": page(**FIRM_SIGNOFF_PAGE), "POST": page(**FIRM_SIGNOFF)},
    # ------------------------------------------------------------ claims (pages)
    "claims.index": {"GET": page(firm=200, manager=200, auditor=200)},
    "claims.export": {"GET": page(firm=200, manager=200, auditor=200)},
    "claims.detail": {"GET": page(**CLAIM_READERS)},
    "claims.approve": {"POST": page(**MANAGER_ON_CLAIM)},
    "claims.reject": {"GET": page(manager=200), "POST": page(**MANAGER_ON_CLAIM)},
    "claims.void": {"GET": page(manager=200), "POST": page(**MANAGER_ON_CLAIM)},
    "claims.line": {"POST": page(**MANAGER_ON_CLAIM)},
    "claims.review_queue": {"GET": page(**LEDGER_READERS)},
    "claims.report_pdf": {"GET": page(**CLAIM_READERS)},
    "claims.review_line": {"POST": page(**EVIDENCE_REVIEWERS)},
    "claims.firm_payment": {"POST": page(firm=ACTS_OWN, manager=OK)},
    "claims.confirm_firm_payment": {"POST": page(**EVIDENCE_REVIEWERS)},
    # ------------------------------------------------------------ a cost line's evidence
    # Who may see the ticket sees the line (an admin no ticket: 404); the firm, the
    # assigned Meister and managers enter evidence, auditors only read it.
    "evidence.line": {
        "GET": page(**TICKET_READERS, admin=404),
        "POST": page(**EVIDENCE_EDITORS, admin=404),
    },
    # ------------------------------------------------------------ assets (pages)
    # Firm A's asset is named by ticket A (Meister A's), firm B's by ticket B. Meisters see
    # an asset through their ticket but neither change it nor print its labels; auditors read.
    "assets.index": {"GET": page(firm=200, manager=200, auditor=200)},
    "assets.new": {"GET": page(firm=200, manager=200), "POST": page(firm=OK, manager=OK)},
    "assets.detail": {"GET": page(firm=SEES_OWN, meister=SEES_OWN, manager=200, auditor=200)},
    "assets.edit": {
        "GET": page(firm=SEES_OWN, meister=REFUSED, manager=200),
        "POST": page(firm=ACTS_OWN, meister=REFUSED, manager=OK),
    },
    "assets.toggle_active": {
        "GET": page(firm=SEES_OWN, meister=REFUSED, manager=200),
        "POST": page(firm=ACTS_OWN, meister=REFUSED, manager=OK),
    },
    "assets.label_png": {"GET": page(firm=SEES_OWN, meister=REFUSED, manager=200, auditor=200)},
    "assets.label_pdf": {"GET": page(firm=SEES_OWN, meister=REFUSED, manager=200, auditor=200)},
    "assets.label_sheet": {"GET": page(firm=SEES_OWN, manager=200, auditor=200)},
    "assets.report": {"GET": page(firm=SEES_OWN, meister=REFUSED, manager=200)},
    # ------------------------------------------------------------ firms, Meisters (pages)
    "firms.index": {"GET": page(manager=200, auditor=200)},
    "firms.new": {"GET": page(manager=200), "POST": page(manager=OK)},
    "firms.detail": {"GET": page(manager=200, auditor=200)},
    "firms.mine": {"GET": page(firm=200), "POST": page(firm=OK)},
    "firms.edit": {"GET": page(manager=200), "POST": page(manager=OK)},
    # Suppliers: as firms — managers maintain the registry, auditors read it.
    "suppliers.index": {"GET": page(manager=200, auditor=200)},
    "suppliers.new": {"GET": page(manager=200), "POST": page(manager=OK)},
    "suppliers.detail": {"GET": page(manager=200, auditor=200)},
    "suppliers.edit": {"GET": page(manager=200), "POST": page(manager=OK)},
    "suppliers.toggle_active": {"GET": page(manager=200), "POST": page(manager=OK)},
    "meisters.index": {"GET": page(manager=200, auditor=200)},
    "meisters.new": {"GET": page(manager=200), "POST": page(manager=OK)},
    "meisters.edit": {
        "GET": page(manager=200, params=MEISTER_PAIR),
        "POST": page(manager=OK, params=MEISTER_PAIR),
    },
    # ------------------------------------------------------------ ledger, jobs, audit (pages)
    "ledger.pool": {"GET": page(**LEDGER_READERS)},
    "ledger.add_budget": {"POST": page(manager=OK)},
    "ledger.settle": {"GET": page(manager=200), "POST": page(manager=OK)},
    "ledger.verify": {"POST": page(manager=OK)},
    "ledger.transactions": {"GET": page(**LEDGER_READERS)},
    "ledger.batches": {"GET": page(**LEDGER_READERS)},
    "ledger.batch": {"GET": page(**LEDGER_READERS)},
    "ledger.batch_csv": {"GET": page(**LEDGER_READERS)},
    "ledger.batch_xlsx": {"GET": page(**LEDGER_READERS)},
    "ledger.batch_settlement_xlsx": {"GET": page(**LEDGER_READERS)},
    "ledger.batch_evidence_zip": {"GET": page(**LEDGER_READERS)},
    "ledger.support_types": {"GET": page(**LEDGER_READERS), "POST": page(manager=OK)},
    "ledger.support_type": {"GET": page(manager=200), "POST": page(manager=OK)},
    "ledger.support_type_open": {"POST": page(manager=OK)},
    "jobs.index": {"GET": page(manager=200)},
    "jobs.run": {"GET": page(manager=200), "POST": page(manager=OK)},
    "audit.index": {"GET": page(manager=200, auditor=200)},
    "audit.export_csv": {"GET": page(manager=200, auditor=200)},
    "audit.verify": {"POST": page(manager=OK, auditor=OK)},  # reads the chain, changes nothing
    # ------------------------------------------------------------ choosers (JSON for pages)
    # Who may pick a firm, a Meister or a supplier by name; a firm user lists no firm at all.
    "choices.firms": {"GET": api(manager=200, auditor=200, admin=200)},
    "choices.meisters": {"GET": api(manager=200, auditor=200)},
    "choices.suppliers": {"GET": api(firm=200, meister=200, manager=200, auditor=200)},
    # ------------------------------------------------------------ API: tokens, users
    "auth_api.issue_token": {"POST": api(anonymous=OK, **ANY_SIGNED_IN_WRITE)},
    "auth_api.revoke_current_token": {"DELETE": api(**ANY_SIGNED_IN_WRITE)},
    "auth_api.me": {"GET": api(**ANY_SIGNED_IN)},
    "auth_api.create_user": {
        "POST": api(
            admin=OK,
            body=lambda w: {
                "email": "matrix-new@example.kr",
                "name": "new",
                "password": "a-long-password-123",
                "role": "manager",
            },
        )
    },
    # ------------------------------------------------------------ API: firms, Meisters
    "firms_api.list_firms": {"GET": api(firm=200, manager=200, auditor=200)},
    "firms_api.create_firm": {
        "POST": api(
            manager=OK,
            body={
                "name": "matrix firm",
                "registration_number": "1234567891",
                "size": "small",
                "region": "seoul",
            },
        )
    },
    "firms_api.get_firm": {"GET": api(firm=SEES_OWN, manager=200, auditor=200)},
    "firms_api.update_firm": {"PATCH": api(manager=OK, body={"industry": "changed"})},
    "suppliers_api.list_suppliers": {"GET": api(manager=200, auditor=200)},
    "suppliers_api.create_supplier": {
        "POST": api(
            manager=OK,
            body={
                "name": "matrix supplier",
                "registration_number": "1234567891",
                "region": "seoul",
            },
        )
    },
    "suppliers_api.get_supplier": {"GET": api(manager=200, auditor=200)},
    "suppliers_api.update_supplier": {"PATCH": api(manager=OK, body={"representative": "x"})},
    "meisters_api.list_meisters": {"GET": api(manager=200)},
    "meisters_api.create_meister": {
        "POST": api(manager=OK, body=lambda w: {"user_id": w.ids["meister_b"]})
    },
    "meisters_api.get_meister": {"GET": api(manager=200, params=MEISTER_PAIR)},
    "meisters_api.update_meister": {
        "PATCH": api(manager=OK, params=MEISTER_PAIR, body={"max_load": 7})
    },
    # ------------------------------------------------------------ API: fiscal years, ledger
    "ledger_api.list_fiscal_years": {"GET": api(manager=200, auditor=200, admin=200)},
    "ledger_api.open_fiscal_year": {
        "POST": api(manager=OK, admin=OK, body={"year": 2099, "budget": 1000})
    },
    "ledger_api.add_budget": {"POST": api(manager=OK, body={"amount": 1000, **REASON})},
    "ledger_api.pool": {"GET": api(**LEDGER_READERS)},
    "ledger_api.transactions": {"GET": api(**LEDGER_READERS)},
    "ledger_api.verify": {"GET": api(**LEDGER_READERS)},
    "ledger_api.waiting": {"GET": api(**LEDGER_READERS)},
    "ledger_api.settle": {"POST": api(manager=OK, body={})},
    "ledger_api.list_support_types": {"GET": api(manager=200, auditor=200, admin=200)},
    "ledger_api.add_support_type": {
        "POST": api(
            manager=OK,
            body={
                "code": "subscription",
                "name_ko": "구독형",
                "name_en": "Subscription",
                "cap": 7_000_000,
                "share_rate_bp": 5000,
                "rounding_unit": 1000,
                "project_months": 6,
                "extension_months": 2,
            },
        )
    },
    "ledger_api.update_support_type": {"PATCH": api(manager=OK, body={"is_open": True})},
    # ------------------------------------------------------------ API: tickets
    "tickets_api.create_ticket": {
        "POST": api(
            firm=OK,
            manager=OK,
            body={"category": "breakdown", "severity": "normal", "title": "matrix"},
        )
    },
    "tickets_api.list_tickets": {"GET": api(firm=200, meister=200, manager=200, auditor=200)},
    "tickets_api.get_ticket": {"GET": api(**TICKET_READERS)},
    "tickets_api.ticket_history": {"GET": api(**TICKET_READERS)},
    "tickets_api.list_comments": {"GET": api(**TICKET_READERS)},
    "tickets_api.add_comment": {"POST": api(**TICKET_CONTRIBUTORS, body={"body": "matrix"})},
    "tickets_api.upload_attachment": {"POST": api(**TICKET_CONTRIBUTORS, body=UPLOAD)},
    # An admin sees no ticket, so no attachment either: 404, like any invisible object.
    "tickets_api.download_attachment": {"GET": api(**TICKET_READERS, admin=404)},
    "tickets_api.triage": {"POST": api(**MANAGER_ON_TICKET, body={"decision": "accept"})},
    "tickets_api.cancel": {
        "POST": api(firm=ACTS_OWN, meister=REFUSED, manager=OK, body=REASON),
    },
    "tickets_api.extend": {"POST": api(**MANAGER_ON_TICKET, body=REASON)},
    "meister_work_api.suggested_meisters": {"GET": api(**MANAGER_ON_TICKET_PAGE)},
    "meister_work_api.assign": {
        "POST": api(**MANAGER_ON_TICKET, body=lambda w: {"meister_id": w.ids["meister_b"]})
    },
    "meister_work_api.accept": {"POST": api(**MEISTER_WORK, body={})},
    "meister_work_api.decline": {"POST": api(**MEISTER_WORK, body=REASON)},
    "meister_work_api.log_visit": {"POST": api(**MEISTER_WORK, body=_visit_body)},
    "meister_work_api.resolve": {"POST": api(**MEISTER_WORK, body={"summary": "matrix"})},
    "meister_work_api.confirm": {"POST": api(**FIRM_SIGNOFF, body={"rating": 5})},
    "meister_work_api.reopen": {"POST": api(**FIRM_SIGNOFF, body=REASON)},
    # ------------------------------------------------------------ API: assets
    "assets_api.list_assets": {"GET": api(firm=200, manager=200, auditor=200)},
    "assets_api.get_asset": {"GET": api(firm=SEES_OWN, meister=SEES_OWN, manager=200, auditor=200)},
    # ------------------------------------------------------------ API: claims
    "claims_api.list_claims": {"GET": api(firm=200, manager=200, auditor=200)},
    "claims_api.get_claim": {"GET": api(**CLAIM_READERS)},
    "claims_api.approve": {"POST": api(**MANAGER_ON_CLAIM_API, body={})},
    "claims_api.reject": {"POST": api(**MANAGER_ON_CLAIM_API, body=REASON)},
    "claims_api.void": {"POST": api(**MANAGER_ON_CLAIM_API, body=REASON)},
    "claims_api.set_line": {
        "PATCH": api(**MANAGER_ON_CLAIM_API, body={"eligible": False, **REASON})
    },
    "claims_api.report_pdf": {"GET": api(**CLAIM_READERS)},
    "claims_api.review_line": {"POST": api(**EVIDENCE_REVIEWERS, body={"status": "verified"})},
    "claims_api.record_firm_payment": {"POST": api(firm=ACTS_OWN, manager=OK, body=UPLOAD)},
    "claims_api.confirm_firm_payment": {"POST": api(**EVIDENCE_REVIEWERS, body={})},
    "evidence_api.get_line": {"GET": api(**TICKET_READERS, admin=404)},
    "evidence_api.set_evidence": {"PATCH": api(**EVIDENCE_EDITORS, admin=404, body={})},
    "evidence_api.upload_evidence": {"POST": api(**EVIDENCE_EDITORS, admin=404, body=UPLOAD)},
    # ------------------------------------------------------------ approval requests (four eyes)
    # Managers and auditors read money requests; a manager other than the requester decides
    # (the four-eyes rule itself is tested below and in tests/integration/test_four_eyes.py).
    # Admins list only account requests: the budget request used here is not theirs (403);
    # tests/integration/test_account_four_eyes.py covers account requests.
    "approvals.index": {"GET": page(**LEDGER_READERS, admin=200)},
    "approvals.confirm": {"GET": page(manager=200), "POST": page(manager=OK)},
    "approvals.refuse": {"GET": page(manager=200), "POST": page(manager=OK)},
    "approvals_api.list_requests": {"GET": api(**LEDGER_READERS, admin=200)},
    "approvals_api.get_request": {"GET": api(**LEDGER_READERS)},
    "approvals_api.confirm": {"POST": api(manager=OK, body={})},
    "approvals_api.refuse": {"POST": api(manager=OK, body=REASON)},
    # Recovery (docs/recovery.md): the world's one case is on firm B's settled claim, so
    # firm A's user never sees it; managers decide, auditors read and open cases.
    "recovery.index": {"GET": page(firm=200, manager=200, auditor=200)},
    "recovery.export": {"GET": page(firm=200, manager=200, auditor=200)},
    "recovery.receivable": {"GET": page(manager=200, auditor=200)},
    "recovery.new": {  # without ?claim_id= there is no claim to start from
        "GET": page(manager=404, auditor=404),
        "POST": page(manager=OK, auditor=OK),
    },
    "recovery.detail": {"GET": page(firm=404, manager=200, auditor=200)},
    "recovery.decide": {"POST": page(manager=OK)},
    "recovery.dismiss": {"POST": page(manager=OK)},
    "recovery.add_files": {"POST": page(firm=404, manager=OK, auditor=OK)},
    "recovery.object_to": {"POST": page(firm=404)},
    "recovery.answer_objection": {"POST": page(manager=OK)},
    "recovery.payment": {"POST": page(manager=OK)},
    "recovery.write_off": {"POST": page(manager=OK)},
    "recovery.download": {"GET": page(firm=404, manager=200, auditor=200)},
    "recovery.restriction_list": {"GET": page(manager=200, auditor=200)},
    "recovery.new_restriction": {"GET": page(manager=200), "POST": page(manager=OK)},
    "recovery_api.list_cases": {"GET": api(firm=200, manager=200, auditor=200)},
    "recovery_api.open_case": {
        "POST": api(
            manager=OK, auditor=OK, body={"claim_ids": [1], "grounds": "other", "amount": 1}
        )
    },
    "recovery_api.get_case": {"GET": api(firm=404, manager=200, auditor=200)},
    "recovery_api.add_files": {"POST": api(firm=404, manager=OK, auditor=OK, body=UPLOAD)},
    "recovery_api.decide": {
        "POST": api(firm=404, manager=OK, body={"amount": 1, "due_on": "2099-01-01"})
    },
    "recovery_api.dismiss": {"POST": api(firm=404, manager=OK, body=REASON)},
    "recovery_api.object_to": {"POST": api(firm=404, body={"text": "matrix"})},
    "recovery_api.decide_objection": {
        "POST": api(firm=404, manager=OK, body={"outcome": "uphold", "note": "matrix"})
    },
    "recovery_api.record_payment": {
        "POST": api(firm=404, manager=OK, body={"amount": 1, "received_on": "2021-01-01"})
    },
    "recovery_api.write_off": {"POST": api(firm=404, manager=OK, body=REASON)},
    "recovery_api.list_restrictions": {"GET": api(firm=200, manager=200, auditor=200)},
    "recovery_api.record_restriction": {
        "POST": api(
            manager=OK,
            body={
                "firm_id": 1,
                "starts_on": "2021-01-01",
                "years": 1,
                "source_note": "matrix",
                "reason": "matrix",
            },
        )
    },
}

# URL parameters that name an object someone owns: (own, other).
OBJECT_PARAMS = {
    "ticket_id": ("ticket_a", "ticket_b"),
    "claim_id": ("claim_a", "claim_b"),
    "line_id": ("line_a", "line_b"),
    "attachment_id": ("attachment_a", "attachment_b"),
    "asset_id": ("asset_a", "asset_b"),
    "firm_id": ("firm_a", "firm_b"),
    "meister": ("meister_a", "meister_b"),
}
# URL parameters with one value for everybody.
PLAIN_PARAMS = {
    "user_id": "target_user",
    "batch_id": "batch",
    "year": "year",
    "name": "sla",
    "code": "en",
    "fmt": "csv",
    "request_id": "approval_request",
    "supplier_id": "supplier",
    "case_id": "case",
    "file_id": "recovery_file",
    "type_code": "support_type",
}


# ---------------------------------------------------------------- the world


@dataclass
class World:
    ids: dict[str, int | str]
    emails: dict[str, str]  # role → e-mail of the user who plays it (firm A's user, Meister A…)
    tokens: dict[str, str]  # role → bearer token


def _ok(response, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def _full_path(
    firm: ApiClient,
    manager: ApiClient,
    meister: ApiClient,
    meister_id: int,
    filer: ApiClient | None = None,
    firm_id: int | None = None,
) -> dict:
    """File, triage, assign, accept, visit, resolve, confirm: the ticket with its pending claim.

    `filer`: a manager who files the ticket for the firm (`firm_id`) instead of the firm.
    """
    body = {
        "category": "breakdown",
        "severity": "high",
        "title": "PLC 통신 두절",
        "description": "2호 라인 정지",
        "tags": ["plc"],
    }
    if filer is not None:
        ticket = _ok(filer.post("/tickets", json=body | {"firm_id": firm_id}), 201)
    else:
        ticket = _ok(firm.post("/tickets", json=body), 201)
    tid = ticket["id"]
    _ok(manager.post(f"/tickets/{tid}/triage", json={"decision": "accept"}))
    _ok(manager.post(f"/tickets/{tid}/assign", json={"meister_id": meister_id}))
    _ok(meister.post(f"/tickets/{tid}/accept"))
    _ok(
        meister.post(
            f"/tickets/{tid}/visits",
            json={
                "visited_on": seoul_today().isoformat(),
                "hours": 2,
                "notes": "교체",
                "cost_lines": [
                    {"kind": "labour", "description": "교체", "quantity": 1, "unit_price": 500_000},
                    {"kind": "parts", "description": "모듈", "quantity": 2, "unit_price": 250_000},
                ],
            },
        ),
        201,
    )
    give_evidence(tid)
    _ok(meister.post(f"/tickets/{tid}/resolve", json={"summary": "완료"}))
    confirmed = _ok(firm.post(f"/tickets/{tid}/confirm", json={"rating": 5}))
    assert confirmed["claim"]["status"] == "pending", confirmed
    return confirmed


def _attach(caller: ApiClient, ticket_id: int) -> int:
    response = caller.post(
        f"/tickets/{ticket_id}/attachments",
        data={"file": (io.BytesIO(b"matrix attachment\n"), "note.txt")},
        content_type="multipart/form-data",
    )
    return _ok(response, 201)["id"]


def _assets(firm_a_user: User, firm_b_user: User, ticket_a: int, ticket_b: int) -> dict:
    """An asset of each firm, each named by that firm's ticket."""
    from aftercare.assets.services import create_asset
    from aftercare.tickets.models import Ticket

    asset_a = create_asset(firm_a_user, {"name": "사출기 1호", "kind": "equipment"})
    asset_b = create_asset(firm_b_user, {"name": "MES 서버", "kind": "system"})
    db.session.get(Ticket, ticket_a).asset_id = asset_a.id
    db.session.get(Ticket, ticket_b).asset_id = asset_b.id
    db.session.commit()
    return {"asset_a": asset_a.id, "asset_b": asset_b.id}


def build_world(app: Flask, make: Factory) -> World:
    """Two firms with a user and a confirmed ticket each (claims pending), Meisters A and B,
    a third claim approved and settled (so a payout batch exists), attachments, notifications.
    """
    make.fiscal_year(year=seoul_today().year, budget=1_000_000_000)
    supplier = make.supplier()
    firm_a = make.firm(region="busan", supplier_id=supplier.id)
    firm_b = make.firm(region="seoul")
    users = {
        "firm": make.user("firm", firm=firm_a),
        "meister": make.meister(specialties=["plc"], regions=["busan"]),
        "manager": make.user("manager"),
        "auditor": make.user("auditor"),
        "admin": make.user("admin"),
    }
    firm_b_user = make.user("firm", firm=firm_b)
    meister_b = make.meister(specialties=["plc"], regions=["seoul"])

    client = app.test_client()
    as_ = {role: ApiClient(client).as_(user) for role, user in users.items()}
    as_b = ApiClient(client).as_(firm_b_user)
    as_meister_b = ApiClient(client).as_(meister_b)
    manager = as_["manager"]
    colleague = ApiClient(client).as_(make.user("manager"))  # the second pair of eyes

    a = _full_path(as_["firm"], manager, as_["meister"], users["meister"].id)
    b = _full_path(as_b, manager, as_meister_b, meister_b.id)
    settled = _full_path(as_b, manager, as_meister_b, meister_b.id)
    _ok(manager.post(f"/claims/{settled['claim']['id']}/approve"))
    make_all_settleable()
    asked = _ok(manager.post("/ledger/settlements", json={}), 202)
    batch = _ok(colleague.post(f"/approval-requests/{asked['id']}/confirm"))["result"]
    assert batch["claims_settled"] == 1, batch
    year = seoul_today().year
    pending = _ok(manager.post(f"/fiscal-years/{year}/budget", json={"amount": 1, **REASON}), 202)

    case = _ok(  # a recovery case on firm B's settled claim, opened by the auditor
        as_["auditor"].post(
            "/recovery-cases",
            json={"claim_ids": [settled["claim"]["id"]], "grounds": "false_invoice", "amount": 1},
        ),
        201,
    )
    case_file = _ok(
        as_["auditor"].post(
            f"/recovery-cases/{case['id']}/files",
            data={"file": (io.BytesIO(b"%PDF-1.4\n"), "grounds.pdf")},
            content_type="multipart/form-data",
        )
    )["files"][0]["id"]
    claim_a = _ok(manager.get(f"/claims/{a['claim']['id']}"))
    claim_b = _ok(manager.get(f"/claims/{b['claim']['id']}"))
    ids: dict[str, int | str] = {
        "firm_a": firm_a.id,
        "firm_b": firm_b.id,
        "ticket_a": a["id"],
        "ticket_b": b["id"],
        "ticket_settled": settled["id"],
        "claim_a": claim_a["id"],
        "claim_b": claim_b["id"],
        "line_a": claim_a["lines"][0]["id"],
        "line_b": claim_b["lines"][0]["id"],
        "attachment_a": _attach(as_["firm"], a["id"]),
        "attachment_b": _attach(as_b, b["id"]),
        "meister_a": users["meister"].id,
        "meister_b": meister_b.id,
        "target_user": firm_b_user.id,
        "batch": batch["batch_id"],
        "approval_request": pending["id"],
        "supplier": supplier.id,
        "case": case["id"],
        "recovery_file": case_file,
        "year": year,
        "support_type": "emergency",
        "sla": "sla",
        "en": "en",
        "csv": "csv",
    }
    ids |= _assets(users["firm"], firm_b_user, a["id"], b["id"])
    emails = {role: user.email for role, user in users.items()}
    emails["firm_b"] = firm_b_user.email
    tokens = {role: caller.token for role, caller in as_.items()}
    db.session.commit()
    db.session.remove()  # every request below runs in an app context of its own
    return World(ids, emails, tokens)


# ---------------------------------------------------------------- requests


@dataclass
class Answer:
    status: int
    location: str  # the path a redirect points to, "" otherwise

    def __str__(self) -> str:
        return f"{self.status}→{self.location}" if self.location else str(self.status)


def call(app: Flask, client: FlaskClient, method: str, path: str, **kwargs: Any) -> Answer:
    """One request in a fresh app context, as in production: nothing cached in `g`
    (the signed-in user) or in the database session survives from one request to the next.
    """
    with app.app_context():
        response = client.open(path, method=method, **kwargs)
        answer = Answer(response.status_code, urlsplit(response.headers.get("Location", "")).path)
        response.close()
    return answer


def sign_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    answer = call(app, client, "POST", "/login", data={"email": email, "password": PASSWORD})
    assert answer.status == 302, f"{email} could not sign in: {answer}"
    return client


def _path(rule_text: str, values: dict[str, Any]) -> str:
    return re.sub(r"<(?:[^<>]+:)?([^<>:]+)>", lambda m: str(values[m.group(1)]), rule_text)


def _variants(url_rule, rule: Rule, world: World) -> list[tuple[str, str]]:
    """[(scope, path)]: one path, or own and other when the route takes an owned object."""
    own: dict[str, Any] = {}
    other: dict[str, Any] = {}
    owned = False
    for name in url_rule.arguments:
        key = rule.params.get(name, name)
        if key in OBJECT_PARAMS:
            owned = True
            own[name] = world.ids[OBJECT_PARAMS[key][0]]
            other[name] = world.ids[OBJECT_PARAMS[key][1]]
        else:
            own[name] = other[name] = world.ids[PLAIN_PARAMS[key]]
    if not owned:
        return [("", _path(url_rule.rule, own))]
    return [("own", _path(url_rule.rule, own)), ("other", _path(url_rule.rule, other))]


def _expected_for(expected: Expected, scope: str) -> int | str:
    if isinstance(expected, tuple):
        return expected[1] if scope == "other" else expected[0]
    return expected


def _request_kwargs(method: str, is_api: bool, rule: Rule, world: World) -> dict[str, Any]:
    if method == "GET":
        return {}
    if not is_api:
        return {"data": {}}  # an empty form
    if rule.body == UPLOAD:
        return {
            "data": {"file": (io.BytesIO(b"matrix upload\n"), "matrix.txt")},
            "content_type": "multipart/form-data",
        }
    body = rule.body(world) if callable(rule.body) else rule.body
    return {"json": {} if body is None else body}


def _matches(answer: Answer, expected: int | str) -> bool:
    if expected == LOGIN:
        return answer.status == 302 and answer.location == "/login"
    return answer.status == expected


def _routes(app: Flask) -> list[tuple[Any, str]]:
    """(url rule, method) of every route the matrix covers, in a stable order."""
    return [
        (url_rule, method)
        for url_rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
        if url_rule.endpoint not in SKIPPED_ENDPOINTS
        for method in sorted(set(METHODS) & url_rule.methods)
    ]


# ---------------------------------------------------------------- tests


def test_every_route_has_a_rule(app):
    missing = [
        f"{url_rule.endpoint} {method} ({url_rule.rule})"
        for url_rule, method in _routes(app)
        if method not in RULES.get(url_rule.endpoint, {})
    ]
    assert not missing, "routes without an entry in RULES: " + "; ".join(missing)


def test_every_rule_names_a_route(app):
    routes = {(url_rule.endpoint, method) for url_rule, method in _routes(app)}
    stale = sorted(
        f"{endpoint} {method}"
        for endpoint, methods in RULES.items()
        for method in methods
        if (endpoint, method) not in routes
    )
    assert not stale, "RULES entries for routes that do not exist: " + ", ".join(stale)


def test_authorization_matrix(app, make):
    world = build_world(app, make)
    pages = {"anonymous": app.test_client()}
    pages |= {role: sign_in(app, email) for role, email in world.emails.items() if role in ROLES}
    api_client = app.test_client()  # no cookies: the API takes bearer tokens only
    api_headers = {role: {"Authorization": f"Bearer {t}"} for role, t in world.tokens.items()}
    api_headers["anonymous"] = {}

    problems: list[str] = []
    checks = 0
    routes = _routes(app)
    missing = [f"{r.endpoint} {m}" for r, m in routes if m not in RULES.get(r.endpoint, {})]
    if missing:
        problems.append("routes without an entry in RULES: " + ", ".join(missing))

    # Reads first, then the refused writes: a write that wrongly succeeds is reported,
    # and cannot change what the reads saw.
    for phase in ("read", "write"):
        for url_rule, method in routes:
            rule = RULES.get(url_rule.endpoint, {}).get(method)
            if rule is None or (method == "GET") != (phase == "read"):
                continue
            is_api = url_rule.rule.startswith("/api/")
            for scope, path in _variants(url_rule, rule, world):
                for role in ROLES:
                    expected = _expected_for(rule.expected(role), scope)
                    if expected == OK:
                        continue
                    kwargs = _request_kwargs(method, is_api, rule, world)
                    if is_api:
                        answer = call(
                            app, api_client, method, path, headers=api_headers[role], **kwargs
                        )
                    else:
                        answer = call(app, pages[role], method, path, **kwargs)
                    checks += 1
                    if not _matches(answer, expected):
                        who = f"{role}, {scope} object" if scope else role
                        problems.append(
                            f"{method} {path} [{url_rule.endpoint}] as {who}: "
                            f"got {answer}, expected {expected}"
                        )

    assert checks > 500, checks  # the matrix really ran
    assert not problems, f"{len(problems)} of {checks} checks failed:\n" + "\n".join(problems)


# ---------------------------------------------------------------- second-approver rules

# Who approves a claim whose share needs two managers (SPEC §11), in order, and the answer:
# (approver, status code, claim status or 409 reason).
SECOND_APPROVER_STEPS = {
    "filed by the firm": [
        ("first", 200, "awaiting_second_approval"),
        ("first", 409, "four_eyes"),  # the second manager must not be the first
        ("second", 200, "approved"),
        ("second", 409, "invalid_transition"),  # approved once
    ],
    "filed by a manager": [
        ("filer", 409, "conflict_of_interest"),  # no approver filed the ticket
        ("first", 200, "awaiting_second_approval"),
        ("filer", 409, "conflict_of_interest"),
        ("second", 200, "approved"),
    ],
}


def test_second_approver_rules(app, make):
    make.fiscal_year(year=seoul_today().year, budget=1_000_000_000, second_approval_from=500_000)
    firm = make.firm(region="busan")
    meister_user = make.meister(specialties=["plc"], regions=["busan"])
    client = app.test_client()
    as_firm = ApiClient(client).as_(make.user("firm", firm=firm))
    meister = ApiClient(client).as_(meister_user)
    managers = {
        n: ApiClient(client).as_(make.user("manager")) for n in ("first", "second", "filer")
    }
    claims = {
        "filed by the firm": _full_path(as_firm, managers["first"], meister, meister_user.id),
        "filed by a manager": _full_path(
            as_firm, managers["first"], meister, meister_user.id, managers["filer"], firm.id
        ),
    }
    problems = []
    for case, steps in SECOND_APPROVER_STEPS.items():
        claim_id = claims[case]["claim"]["id"]
        for who, status, outcome in steps:
            response = managers[who].post(f"/claims/{claim_id}/approve")
            body = response.get_json()
            got = (response.status_code, body.get("status") if status == 200 else body["reason"])
            if got != (status, outcome):
                problems.append(f"{case}: {who} approves → {got}, expected {(status, outcome)}")
    assert not problems, problems


def test_a_money_request_is_decided_by_another_manager_only(app, make):
    make.fiscal_year(year=seoul_today().year, budget=1_000_000_000)
    client = app.test_client()
    asker, other = (ApiClient(client).as_(make.user("manager")) for _ in range(2))
    auditor = ApiClient(client).as_(make.user("auditor"))
    path = f"/fiscal-years/{seoul_today().year}/budget"
    request_id = _ok(asker.post(path, json={"amount": 1_000, **REASON}), 202)["id"]
    for caller, action, expected in [
        (asker, "confirm", (409, "four_eyes")),
        (asker, "refuse", (409, "four_eyes")),
        (auditor, "confirm", (403, None)),
        (other, "refuse", (200, "refused")),
        (other, "confirm", (409, "invalid_transition")),
    ]:
        response = caller.post(f"/approval-requests/{request_id}/{action}", json=REASON)
        body = response.get_json()
        got = body.get("status") if response.status_code == 200 else body.get("reason")
        assert (response.status_code, got) == expected, (action, body)


def test_session_cookies_are_not_accepted_by_the_api(app, make):
    email = make.user("manager").email
    db.session.remove()
    client = sign_in(app, email)
    assert call(app, client, "GET", "/manager").status == 200
    assert call(app, client, "GET", "/api/v1/me").status == 401


def _csv_column(app: Flask, client: FlaskClient, path: str, column: str) -> list[str]:
    with app.app_context():
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.get_data(as_text=True).lstrip("\ufeff")
        response.close()
    rows = list(csv.DictReader(io.StringIO(text)))
    return [row[column] for row in rows]


def test_exports_and_inbox_hold_only_the_users_own_objects(app, make):
    """Object scope inside answers: exports list only visible rows; the inbox is per user."""
    world = build_world(app, make)
    ids = world.ids
    firm_a = sign_in(app, world.emails["firm"])
    meister_a = sign_in(app, world.emails["meister"])
    firm_b = sign_in(app, world.emails["firm_b"])

    assert set(_csv_column(app, firm_a, "/tickets/export.csv", "firm_id")) == {str(ids["firm_a"])}
    assert set(_csv_column(app, firm_a, "/claims/export.csv", "firm_id")) == {str(ids["firm_a"])}
    assert _csv_column(app, meister_a, "/tickets/export.csv", "id") == [str(ids["ticket_a"])]

    with app.app_context():
        firm_a_id = db.session.scalar(select(User.id).where(User.email == world.emails["firm"]))
        notification_id = db.session.scalar(
            select(Notification.id)
            .where(Notification.user_id == firm_a_id, Notification.read_at.is_(None))
            .limit(1)
        )
    assert notification_id is not None, "the path should have notified firm A"
    answer = call(app, firm_b, "POST", "/notifications/read", data={"id": notification_id})
    assert answer.status == 302
    with app.app_context():
        assert db.session.get(Notification, notification_id).read_at is None
