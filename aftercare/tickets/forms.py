"""Ticket forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from aftercare.assets.services import active_assets
from aftercare.choices.fields import ChooserField
from aftercare.core.web.labels import CATEGORY_LABELS, SEVERITY_LABELS, SUPPORT_TYPE_LABELS
from aftercare.core.web.once import OnceForm
from aftercare.ledger.queries import current_fiscal_year
from aftercare.ledger.support_types import support_type_name

NOT_AN_ID = -1  # a value no row has: the service then says which asset to choose


def optional_id(value: object) -> int | None:
    """A select's value as an id: None when blank, NOT_AN_ID when it is not a number."""
    if value in (None, ""):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isdigit() and len(text) <= 10 else NOT_AN_ID


class TicketForm(OnceForm):
    firm_id = ChooserField(_l("Firm"), kind="firms")
    asset_id = SelectField(
        _l("Asset (equipment or system)"), choices=[], coerce=optional_id, validate_choice=False
    )
    category = SelectField(
        _l("Category"), choices=list(CATEGORY_LABELS.items()), validators=[DataRequired()]
    )
    severity = SelectField(_l("Severity"), choices=list(SEVERITY_LABELS.items()), default="normal")
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    system = StringField(_l("Affected system or equipment"), validators=[Length(max=200)])
    description = TextAreaField(_l("What happened?"), validators=[Length(max=10_000)])
    tags = StringField(_l("Tags (comma-separated, e.g. plc, mes)"), validators=[Length(max=400)])
    files = MultipleFileField(_l("Photos or documents (JPEG, PNG, PDF, XLSX, text)"))


def set_asset_choices(form: TicketForm, firm_id: int | None) -> None:
    """Offer the firm's assets in service (none when the firm is not known yet)."""
    known = isinstance(firm_id, int) and 0 < firm_id < 2**31
    assets = active_assets(firm_id) if known else []
    form.asset_id.choices = [("", _l("None or not listed"))] + [
        (a.id, a.label_text + (f" ({a.location})" if a.location else "")) for a in assets
    ]


class TriageForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=[("accept", _l("Accept")), ("reject", _l("Reject"))],
        default="accept",
    )
    support_type = SelectField(_l("Support type"), choices=list(SUPPORT_TYPE_LABELS.items()))
    reason = TextAreaField(
        _l("Reason (needed to reject or to change the support type)"),
        validators=[Length(max=10_000)],
    )
    override_reason = TextAreaField(
        _l("Override reason (needed when the firm is not eligible)"),
        validators=[Length(max=10_000)],
    )


def set_support_type_choices(form: TriageForm, current: str) -> None:
    """Offer the types open in today's fiscal year, and the ticket's own type."""
    fiscal_year = current_fiscal_year()
    if fiscal_year is None:
        return  # the two types every year opens with (the form's default)
    choices = [
        (t.code, support_type_name(t.code, fiscal_year))
        for t in fiscal_year.support_types
        if t.is_open or t.code == current
    ]
    if current not in {code for code, _ in choices}:
        choices.insert(0, (current, support_type_name(current)))
    form.support_type.choices = choices


class ReasonForm(OnceForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=10_000)])


class CommentForm(OnceForm):
    body = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=10_000)])


class AttachmentForm(FlaskForm):
    files = MultipleFileField(_l("Add files"))
