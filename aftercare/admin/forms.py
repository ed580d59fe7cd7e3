"""Administrator forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length

from aftercare.choices.fields import ChooserField
from aftercare.core.web.labels import ROLE_LABELS
from aftercare.core.web.once import OnceForm
from aftercare.domain.vocab import Role


def role_choices() -> list[tuple[str, str]]:
    return [(r.value, ROLE_LABELS[r.value]) for r in Role]


class UserCreateForm(OnceForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(_l("Role"), choices=[], validators=[DataRequired()])
    firm_id = ChooserField(_l("Firm (firm users only)"), kind="firms")
    language = SelectField(
        _l("Language"), choices=[("ko", "한국어"), ("en", "English")], default="ko"
    )
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(min=10)])
    submit = SubmitField(_l("Create user"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()


class ResetPasswordForm(OnceForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=10)])
    submit = SubmitField(_l("Reset password"))


class ConfirmForm(FlaskForm):
    """An empty form: a POST with a CSRF token, after a confirmation step."""

    submit = SubmitField(_l("Confirm"))
