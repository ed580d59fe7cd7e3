"""Claim decision forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length

from aftercare.core.web.once import OnceForm


class LineEligibilityForm(FlaskForm):
    eligible = BooleanField(_l("Eligible for cost sharing"))
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=10_000)])


class ApproveForm(OnceForm):
    """A CSRF-protected POST; the figures are on the page above the button."""
