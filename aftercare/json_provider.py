"""JSON answers encoded with orjson: several times faster than the standard library.

Decoding (request bodies) stays with the standard library. Output differs from
Flask's default only in form: UTF-8 instead of \\u escapes, keys in insertion
order. Dates and dataclasses still go through Flask's own conversion, so every
value encodes as it did before.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider, _default

OPTIONS = (
    orjson.OPT_NON_STR_KEYS  # {1: …} → {"1": …}, as json.dumps does
    | orjson.OPT_PASSTHROUGH_DATETIME  # dates as Flask writes them (HTTP dates)
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


class OrjsonProvider(DefaultJSONProvider):
    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if set(kwargs) - {"indent", "separators"}:
            return super().dumps(obj, **kwargs)
        return self._encode(obj, pretty=bool(kwargs.get("indent"))).decode()

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        pretty = self.compact is False or (self.compact is None and self._app.debug)
        return self._app.response_class(self._encode(obj, pretty) + b"\n", mimetype=self.mimetype)

    @staticmethod
    def _encode(obj: Any, pretty: bool) -> bytes:
        return orjson.dumps(obj, default=_default, option=OPTIONS | (orjson.OPT_INDENT_2 * pretty))
