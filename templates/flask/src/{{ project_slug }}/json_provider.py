"""How the app reads and writes JSON: Flask's own provider, refusing request bodies that
nest too deeply (json_limits.py). Flask answers those with the 400 it gives any
malformed JSON, instead of a 500 from a RecursionError."""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider

from .json_limits import parse_nested_json


class JSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        loads = super().loads
        return parse_nested_json(lambda: loads(s, **kwargs))
