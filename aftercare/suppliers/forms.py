"""Supplier registry forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from aftercare.core.web.once import OnceForm
from aftercare.domain.vocab import SPECIALTIES
from aftercare.firms.forms import region_choices
from aftercare.meisters.forms import CheckboxesField, specialty_label


class SupplierForm(OnceForm):
    """Register or edit a supplier (creating takes effect once, as every creating form)."""

    name = StringField(_l("Supplier name"), validators=[DataRequired(), Length(max=200)])
    registration_number = StringField(
        _l("Business registration number"), validators=[Length(max=14)]
    )
    representative = StringField(_l("Representative"), validators=[Length(max=100)])
    region = SelectField(_l("Region"), choices=[])
    solutions = CheckboxesField(_l("Solutions"), choices=[])
    contact_name = StringField(_l("Contact person"), validators=[Length(max=100)])
    contact_phone = StringField(_l("Contact phone"), validators=[Length(max=40)])
    contact_email = EmailField(
        _l("Contact e-mail"), validators=[Optional(), Email(), Length(max=254)]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.region.choices = region_choices()
        self.solutions.choices = [(code, specialty_label(code)) for code in SPECIALTIES]

    def to_data(self) -> dict[str, Any]:
        """The plain values the supplier services take."""
        return {
            "name": self.name.data or "",
            "registration_number": self.registration_number.data or "",
            "representative": self.representative.data or "",
            "region": self.region.data or "",
            "solutions": list(self.solutions.data or []),
            "contact_name": self.contact_name.data or "",
            "contact_phone": self.contact_phone.data or "",
            "contact_email": self.contact_email.data or "",
        }


class ConfirmForm(FlaskForm):
    """An empty form: its CSRF token is what the (de)activation page posts."""
