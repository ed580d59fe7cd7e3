"""Meister profile forms (checkboxes, so they work without JavaScript)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, SubmitField
from wtforms.validators import InputRequired
from wtforms.widgets import CheckboxInput, ListWidget

from aftercare.core.web.labels import region_label, specialty_label
from aftercare.domain.vocab import REGIONS, SPECIALTIES


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class MeisterProfileForm(FlaskForm):
    specialties = CheckboxesField(_l("Specialties"), choices=[])
    regions = CheckboxesField(_l("Regions served"), choices=[])
    max_load = IntegerField(
        _l("Maximum concurrent tickets"), default=5, validators=[InputRequired()]
    )
    active = BooleanField(_l("Active (may be suggested and assigned)"), default=True)
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.specialties.choices = [(code, specialty_label(code)) for code in SPECIALTIES]
        self.regions.choices = [(code, region_label(code)) for code in REGIONS]

    def to_data(self) -> dict[str, Any]:
        """The plain values the Meister services take."""
        return {
            "specialties": list(self.specialties.data or []),
            "regions": list(self.regions.data or []),
            "max_load": self.max_load.data,
            "active": bool(self.active.data),
        }


class MeisterCreateForm(MeisterProfileForm):
    user_id = SelectField(_l("Meister user"), coerce=int, choices=[])

    def __init__(self, *args: Any, users: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user_id.choices = users
