"""Asset forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from aftercare.choices.fields import ChooserField
from aftercare.core.web.once import OnceForm
from aftercare.domain.assets import ASSET_KINDS

KIND_LABELS = {"equipment": _l("Equipment"), "system": _l("System (software)")}


class AssetForm(OnceForm):
    firm_id = ChooserField(_l("Firm"), kind="firms")
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        _l("Kind"), choices=[(k, KIND_LABELS[k]) for k in ASSET_KINDS], default="equipment"
    )
    maker = StringField(_l("Maker"), validators=[Length(max=120)])
    model = StringField(_l("Model"), validators=[Length(max=120)])
    serial = StringField(_l("Serial number"), validators=[Length(max=120)])
    location = StringField(_l("Location (line, building)"), validators=[Length(max=200)])
    installed_year = IntegerField(_l("Year installed"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Length(max=2_000)])
    submit = SubmitField(_l("Save"))

    def to_data(self) -> dict[str, Any]:
        """The plain values the asset services take."""
        return {
            "firm_id": self.firm_id.data,
            "name": self.name.data or "",
            "kind": self.kind.data,
            "maker": self.maker.data or "",
            "model": self.model.data or "",
            "serial": self.serial.data or "",
            "location": self.location.data or "",
            "installed_year": self.installed_year.data,
            "note": self.note.data or "",
        }


class ConfirmForm(FlaskForm):
    """An empty form: its CSRF token is what a confirmation page posts."""
