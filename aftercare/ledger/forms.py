"""Ledger forms: budget top-ups and the empty forms behind confirmed actions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import TextInput

from aftercare.core.web.once import OnceForm
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
