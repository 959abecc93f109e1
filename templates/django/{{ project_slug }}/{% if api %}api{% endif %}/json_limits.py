"""How deeply a JSON request body may nest: deeper is refused as malformed (a 400).

Python's json module parses nesting by recursion, so a body of a few thousand `[` raises
RecursionError, which would end the request with a 500; and a structure just short of
that breaks whatever walks it next (validating it, writing it back out). No real request
nests anywhere near MAX_DEPTH levels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MAX_DEPTH = 32


def parse_nested_json(parse: Callable[[], Any]) -> Any:
    """What `parse()` returns; ValueError if it nests more than MAX_DEPTH levels."""
    too_deep = ValueError(f"nested more than {MAX_DEPTH} levels deep")
    try:
        value = parse()
    except RecursionError:
        raise too_deep from None
    # Walked with a list of (container, depth) still to look into: no recursion here.
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            raise too_deep
        pending.extend((child, depth + 1) for child in children)
    return value
