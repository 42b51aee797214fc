"""Object names: the rules every adapter applies, so a name that works on one works on all."""

from __future__ import annotations

import re
import unicodedata

from backend.errors import FieldProblem, ValidationFailed

MAX_NAME_BYTES = 1024  # Cloud Storage's limit, in UTF-8
MAX_SEGMENT_BYTES = 255  # a file name's limit on the local file systems
_WORD = r"[A-Za-z0-9!#$&^_.+-]+"  # a token of RFC 9110
_CONTENT_TYPE = re.compile(rf'{_WORD}/{_WORD}( *; *{_WORD}=({_WORD}|"[^"\x00-\x1f\x7f]*"))*')


def check_path(path: str) -> str:
    """``path`` when it is a usable object name (``reports/株式会社テスト/2026-12.pdf``); else
    ValidationFailed saying what is wrong. Names are relative, ``/``-separated, and never step out."""
    if problem := _problem(path, prefix=False):
        raise ValidationFailed([FieldProblem("path", problem, value=path)])
    return path


def check_filename(filename: str) -> str:
    """``filename`` when it is a usable download name: one part of a name, no ``/``."""
    problem = "contains a /; give the name only" if "/" in filename else _problem(filename, prefix=False)
    if problem:
        raise ValidationFailed([FieldProblem("filename", problem, value=filename)])
    return filename


def check_content_type(content_type: str) -> str:
    """``content_type`` when it is a media type (``application/pdf``, ``text/csv; charset=utf-8``)."""
    if not _CONTENT_TYPE.fullmatch(content_type):
        problem = "is not a media type such as application/pdf"
        raise ValidationFailed([FieldProblem("content_type", problem, value=content_type)])
    return content_type


def check_prefix(prefix: str) -> str:
    """A prefix to list by: empty (everything), or the start of a name (may end in ``/``)."""
    if prefix and (problem := _problem(prefix, prefix=True)):
        raise ValidationFailed([FieldProblem("prefix", problem, value=prefix)])
    return prefix


def _problem(name: str, *, prefix: bool) -> str | None:
    if not name:
        return "is empty; name the object, e.g. reports/2026-12.pdf"
    if "\x00" in name:
        return "contains a NUL character"
    if "\\" in name:
        return "contains a backslash; separate folders with /"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in name):
        return "contains a control or invisible formatting character"
    if len(name.encode()) > MAX_NAME_BYTES:
        return f"is longer than {MAX_NAME_BYTES} bytes in UTF-8"
    if name.startswith("/"):
        return "is absolute; object names are relative (no leading /)"
    segments = name.split("/")
    if prefix and segments[-1] == "":
        segments.pop()  # "reports/" lists a folder
    for segment in segments:
        if segment in ("", ".", ".."):
            return "has an empty, '.' or '..' part; name the object without them"
        if segment.startswith("."):
            return f"has a part starting with '.' ({segment!r}), which is kept for the store's own files"
        if len(segment.encode()) > MAX_SEGMENT_BYTES:
            return f"has a part longer than {MAX_SEGMENT_BYTES} bytes in UTF-8"
    return None
