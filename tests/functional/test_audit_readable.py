"""The audit log in words: Korean action and object labels, links to the objects, changes
field by field, filters chosen from lists, a text search and sign-ins in their own tab."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from aftercare.audit.services import record_event
from aftercare.core.web.labels import ACTION_LABELS, AUDIT_ACTION_LABELS
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.meisters.models import CostLine
from tests.helpers import pending_claim

PACKAGE = Path(__file__).resolve().parents[2] / "aftercare"
AUDIT_CALLS = {"record_event", "record_events"}


def _calls(tree: ast.AST, names: set[str]) -> list[ast.Call]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in names:
                found.append(node)
    return found


def _arg(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    if len(call.args) > index:
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _literals(node: ast.expr | None) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _literals(node.body) | _literals(node.orelse)
    return set()


def _trees() -> dict[Path, ast.Module]:
    return {
        path: ast.parse(path.read_text(encoding="utf-8"))
        for path in PACKAGE.rglob("*.py")
        if "translations" not in path.parts
    }


def _suffixes(trees: dict[Path, ast.Module], module: str, function: str, index: int) -> set[str]:
    """Literal actions passed to a wrapper that audits f"{prefix}.{action}"."""
    found: set[str] = set()
    for path, tree in trees.items():
        if module in str(path.relative_to(PACKAGE)):
            for call in _calls(tree, {function}):
                found |= _literals(_arg(call, index, "action"))
    return found


def test_every_audited_action_has_a_label():
    trees = _trees()
    ticket_actions = set()
    for call_name in ("transition", "write_history"):
        ticket_actions |= _suffixes(trees, "", call_name, 2)
    assert ticket_actions <= set(ACTION_LABELS), ticket_actions - set(ACTION_LABELS)
    dynamic = {
        # ticket history: every action of the timeline (jobs/sla.py passes its own two)
        "ticket.": set(ACTION_LABELS),
        "recovery.": _suffixes(trees, "recovery/services.py", "_audit", 1) | {"uphold", "revise"},
        "approval_request.": _suffixes(trees, "approvals/services.py", "_audit", 1),
    }
    actions: set[str] = set()
    for path, tree in trees.items():
        if path.name == "services.py" and path.parent.name == "audit":
            continue  # the definitions themselves
        for call in _calls(tree, AUDIT_CALLS):
            node = _arg(call, 1, "action")
            if isinstance(node, ast.JoinedStr):
                prefix = node.values[0].value
                assert prefix in dynamic, f"{path}:{call.lineno} builds an unknown action {prefix}…"
                actions |= {prefix + suffix for suffix in dynamic[prefix]}
            else:
                literal = _literals(node)
                assert literal, f"{path}:{call.lineno}: the action is not a string literal"
                actions |= literal
    assert len(actions) > 60
    missing = actions - set(AUDIT_ACTION_LABELS)
    assert not missing, f"no label in AUDIT_ACTION_LABELS for {sorted(missing)}"


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-event-id="(\d+)"', html)]


@pytest.fixture
def auditor(auth, make):
    user = make.user("auditor", name="감사원")
    auth.login(user)
    return user


def test_actions_objects_and_changes_are_in_korean_with_links(client, auditor, make):
    firm = make.firm(name="한빛정밀")
    approve = record_event(
        auditor.id,
        "claim.approve",
        "claim",
        7,
        before={"status": "pending"},
        after={"status": "approved", "government_share": 1_500_000},
    )
    others = [
        record_event(auditor.id, "recovery.open", "recovery_case", 3, after={"status": "open"}),
        record_event(None, "ledger.batch_open", "payout_batch", 4),
        record_event(auditor.id, "user.create", "user", auditor.id, after={"role": "auditor"}),
    ]
    db.session.commit()
    html = _page(client, "/audit")
    row = html[html.index(f'data-event-id="{approve}"') :]
    row = row[: row.index("</tr>")]
    assert "지원금 청구 승인" in row
    assert '<a href="/claims/7" data-object-link>지원금 청구 #7</a>' in row
    assert "상태:</span> 승인 대기 → 승인" in row
    assert "정부 지원금:</span> 1,500,000원" in row
    assert "&#34;status&#34;" not in row  # no raw JSON
    assert '<a href="/recovery/3" data-object-link>환수 사건 #3</a>' in html
    assert '<a href="/ledger/batches/4" data-object-link>지급 배치 #4</a>' in html
    assert f'href="/audit?object_type=user&amp;object_id={auditor.id}"' in html
    assert "역할:</span> 감사자" in html
    assert set(others) <= set(_ids(html))
    assert firm.name in html  # firm.create by the factory, its name among the changes


def test_cost_lines_and_fiscal_years_lead_to_their_pages(client, auditor, api, make):
    year = make.fiscal_year(year=seoul_today().year)
    facts = pending_claim(api, make)
    line = db.session.scalars(
        select(CostLine).where(CostLine.ticket_id == facts["ticket_id"])
    ).first()
    record_event(auditor.id, "cost_line.evidence", "cost_line", line.id, after={"supplier_id": 1})
    db.session.commit()
    html = _page(client, "/audit?object_type=cost_line")
    link = f'<a href="/claims/{facts["claim_id"]}#line-{line.id}" data-object-link>'
    assert f"{link}비용 항목 #{line.id}</a>" in html
    html = _page(client, "/audit?object_type=fiscal_year")
    assert f'<a href="/ledger?year={year.year}" data-object-link>사업연도 #{year.id}</a>' in html
    assert "사업연도 개설" in html


def test_filters_are_chosen_from_korean_lists(client, auditor):
    first = record_event(auditor.id, "claim.approve_first", "claim", 9)
    approve = record_event(auditor.id, "claim.approve", "claim", 9)
    ticket = record_event(auditor.id, "ticket.comment", "ticket", 9)
    db.session.commit()
    html = _page(client, "/audit")
    assert '<option value="claim.approve">지원금 청구 승인</option>' in html
    assert '<optgroup label="지원금 청구">' in html
    assert '<option value="ticket">A/S 요청</option>' in html
    assert 'value="user.sign_in"' not in html  # that one is on the sign-in tab
    assert _ids(_page(client, "/audit?action=claim.approve")) == [approve]  # exact, not a prefix
    assert _ids(_page(client, "/audit?action=claim.approve_first")) == [first]
    assert ticket in _ids(_page(client, "/audit?object_type=ticket"))
    assert approve not in _ids(_page(client, "/audit?object_type=ticket"))


def test_text_search_finds_changes_actors_and_action_labels(client, auditor, make):
    other = make.user("manager", name="홍길동")
    reason = record_event(other.id, "claim.reject", "claim", 5, after={"reason": "증빙 불충분"})
    comment = record_event(auditor.id, "ticket.comment", "ticket", 6)
    db.session.commit()
    assert _ids(_page(client, "/audit?q=불충분")) == [reason]
    assert reason in _ids(_page(client, "/audit?q=홍길동"))
    assert comment not in _ids(_page(client, "/audit?q=홍길동"))
    assert comment in _ids(_page(client, "/audit?q=댓글"))  # "댓글 등록", the action's label
    assert _ids(_page(client, "/audit?q=%25%25없는말")) == []


def test_sign_ins_have_their_own_tab(client, auditor):
    work = record_event(auditor.id, "claim.void", "claim", 1)
    db.session.commit()
    events = _page(client, "/audit")
    sign_ins = _page(client, "/audit?tab=sign_ins")
    assert work in _ids(events)
    assert work not in _ids(sign_ins)
    assert "로그인·토큰" in events
    assert "로그인</span>" in sign_ins  # the auditor's own sign-in, in words
    assert "user.sign_in" not in " ".join(re.findall(r'action-label">[^<]*', events))
    assert _ids(sign_ins)
    assert 'value="user.sign_in">로그인</option>' in sign_ins
    assert "tab=sign_ins" in re.search(r'href="(/audit/export.csv[^"]*)"', sign_ins).group(1)
