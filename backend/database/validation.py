"""Validation building blocks shared by the relational schemas and the document models."""

from __future__ import annotations

import unicodedata

from pydantic import AfterValidator

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # BIGINT in PostgreSQL, integers in Firestore

_LINE_BREAKS = frozenset("\t\n\r")
# Bidirectional overrides and isolates can make a name display as something else ("Trojan Source").
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def no_nul(value: str) -> str:
    """Refuse NUL characters: PostgreSQL text cannot hold them and they are never meant."""
    if "\x00" in value:
        raise ValueError("contains a NUL character, which text cannot hold")
    return value


def _refuse(value: str, allowed: frozenset[str]) -> str:
    no_nul(value)
    for position, char in enumerate(value, start=1):
        if (unicodedata.category(char) == "Cc" and char not in allowed) or char in _BIDI_CONTROLS:
            raise ValueError(
                f"contains the control character U+{ord(char):04X} at position {position}; "
                "remove it (copying from another program can bring one along)"
            )
    return value


def single_line(value: str) -> str:
    """Names, codes and labels: one line of visible text, no control characters at all."""
    return _refuse(value, frozenset())


def multi_line(value: str) -> str:
    """Notes and messages: line breaks and tabs are fine, other control characters are not."""
    return _refuse(value, _LINE_BREAKS)


NoNul = AfterValidator(no_nul)
SingleLine = AfterValidator(single_line)
MultiLine = AfterValidator(multi_line)
