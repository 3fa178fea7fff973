"""JSON text from logs decoded without surprises: any bad input fails as ValueError.

The standard decoder raises RecursionError on a value nested deeper than Python's recursion
limit; a hostile record must be a rejected record, never a crash.
"""

from __future__ import annotations

import json
from typing import Any

_DECODER = json.JSONDecoder()
TOO_DEEP = "JSON nested too deeply to decode"


def loads(text: str | bytes) -> Any:
    """`json.loads` that fails as ValueError on any input."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(TOO_DEEP) from None


def raw_decode(text: str, pos: int) -> tuple[Any, int]:
    """`JSONDecoder.raw_decode` at `pos` that fails as ValueError on any input."""
    try:
        return _DECODER.raw_decode(text, pos)
    except RecursionError:
        raise ValueError(TOO_DEEP) from None


def dumps(value: Any) -> str | None:
    """`json.dumps`, or None for a value too deep to encode."""
    try:
        return json.dumps(value)
    except RecursionError:
        return None
