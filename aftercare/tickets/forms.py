"""Ticket forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from aftercare.labels import CATEGORY_LABELS, SEVERITY_LABELS, SUPPORT_TYPE_LABELS


class TicketForm(FlaskForm):
    firm_id = IntegerField(_l("Firm ID"), validators=[Optional()])
    category = SelectField(
        _l("Category"), choices=list(CATEGORY_LABELS.items()), validators=[DataRequired()]
    )
    severity = SelectField(_l("Severity"), choices=list(SEVERITY_LABELS.items()), default="normal")
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    system = StringField(_l("Affected system or equipment"), validators=[Length(max=200)])
    description = TextAreaField(_l("What happened?"), validators=[Length(max=10_000)])
    tags = StringField(_l("Tags (comma-separated, e.g. plc, mes)"), validators=[Length(max=400)])
    files = MultipleFileField(_l("Photos or documents (JPEG, PNG, PDF, XLSX, text)"))


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


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=10_000)])


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=10_000)])


class AttachmentForm(FlaskForm):
    files = MultipleFileField(_l("Add files"))
