"""ChooserField: a form field holding the id of a firm, Meister or supplier chosen by name.

Without JavaScript a short list is a plain <select>; a long one is a text box that takes
an exact name. static/js/chooser.js turns either into a searchable list (GET /choices/…).
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms import Field
from wtforms.meta import DefaultMeta
from wtforms.validators import ValidationError
from wtforms.widgets import html_params

from aftercare.choices.kinds import KINDS, Choice, Kind
from aftercare.domain.vocab import MAX_ID

SELECT_MAX = 100  # up to this many choices the field is a <select>
NOT_CHOSEN = -1  # typed text that names no single choice

MESSAGES = {
    "firms": _l("Choose a firm from the list."),
    "meisters": _l("Choose an active Smart Meister."),
    "suppliers": _l("Choose an active supplier from the list."),
}


class ChooserWidget:
    def __call__(self, field: ChooserField, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        kwargs["data-chooser"] = field.kind.name
        kwargs["data-chooser-url"] = url_for(f"choices.{field.kind.name}")
        if field.include_inactive:
            kwargs["data-chooser-url"] += "?inactive=1"
        kwargs["data-chooser-blank"] = str(field.blank)
        kwargs["data-chooser-none"] = _("No match. Try part of the name.")
        kwargs["data-chooser-fail"] = _("The list could not be loaded. Try again.")
        if field.errors:
            kwargs["aria-invalid"] = "true"
        options = None if kwargs.pop("as_text", False) else field.short_list()
        if options is None:
            return self._text(field, kwargs)
        return self._select(field, options, kwargs)

    def _select(self, field: ChooserField, options: list[Choice], kwargs: dict) -> Markup:
        kwargs["class"] = kwargs.pop("class_", kwargs.get("class", "")).replace(
            "form-control", "form-select"
        )
        chosen = field.data if isinstance(field.data, int) else None
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        html.append(f'<option value="">{escape(field.blank)}</option>')
        for choice in options:
            selected = " selected" if choice.id == chosen else ""
            html.append(
                f'<option value="{choice.id}"{selected} data-detail="{escape(choice.detail)}">'
                f"{escape(choice.label)}</option>"
            )
        html.append("</select>")
        return Markup("".join(html))

    def _text(self, field: ChooserField, kwargs: dict) -> Markup:
        chosen = field.chosen()
        kwargs["data-chooser-value"] = chosen.id if chosen else ""
        value = chosen.label if chosen else field.raw
        params = html_params(
            name=field.name, type="text", value=value, autocomplete="off", **kwargs
        )
        return Markup(f"<input {params}>")


class ChooserField(Field):
    """The id of one firm, Meister or supplier; None when left empty."""

    widget = ChooserWidget()

    def __init__(
        self,
        label: Any = None,
        validators: Any = None,
        *,
        kind: str,
        include_inactive: bool = False,
        blank: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.kind: Kind = KINDS[kind]
        self.include_inactive = include_inactive
        self.blank = blank if blank is not None else _l("Type to search or choose")
        self.message = MESSAGES[kind]
        self.raw = ""
        self._chosen: Choice | None = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = str(valuelist[0]).strip()[:200] if valuelist else ""
        if not may_choose(self.kind):  # the field is not theirs: a firm files for itself
            self.raw, self.data = "", None
            return
        self.data = parse_choice(self.kind, self.raw, self.include_inactive)

    def pre_validate(self, form: Any) -> None:
        if self.data is None:
            return
        if self.chosen() is None:
            raise ValidationError(str(self.message))

    def chosen(self) -> Choice | None:
        if not isinstance(self.data, int) or self.data == NOT_CHOSEN:
            return None
        if self._chosen is None or self._chosen.id != self.data:
            self._chosen = self.kind.get(self.data, self.include_inactive)
        return self._chosen

    def short_list(self) -> list[Choice] | None:
        """Every choice when there are few enough for a <select>, else None."""
        if self.kind.count(self.include_inactive) > SELECT_MAX:
            return None
        return self.kind.search("", self.include_inactive, limit=SELECT_MAX)

    def _value(self) -> str:
        return str(self.data) if isinstance(self.data, int) and self.data > 0 else ""


def may_choose(kind: Kind) -> bool:
    return current_user.is_authenticated and current_user.role in kind.roles


def parse_choice(kind: Kind, raw: str, include_inactive: bool = False) -> int | None:
    """A submitted value as an id: digits as they are, an exact name when only one has it."""
    raw = raw.strip()
    if not raw:
        return None
    if raw.isascii() and raw.isdigit():  # not "²" or "١": digits int() refuses or reads
        return int(raw) if len(raw) <= 10 else NOT_CHOSEN
    matches = kind.named(raw, include_inactive)
    return matches[0].id if len(matches) == 1 else NOT_CHOSEN


def filter_chooser(kind: str, name: str, value: Any, **attrs: Any) -> Markup:
    """A list filter's chooser (any firm or Meister, inactive ones too): the query string
    still carries the id, the person sees and searches names. Always a search box: lists
    are the busiest pages, and a name typed without the script is found by `filter_id`."""
    field = ChooserField(kind=kind, include_inactive=True, blank=_l("All")).bind(
        form=None, name=name, _meta=DefaultMeta()
    )
    raw = "" if value is None else str(value)
    field.raw = raw
    field.data = parse_choice(field.kind, raw, include_inactive=True)
    return field(class_="form-control", as_text=True, **attrs)


def filter_id(kind: str, value: Any) -> int | None:
    """A list filter's value as an id: digits, or the exact name of one firm or Meister.

    A name nobody has matches nothing (an id past every real one), never everything.
    """
    text = str(value or "").strip()[:200]
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return min(int(text), MAX_ID)
    chosen = parse_choice(KINDS[kind], text, include_inactive=True)
    return MAX_ID if chosen in (None, NOT_CHOSEN) else chosen
