"""How a JSON value is named in an error message ("a string", "an array", "null").

Its own small module because every layer of the package words its messages with it: the
canonical form (a document that is not an object), loading (a file that is not an object) and
validation (each field of the wrong type).
"""

from __future__ import annotations

from typing import Any


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
