"""Document paths (``chats/abc``, ``companies/1/chats/abc``) and field paths (``vas.physical``)."""

from __future__ import annotations

import re
import secrets
import string
from typing import NamedTuple

from backend.errors import FieldProblem, ValidationFailed

MAX_ID_BYTES = 1500
_RESERVED = re.compile(r"^__.*__$")
_ID_ALPHABET = string.ascii_letters + string.digits
_SIMPLE_SEGMENT = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")


def new_id() -> str:
    """A 20-character random document id, as Firestore's clients make them."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(20))


def _invalid(what: str, value: str, reason: str) -> ValidationFailed:
    return ValidationFailed([FieldProblem(what, reason, value=value)])


_PLAIN_PATH = re.compile(r"^[A-Za-z0-9_\-]{1,200}(?:/[A-Za-z0-9_\-]{1,200})*$")


def _segments(path: str, what: str) -> list[str]:
    if isinstance(path, str) and _PLAIN_PATH.match(path) and "__" not in path:
        return path.split("/")  # the usual path: plain ids, nothing reserved
    if not isinstance(path, str) or not path.strip("/"):
        raise _invalid(what, str(path), "must be a non-empty path such as 'chats' or 'chats/abc'")
    parts = path.strip("/").split("/")
    for part in parts:
        if not part:
            raise _invalid(what, path, "has an empty segment ('//')")
        if part in (".", "..") or _RESERVED.match(part):
            raise _invalid(what, path, f"segment {part!r} is reserved")
        if len(part.encode()) > MAX_ID_BYTES:
            raise _invalid(what, path, f"a segment is longer than {MAX_ID_BYTES} bytes")
    return parts


def document_id_problem(value: object) -> str | None:
    """Why ``value`` is not a single document id, or None when it is one."""
    if not isinstance(value, str) or not value:
        return "must be a non-empty string"
    if "/" in value or value in (".", "..") or _RESERVED.match(value):
        return "must be one document id: no '/', not '.' or '..', not of the form __x__"
    if len(value.encode()) > MAX_ID_BYTES:
        return f"must be at most {MAX_ID_BYTES} bytes"
    return None


def child_path(collection: str, doc_id: object, *, field: str = "id") -> str:
    """``collection/doc_id``, refusing an id that is not one plain document id (naming ``field``)."""
    if (reason := document_id_problem(doc_id)) is not None:
        raise ValidationFailed([FieldProblem(field, reason, value=doc_id)])
    return f"{collection_path(collection)}/{doc_id}"


class DocPath(NamedTuple):
    """A validated document path: its parent collection path and its id."""

    parent: str
    id: str

    @property
    def path(self) -> str:
        return f"{self.parent}/{self.id}"


def document_path(path: str) -> DocPath:
    parts = _segments(path, "path")
    if len(parts) % 2:
        raise _invalid("path", path, "names a collection; a document path has an even number of segments")
    return DocPath(parent="/".join(parts[:-1]), id=parts[-1])


def collection_path(path: str) -> str:
    parts = _segments(path, "collection")
    if not len(parts) % 2:
        raise _invalid(
            "collection", path, "names a document; a collection path has an odd number of segments"
        )
    return "/".join(parts)


def collection_id(collection: str) -> str:
    return collection.rsplit("/", 1)[-1]


def document_name_size(path: str) -> int:
    """Firestore's storage size of a document name: each segment's UTF-8 length + 1, plus 16."""
    # sum(len(segment) + 1) over the segments is the path's length plus one (the '/'s are not counted)
    return (len(path) if path.isascii() else len(path.encode())) + 17


# --- field paths -----------------------------------------------------------------------------

FieldPath = tuple[str, ...]


def parse_field_path(text: str, *, what: str = "field") -> FieldPath:
    """``a.b`` -> ("a", "b"); backticks quote a segment holding dots: ```a.b`.c`` -> ("a.b", "c")."""
    if not isinstance(text, str) or not text:
        raise _invalid(what, str(text), "must be a non-empty field path such as 'vas.physical'")
    parts: list[str] = []
    i = 0
    while i <= len(text):
        if i < len(text) and text[i] == "`":
            end = i + 1
            buf = []
            while end < len(text) and text[end] != "`":
                if text[end] == "\\" and end + 1 < len(text):
                    end += 1
                buf.append(text[end])
                end += 1
            if end >= len(text):
                raise _invalid(what, text, "has an unclosed backtick")
            parts.append("".join(buf))
            i = end + 1
        else:
            end = text.find(".", i)
            end = len(text) if end < 0 else end
            parts.append(text[i:end])
            i = end
        if i < len(text):
            if text[i] != ".":
                raise _invalid(what, text, "has characters after a closing backtick")
            i += 1
            if i == len(text):
                raise _invalid(what, text, "ends with '.'")
        else:
            break
    for part in parts:
        check_field_name(part, what=what, path=text)
    return tuple(parts)


def check_field_name(name: object, *, what: str = "field", path: str | None = None) -> None:
    """Firestore's rules for one field name: a non-empty string, not ``__x__``, at most 1500 bytes."""
    shown = path if path is not None else str(name)
    if not isinstance(name, str) or not name:
        raise _invalid(what, shown, "field names must be non-empty strings")
    if _RESERVED.match(name):
        raise _invalid(what, shown, f"field name {name!r} is reserved (names like __x__ are Firestore's)")
    if len(name.encode()) > MAX_ID_BYTES:
        raise _invalid(what, shown[:100], f"a field name is longer than {MAX_ID_BYTES} bytes")


def format_field_path(path: FieldPath) -> str:
    """The string form that ``parse_field_path`` reads back (backticks where needed)."""
    return ".".join(p if _SIMPLE_SEGMENT.match(p) else "`" + p.replace("`", "\\`") + "`" for p in path)
