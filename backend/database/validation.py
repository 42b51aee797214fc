"""Validation building blocks shared by the relational schemas and the document models."""

from __future__ import annotations

from pydantic import AfterValidator

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # BIGINT in PostgreSQL, integers in Firestore


def no_nul(value: str) -> str:
    """Refuse NUL characters: PostgreSQL text cannot hold them and they are never meant."""
    if "\x00" in value:
        raise ValueError("contains a NUL character, which text cannot hold")
    return value


NoNul = AfterValidator(no_nul)
