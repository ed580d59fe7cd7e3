"""The bulk action form of the managers' ticket list.

The form only parses what was posted; `tickets.bulk.check_request` judges it, so
the page and any other caller share one set of rules.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, RadioField, SelectField, TextAreaField
from wtforms.validators import Length

from aftercare.domain.bulk import MAX_ID, MAX_SELECTION
from aftercare.meisters.bulk import BulkRequest


class IdListField(Field):
    """Every value posted under the field's name, as integers (the checkboxes of a list)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            self.data = [int(value) for value in valuelist]
        except ValueError:
            self.data = []
            raise ValueError(_l("Ticket numbers must be positive whole numbers.")) from None

    def _value(self) -> str:
        return ""


def _optional_id(value: object) -> int | None:
    if value in (None, ""):
        return None
    number = int(str(value))
    if not 1 <= number <= MAX_ID:
        raise ValueError("out of range")
    return number


class BulkActionForm(FlaskForm):
    max_selection = MAX_SELECTION
    ticket_ids = IdListField(_l("Selected tickets"), default=list)
    action = RadioField(
        _l("Action"),
        choices=[
            ("accept", _l("Accept at triage")),
            ("reject", _l("Reject at triage")),
            ("assign", _l("Assign to a Meister")),
        ],
        validate_choice=False,  # check_request names a missing action in words
    )
    reason = TextAreaField(
        _l("Reason for rejecting (one reason for every ticket)"),
        validators=[Length(max=10_000)],
    )
    meister_id = SelectField(
        _l("Smart Meister"), coerce=_optional_id, choices=[], validate_choice=False
    )
    force_reason = TextAreaField(
        _l("Force reason (only to assign past the maximum load or after a decline)"),
        validators=[Length(max=10_000)],
    )

    def to_request(self) -> BulkRequest:
        return BulkRequest(
            action=self.action.data or "",
            ticket_ids=list(self.ticket_ids.data or []),
            reason=self.reason.data or "",
            meister_id=self.meister_id.data,
            force_reason=self.force_reason.data or "",
        )
