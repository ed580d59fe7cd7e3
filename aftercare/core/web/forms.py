"""Helpers shared by the HTML forms."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_wtf import FlaskForm

from aftercare.domain.errors import ValidationFailed


def apply_errors(form: FlaskForm, error: ValidationFailed) -> None:
    """Show a service's field errors beside the matching form fields."""
    for field_name, messages in error.errors.items():
        translated = [_(m) for m in messages]
        field = getattr(form, field_name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *translated]
        else:
            form.form_errors.extend(translated)
