"""Forms of the Meister's work and the firm's sign-off."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from aftercare.choices.fields import ChooserField
from aftercare.core.web.labels import COST_KIND_LABELS
from aftercare.core.web.once import OnceForm


class CostLineForm(Form):
    """One cost line; a row left blank is ignored."""

    kind = SelectField(_l("Kind"), choices=list(COST_KIND_LABELS.items()), default="labour")
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)])
    quantity = IntegerField(_l("Quantity"), validators=[Optional(), NumberRange(min=1)])
    unit_price = IntegerField(
        _l("Unit price (won)"), validators=[Optional(), NumberRange(min=0, max=10_000_000_000)]
    )

    def is_blank(self) -> bool:
        return not (self.description.data or self.quantity.data or self.unit_price.data)


class VisitForm(OnceForm):
    visited_on = DateField(_l("Visit date"), validators=[InputRequired()])
    hours = DecimalField(
        _l("Hours on site"), places=1, validators=[InputRequired(), NumberRange(min=0.1, max=24)]
    )
    notes = TextAreaField(_l("Work notes"), validators=[Length(max=10_000)])
    lines = FieldList(FormField(CostLineForm), min_entries=3, max_entries=50)


class AssignForm(FlaskForm):
    meister_id = ChooserField(
        _l("Smart Meister"),
        validators=[InputRequired(message=_l("Choose a Meister."))],
        kind="meisters",
    )
    force_reason = TextAreaField(
        _l("Force reason (needed past the maximum load or after a decline)"),
        validators=[Length(max=10_000)],
    )


class SummaryForm(FlaskForm):
    summary = TextAreaField(
        _l("Summary of the work"), validators=[DataRequired(), Length(max=10_000)]
    )


class ConfirmWorkForm(FlaskForm):
    rating = RadioField(
        _l("Rating"),
        choices=[("5", "★★★★★"), ("4", "★★★★"), ("3", "★★★"), ("2", "★★"), ("1", "★")],
        validators=[InputRequired(message=_l("Rate the work from 1 to 5."))],
    )
    comment = TextAreaField(_l("Comment (optional)"), validators=[Length(max=10_000)])
