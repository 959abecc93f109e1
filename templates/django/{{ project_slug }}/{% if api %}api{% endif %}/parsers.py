"""The API's JSON parser (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES): DRF's, refusing bodies
nested too deeply (see json_limits.py) with the same 400 as any malformed JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from .json_limits import parse_nested_json


class JSONParser(parsers.JSONParser):
    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        parse = super().parse
        try:
            return parse_nested_json(lambda: parse(stream, media_type, parser_context))
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None
