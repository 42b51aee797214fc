"""How the embedded store keeps Firestore values in JSON text.

Plain JSON holds null, booleans, finite numbers, strings, arrays and maps unchanged, so SQLite's
JSON functions read them directly. The other types become one-key objects whose key is a name
Firestore reserves (``__x__``), so they can never collide with user data:
``{"__ts__": "2024-04-01T09:00:00.000000+00:00"}`` (fixed width: text order is time order),
``{"__bytes__": "<hex>"}``, ``{"__ref__": "companies/1"}``, ``{"__geo__": [lat, lng]}``,
``{"__float__": "nan" | "inf" | "-inf"}``.

SQLite's JSON functions end a string at a NUL character, so string values holding U+0000 would
compare as if cut there. Such strings (and those holding U+0001, to keep the mapping one-to-one)
are stored escaped, U+0000 as U+0001 U+0001 and U+0001 as U+0001 U+0002, which keeps their order;
SQL operands are escaped the same way (``sql_text``) and decoding undoes it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from backend.database.documents.values import GeoPoint, Reference, is_sentinel

TS, BYTES, REF, GEO, FLOAT = "__ts__", "__bytes__", "__ref__", "__geo__", "__float__"
_TAGS = frozenset((TS, BYTES, REF, GEO, FLOAT))


def timestamp_text(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


class HasSentinel(Exception):
    """The data holds a write sentinel, which must be resolved against the stored document first."""


def _special(value: Any) -> Any:
    if is_sentinel(value):
        raise HasSentinel
    if isinstance(value, datetime):
        return {TS: timestamp_text(value)}
    if isinstance(value, bytes):
        return {BYTES: value.hex()}
    if isinstance(value, Reference):
        return {REF: value.path}
    if isinstance(value, GeoPoint):
        return {GEO: [value.latitude, value.longitude]}
    raise TypeError(f"{type(value).__name__} cannot be stored")


def _nonfinite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return {FLOAT: "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if isinstance(value, Mapping):
        return {k: _nonfinite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_nonfinite(v) for v in value]
    return value


def encode(data: Mapping[str, Any]) -> str:
    """JSON text for a validated document; raises HasSentinel if a write sentinel is left in it."""
    try:
        text = json.dumps(data, default=_special, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:  # NaN or an infinity somewhere: tag them, then encode again
        text = json.dumps(_nonfinite(data), default=_special, ensure_ascii=False, separators=(",", ":"))
    if _NUL in text or _SOH in text:  # json.dumps writes these characters only as escapes
        text = json.dumps(_escape_strings(data), default=_special, ensure_ascii=False, separators=(",", ":"))
    return text


_NUL, _SOH = "\\u0000", "\\u0001"  # U+0000 and U+0001 as they appear in JSON text


def sql_text(value: str) -> str:
    """A string as the store keeps it (see the module's docstring); most strings are unchanged."""
    if "\x00" in value or "\x01" in value:
        return value.replace("\x01", "\x01\x02").replace("\x00", "\x01\x01")
    return value


_ESCAPED = re.compile("\x01([\x01\x02])")


def _unescape(value: str) -> str:
    return _ESCAPED.sub(lambda m: "\x00" if m.group(1) == "\x01" else "\x01", value)


def _escape_strings(value: Any) -> Any:
    if isinstance(value, str):
        return sql_text(value)
    if isinstance(value, Mapping):
        return {k: _escape_strings(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escape_strings(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return {FLOAT: "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    return value


def _unescape_strings(value: Any) -> Any:
    if isinstance(value, str):
        return _unescape(value) if "\x01" in value else value
    if isinstance(value, dict):
        return {k: _unescape_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unescape_strings(v) for v in value]
    return value


def _decode_object(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        ((key, value),) = obj.items()
        if key in _TAGS:
            if key == TS:
                return datetime.fromisoformat(value)
            if key == BYTES:
                return bytes.fromhex(value)
            if key == REF:
                return Reference(value)
            if key == GEO:
                return GeoPoint(value[0], value[1])
            return float(value)
    return obj


# The decoder's scanner, called directly: the store writes its JSON without surrounding whitespace,
# which is all JSONDecoder.decode would handle beyond it (in Python, per document).
scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder(object_hook=_decode_object).scan_once  # type: ignore[attr-defined]
ESCAPED = _SOH  # in a document's text when it holds escaped strings; else ``scan(text, 0)[0]`` decodes it


def decode(text: str) -> dict[str, Any]:
    """The document's data from its JSON text."""
    result: dict[str, Any] = scan(text, 0)[0]
    if _SOH in text:  # escaped strings (rare): undo the escaping
        result = _unescape_strings(result)
    return result
