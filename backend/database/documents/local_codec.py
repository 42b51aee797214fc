"""How the embedded store keeps Firestore values in JSON text.

Plain JSON holds null, booleans, finite numbers, strings, arrays and maps unchanged, so SQLite's
JSON functions read them directly. The other types become one-key objects whose key is a name
Firestore reserves (``__x__``), so they can never collide with user data:
``{"__ts__": "2024-04-01T09:00:00.000000+00:00"}`` (fixed width: text order is time order),
``{"__bytes__": "<hex>"}``, ``{"__ref__": "companies/1"}``, ``{"__geo__": [lat, lng]}``,
``{"__float__": "nan" | "inf" | "-inf"}``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
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
        return json.dumps(data, default=_special, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:  # NaN or an infinity somewhere: tag them, then encode again
        return json.dumps(_nonfinite(data), default=_special, ensure_ascii=False, separators=(",", ":"))


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


_DECODER = json.JSONDecoder(object_hook=_decode_object)


def decode(text: str) -> dict[str, Any]:
    """The document's data from its JSON text."""
    result: dict[str, Any] = _DECODER.decode(text)
    return result
