"""Forms of the recovery pages; each money step is sent once (OnceForm)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from aftercare.core.web.labels import RECOVERY_GROUNDS_LABELS
from aftercare.core.web.once import OnceForm

MONEY = NumberRange(min=1, max=10**13, message=_l("Amount must be a positive number of won."))
TEXT = Length(max=10_000)


class ClaimChoices(SelectMultipleField):
    """Settled claims as checkboxes (filled with the firm's claims by the view)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OpenCaseForm(OnceForm):
    claim_ids = ClaimChoices(_l("Settled claims"), coerce=int)
    grounds = SelectField(_l("Grounds"), choices=list(RECOVERY_GROUNDS_LABELS.items()))
    grounds_note = TextAreaField(_l("Description of the grounds"), validators=[TEXT])
    amount = IntegerField(_l("Amount to recover (won)"), validators=[InputRequired(), MONEY])
    files = MultipleFileField(_l("Evidence (PDF, JPEG, PNG)"))


class EvidenceFileForm(OnceForm):
    files = MultipleFileField(_l("Evidence (PDF, JPEG, PNG)"))


class DecideForm(OnceForm):
    amount = IntegerField(_l("Decided amount (won)"), validators=[InputRequired(), MONEY])
    due_on = DateField(_l("Due date"), validators=[InputRequired()])
    note = TextAreaField(_l("Decision note"), validators=[TEXT])


class CaseReasonForm(OnceForm):
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), TEXT])


class ObjectionForm(OnceForm):
    text = TextAreaField(_l("Why you object"), validators=[InputRequired(), TEXT])
    files = MultipleFileField(_l("Supporting files (PDF, JPEG, PNG)"))


class ObjectionDecisionForm(OnceForm):
    outcome = RadioField(
        _l("Answer"),
        choices=[("uphold", _l("Uphold the decision")), ("revise", _l("Revise the amount down"))],
        default="uphold",
    )
    amount = IntegerField(_l("Revised amount (won)"), validators=[Optional(), MONEY])
    note = TextAreaField(_l("Reason"), validators=[InputRequired(), TEXT])


class PaymentForm(OnceForm):
    amount = IntegerField(_l("Amount received (won)"), validators=[InputRequired(), MONEY])
    received_on = DateField(_l("Received on"), validators=[InputRequired()])
    note = TextAreaField(_l("Note"), validators=[TEXT])


class RestrictionForm(OnceForm):
    firm_id = SelectField(_l("Firm"), coerce=int, validators=[InputRequired()])
    starts_on = DateField(_l("First day"), validators=[InputRequired()])
    years = IntegerField(
        _l("Years"),
        default=3,
        validators=[InputRequired(), NumberRange(min=1, max=10, message=_l("From 1 to 10 years."))],
    )
    source_note = TextAreaField(
        _l("Imposed by (authority, decision number)"),
        validators=[InputRequired(), Length(max=2000)],
    )
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(max=2000)])
