"""Firm forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional

from aftercare.core.web.labels import SIZE_LABELS
from aftercare.core.web.once import OnceForm
from aftercare.core.web.templating import region_label
from aftercare.domain.vocab import REGIONS, SizeClass
from aftercare.suppliers.queries import supplier_choices


def region_choices() -> list[tuple[str, str]]:
    """A blank prompt, then the 17 regions in the page's language (Korean names by default)."""
    return [("", _l("Choose…")), *((code, region_label(code)) for code in REGIONS)]


def size_choices() -> list[tuple[str, Any]]:
    return [("", _l("Choose…")), *((size.value, SIZE_LABELS[size.value]) for size in SizeClass)]


def optional_id(value: Any) -> int | None:
    """A select's value as an id: "" (no choice) is None; anything not a number is -1,
    which matches no choice (so the form says so instead of failing)."""
    if value in (None, ""):
        return None
    if isinstance(value, int):
        return value
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else -1


def supplier_select_choices(current_id: int | None) -> list[tuple[Any, Any]]:
    """No supplier, then the active registry entries (and the firm's current one)."""
    choices: list[tuple[Any, Any]] = [("", _l("No supplier"))]
    for supplier_id, name, active in supplier_choices(current_id):
        label = name if active else _l("%(name)s (deactivated)", name=name)
        choices.append((supplier_id, label))
    return choices


class FirmForm(OnceForm):
    name = StringField(_l("Firm name"), validators=[DataRequired(), Length(max=200)])
    registration_number = StringField(
        _l("Business registration number"), validators=[DataRequired(), Length(max=14)]
    )
    size = SelectField(_l("Size class"), choices=[], validators=[DataRequired()])
    region = SelectField(_l("Region"), choices=[], validators=[DataRequired()])
    industry = StringField(_l("Industry"), validators=[Length(max=100)])
    built_year = IntegerField(_l("Year the smart factory was built"), validators=[Optional()])
    policy_fund_year = IntegerField(
        _l("Year of the last policy-fund facility investment"), validators=[Optional()]
    )
    supplier_id = SelectField(
        _l("Solution supplier"), coerce=optional_id, choices=[], validate_choice=True
    )
    contact_name = StringField(_l("Contact person"), validators=[Length(max=100)])
    contact_phone = StringField(_l("Contact phone"), validators=[Length(max=40)])
    contact_email = EmailField(
        _l("Contact e-mail"), validators=[Optional(), Email(), Length(max=254)]
    )
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: Any, current_supplier_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.size.choices = size_choices()
        self.region.choices = region_choices()
        self.supplier_id.choices = supplier_select_choices(current_supplier_id)

    def to_data(self) -> dict[str, Any]:
        """The plain values the firm services take."""
        return {
            "name": (self.name.data or "").strip(),
            "registration_number": (self.registration_number.data or "").strip(),
            "size": self.size.data,
            "region": self.region.data,
            "industry": (self.industry.data or "").strip(),
            "built_year": self.built_year.data,
            "policy_fund_year": self.policy_fund_year.data,
            "supplier_id": self.supplier_id.data,
            "contact_name": (self.contact_name.data or "").strip(),
            "contact_phone": (self.contact_phone.data or "").strip(),
            "contact_email": (self.contact_email.data or "").strip(),
        }


class ContactsForm(OnceForm):
    """What a firm edits itself on its company page: who to call (the service checks it)."""

    contact_name = StringField(_l("Contact person"))
    contact_phone = StringField(_l("Contact phone"), render_kw={"inputmode": "tel"})
    contact_email = StringField(_l("Contact e-mail"), render_kw={"inputmode": "email"})

    def to_data(self) -> dict[str, str]:
        return {
            name: (getattr(self, name).data or "").strip()[:300]
            for name in ("contact_name", "contact_phone", "contact_email")
        }
