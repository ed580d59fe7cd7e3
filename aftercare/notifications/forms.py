"""The notification settings form: two checkboxes per event kind of the user's role."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField

from aftercare.domain.notification_kinds import Channels

TRUE_VALUES = frozenset({"1", "y", "on", "true"})
FALSE_VALUES = frozenset({"0", "false", ""})
CHANNEL_PREFIXES = ("in_app_", "email_")


class StrictBooleanField(BooleanField):
    """A checkbox that refuses values no checkbox sends (instead of reading them as 'on')."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            self.data = False
            return
        value = valuelist[0].strip().lower()
        if value in TRUE_VALUES:
            self.data = True
        elif value in FALSE_VALUES:
            self.data = False
        else:
            self.data = False
            raise ValueError(_l("Not a valid choice."))


class PreferencesForm(FlaskForm):
    """Fields are added per role by `preferences_form`."""

    kinds: list[str] = []

    def choices(self) -> dict[str, Channels]:
        return {
            kind: Channels(self[f"in_app_{kind}"].data, self[f"email_{kind}"].data)
            for kind in self.kinds
        }

    def unknown_fields(self, posted: list[str]) -> list[str]:
        """Posted channel fields that are not on this form (another role's events, say)."""
        return [
            name
            for name in posted
            if name.startswith(CHANNEL_PREFIXES) and name not in self._fields
        ]


def preferences_form(
    kinds: list[str], current: dict[str, Channels], formdata: Any = None
) -> PreferencesForm:
    """A form for `kinds`, read from `formdata` when posted, else filled from `current`.

    The posted data is passed explicitly: with every box cleared (and no CSRF field) the
    body is empty, which must still mean "all off", not "nothing was posted".
    """

    class RoleForm(PreferencesForm):
        pass

    RoleForm.kinds = list(kinds)
    for kind in kinds:
        setattr(RoleForm, f"in_app_{kind}", StrictBooleanField(_l("In the app")))
        setattr(RoleForm, f"email_{kind}", StrictBooleanField(_l("By e-mail")))
    data = {}
    for kind, channels in current.items():
        data[f"in_app_{kind}"] = channels.in_app
        data[f"email_{kind}"] = channels.email
    return RoleForm(formdata=formdata, data=data)
