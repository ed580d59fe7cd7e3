"""Supplier registry services on both databases: rules, roles, audit, the firms' choice."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from aftercare.audit.models import AuditEvent
from aftercare.domain.errors import Forbidden, NotFound, ValidationFailed
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.firms.services import create_firm, update_firm
from aftercare.suppliers import services
from aftercare.suppliers.models import Supplier
from aftercare.suppliers.services import (
    NUMBER_TAKEN,
    create_supplier,
    set_supplier_active,
    update_supplier,
    visible_supplier,
)
from tests.helpers import valid_brn


def bad_check_digit(number: str) -> str:
    return number[:9] + str((int(number[9]) + 1) % 10)


def supplier_data(**overrides) -> dict:
    return {
        "name": "  ㈜팩토리원  ",
        "registration_number": "",
        "representative": "이대표",
        "region": "seoul",
        "solutions": ["scada", "plc", "plc"],
        "contact_email": "sales@factory-one.example.kr",
    } | overrides


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def supplier_count() -> int:
    return db.session.scalar(select(func.count(Supplier.id)))


def test_a_manager_registers_a_supplier_and_it_is_audited(make):
    manager = make.user("manager")
    number = valid_brn(7001)
    dashed = f"{number[:3]}-{number[3:5]}-{number[5:]}"
    supplier = create_supplier(manager, supplier_data(registration_number=dashed))
    assert supplier.name == "㈜팩토리원"
    assert supplier.registration_number == number
    assert supplier.solutions == ["plc", "scada"]  # vocabulary order, no repeats
    assert supplier.active is True
    [event] = events("supplier.create")
    assert (event.actor_id, event.object_type, event.object_id) == (
        manager.id,
        "supplier",
        supplier.id,
    )
    assert json.loads(event.after)["registration_number"] == number


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("registration_number", bad_check_digit(valid_brn(7002))),
        ("registration_number", "12345"),
        ("registration_number", "１２３４５６７８９０"),  # full-width digits are not digits here
        ("registration_number", ""),
        ("region", "mars"),
        ("region", ""),
        ("name", "   "),
        ("solutions", ["blockchain"]),
        ("contact_email", "not an address"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(make, field, value):
    manager = make.user("manager")
    data = supplier_data(registration_number=valid_brn(7003)) | {field: value}
    with pytest.raises(ValidationFailed) as refused:
        create_supplier(manager, data)
    assert field in refused.value.errors
    db.session.rollback()
    assert supplier_count() == 0
    assert events("supplier.create") == []


def test_a_duplicate_registration_number_is_a_clear_field_error(make):
    manager = make.user("manager")
    number = valid_brn(7004)
    first = create_supplier(manager, supplier_data(registration_number=number))
    with pytest.raises(ValidationFailed) as refused:
        create_supplier(manager, supplier_data(name="다른 회사", registration_number=number))
    assert refused.value.errors == {"registration_number": [NUMBER_TAKEN]}
    db.session.rollback()
    other = create_supplier(
        manager, supplier_data(name="다른 회사", registration_number=valid_brn(7005))
    )
    with pytest.raises(ValidationFailed):
        update_supplier(manager, other.id, {"registration_number": number})
    db.session.rollback()
    assert update_supplier(manager, first.id, {"registration_number": number}).id == first.id


def test_a_number_taken_by_a_concurrent_writer_is_a_field_error_not_a_crash(make, monkeypatch):
    manager = make.user("manager")
    number = valid_brn(7006)
    create_supplier(manager, supplier_data(registration_number=number))
    monkeypatch.setattr(services, "_number_taken", lambda *_: False)  # the check ran too early
    with pytest.raises(ValidationFailed) as refused:
        create_supplier(manager, supplier_data(name="경쟁자", registration_number=number))
    assert refused.value.errors == {"registration_number": [NUMBER_TAKEN]}
    assert supplier_count() == 1


def test_only_managers_write_and_auditors_read(make):
    supplier = make.supplier()
    for role in ("auditor", "admin", "firm", "meister"):
        user = make.user(role)
        with pytest.raises(Forbidden):
            create_supplier(user, supplier_data(registration_number=valid_brn(7007)))
        with pytest.raises(Forbidden):
            update_supplier(user, supplier.id, {"representative": "누구"})
        with pytest.raises(Forbidden):
            set_supplier_active(user, supplier.id, False)
    assert visible_supplier(make.user("auditor"), supplier.id) == supplier
    with pytest.raises(Forbidden):
        visible_supplier(make.user("firm"), supplier.id)
    with pytest.raises(NotFound):
        visible_supplier(make.user("manager"), 2**40)
    db.session.expire_all()
    assert supplier.representative == "김대표"
    assert supplier.active


def test_an_update_audits_what_changed(make):
    manager = make.user("manager")
    supplier = make.supplier()
    update_supplier(manager, supplier.id, {"representative": "박대표", "region": "seoul"})
    [event] = events("supplier.update")
    assert json.loads(event.before) == {"representative": "김대표", "region": "gyeonggi"}
    assert json.loads(event.after) == {"representative": "박대표", "region": "seoul"}
    update_supplier(manager, supplier.id, {"representative": "박대표"})  # nothing changes
    assert len(events("supplier.update")) == 1


def test_a_carried_over_entry_may_stay_without_number_until_one_is_given(make):
    manager = make.user("manager")
    carried = Supplier(name="옛 공급사", solutions=[])  # as migration 0016 makes them
    db.session.add(carried)
    db.session.commit()
    update_supplier(manager, carried.id, {"representative": "홍길동"})
    assert carried.registration_number is None
    assert carried.region is None
    update_supplier(manager, carried.id, {"registration_number": valid_brn(7008)})
    with pytest.raises(ValidationFailed) as refused:
        update_supplier(manager, carried.id, {"registration_number": ""})
    assert "registration_number" in refused.value.errors


def test_deactivating_and_reactivating_are_audited_once_each(make):
    manager = make.user("manager")
    supplier = make.supplier()
    set_supplier_active(manager, supplier.id, False)
    set_supplier_active(manager, supplier.id, False)  # a resubmitted form
    assert supplier.active is False
    update_supplier(manager, supplier.id, {"active": True})
    assert supplier.active is True
    assert len(events("supplier.deactivate")) == 1
    assert len(events("supplier.reactivate")) == 1
    assert db.session.get(Supplier, supplier.id) is not None  # never deleted


def firm_data(**overrides) -> dict:
    return {
        "name": "한빛정밀",
        "registration_number": valid_brn(7100),
        "size": "small",
        "region": "busan",
    } | overrides


def test_a_firm_may_be_given_only_an_active_registry_entry(make):
    manager = make.user("manager")
    active, inactive = make.supplier(), make.supplier()
    set_supplier_active(manager, inactive.id, False)
    for supplier_id, message in [
        (inactive.id, "This supplier is deactivated; choose an active one."),
        (2**31 - 1, "No such supplier in the registry."),
        ("3", "No such supplier in the registry."),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            create_firm(manager, firm_data(supplier_id=supplier_id))
        assert refused.value.errors == {"supplier_id": [message]}
        db.session.rollback()
    assert db.session.scalar(select(func.count(Firm.id))) == 0
    firm = create_firm(manager, firm_data(supplier_id=active.id))
    assert firm.supplier_name == active.name


def test_a_firm_keeps_a_supplier_deactivated_since_but_cannot_take_one(make):
    manager = make.user("manager")
    first, second = make.supplier(), make.supplier()
    firm = make.firm(supplier_id=first.id)
    set_supplier_active(manager, first.id, False)
    update_firm(manager, firm.id, {"industry": "금형"})  # other fields still save
    assert firm.supplier_id == first.id
    other = make.firm()
    with pytest.raises(ValidationFailed):
        update_firm(manager, other.id, {"supplier_id": first.id})
    db.session.rollback()
    update_firm(manager, firm.id, {"supplier_id": second.id})
    with pytest.raises(ValidationFailed):
        update_firm(manager, firm.id, {"supplier_id": first.id})  # gone once left
    db.session.rollback()
    update_firm(manager, firm.id, {"supplier_id": None})
    assert db.session.get(Firm, firm.id).supplier_id is None
