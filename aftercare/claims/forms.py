"""Claim decision forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from aftercare.core.web.labels import DISALLOW_LABELS, PAYMENT_METHOD_LABELS
from aftercare.core.web.once import OnceForm
from aftercare.domain.evidence import ELIGIBLE_PAYMENT_METHODS


class LineEligibilityForm(FlaskForm):
    eligible = BooleanField(_l("Eligible for cost sharing"))
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=10_000)])


class ApproveForm(OnceForm):
    """A CSRF-protected POST; the figures are on the page above the button."""


class ReviewForm(FlaskForm):
    """An auditor's or manager's decision on one line's evidence."""

    status = SelectField(
        _l("Decision"),
        choices=[("verified", _l("Verified")), ("disallowed", _l("Disallowed"))],
        default="verified",
    )
    reason = SelectField(
        _l("Reason if disallowed"), choices=[("", "—"), *DISALLOW_LABELS.items()], default=""
    )
    note = StringField(_l("Note"), validators=[Length(max=10_000)])


class FirmPaymentForm(OnceForm):
    """The firm's payment of its own share to the supplier, with the proof."""

    amount = IntegerField(
        _l("Amount paid (won)"), validators=[InputRequired(), NumberRange(min=0, max=10**13)]
    )
    method = SelectField(
        _l("Paid by"),
        choices=[(m, PAYMENT_METHOD_LABELS[m]) for m in ELIGIBLE_PAYMENT_METHODS],
        default="transfer",
    )
    paid_on = DateField(_l("Payment date"), validators=[InputRequired()])
    file = FileField(_l("Proof of payment (PDF, JPEG, PNG)"))


class ConfirmPaymentForm(OnceForm):
    """A CSRF-protected POST: the payment is shown above the button."""
