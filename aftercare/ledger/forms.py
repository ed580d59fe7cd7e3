"""Ledger forms: budget top-ups and the empty forms behind confirmed actions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import TextInput

from aftercare.core.web.once import OnceForm
from aftercare.domain.support_types import ROUNDING_UNITS
from aftercare.ledger.services import MONEY_MAX


class WonField(IntegerField):
    """A whole number of won; accepts the way people type it: `1,000,000`, `1 000 000원`."""

    widget = TextInput()  # not type=number: browsers refuse the thousands separators

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist:
            cleaned = valuelist[0].strip().removesuffix("원").replace(",", "").replace(" ", "")
            valuelist = [cleaned, *valuelist[1:]]
        super().process_formdata(valuelist)


class AddBudgetForm(OnceForm):
    year = HiddenField(id="budget-year", validators=[DataRequired()])
    amount = WonField(
        _l("Amount (won)"),
        validators=[
            InputRequired(message=_l("Enter an amount in won.")),
            NumberRange(
                min=1, max=MONEY_MAX, message=_l("Amount must be a positive number of won.")
            ),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    reason = StringField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Give a reason.")), Length(max=500)],
    )
    submit = SubmitField(_l("Request budget addition"))


class ConfirmForm(OnceForm):
    """An empty form: a POST with a CSRF token, after a confirmation step."""

    submit = SubmitField(_l("Confirm"))


def whole_number(text: str | None) -> int | str | None:
    """A typed number as an int (`1,000,000`, `7 000 000원`); other text as typed, for the
    service to refuse in the reader's language; None when left empty."""
    if text is None or not text.strip():
        return None
    cleaned = text.strip().removesuffix("원").replace(",", "").replace(" ", "")
    return int(cleaned) if cleaned.isascii() and cleaned.isdigit() and len(cleaned) <= 16 else text


NUMERIC = {"inputmode": "numeric", "autocomplete": "off"}


class SupportTypeForm(FlaskForm):
    """A support type of a fiscal year; the service checks every value (ledger.support_types)."""

    code = StringField(
        _l("Code (lower-case letters, e.g. subscription)"), validators=[Length(max=40)]
    )
    name_ko = StringField(_l("Korean name"), validators=[Length(max=200)])
    name_en = StringField(_l("English name"), validators=[Length(max=200)])
    cap = StringField(_l("Government share cap per firm (won)"), render_kw=NUMERIC)
    share_rate_bp = StringField(
        _l("Share rate (basis points, 5000 = 50 %)"), default="5000", render_kw=NUMERIC
    )
    rounding_unit = SelectField(
        _l("Rounding unit"),
        choices=[(str(unit), f"{unit:,}원") for unit in ROUNDING_UNITS],
        default="1000",
    )
    project_months = StringField(_l("Project months"), default="6", render_kw=NUMERIC)
    extension_months = StringField(_l("Extension months"), default="2", render_kw=NUMERIC)
    is_open = BooleanField(_l("Open for new tickets"), default=True)
    submit = SubmitField(_l("Save support type"))

    NUMBERS = ("cap", "share_rate_bp", "rounding_unit", "project_months", "extension_months")

    def to_data(self, with_code: bool = True) -> dict:
        data = {
            "name_ko": self.name_ko.data or "",
            "name_en": self.name_en.data or "",
            "is_open": bool(self.is_open.data),
        }
        if with_code:
            data["code"] = (self.code.data or "").strip()
        for name in self.NUMBERS:
            value = whole_number(getattr(self, name).data)
            if value is not None:
                data[name] = value
        return data


class OpenTypeForm(FlaskForm):
    """Open (1) or close (0) a support type for new tickets."""

    is_open = HiddenField(validators=[DataRequired()])
