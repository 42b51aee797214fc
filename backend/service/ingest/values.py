"""Cell values as Japanese files write them: numbers with ¥/円/,/△, full-width digits, はい/いいえ, labels.

Every parser takes a raw cell (text from a CSV, or a typed value from Excel) that is not empty
(see ``is_empty``) and returns the value, or raises ``ValueError`` whose message is the reason in
plain words, meant to follow the column name. Dates and months are in ``dates.py``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from decimal import Decimal

from backend.service.ingest.dates import parse_date, parse_datetime, parse_month

__all__ = [
    "MAX_AMOUNT",
    "choice_key",
    "choice_parser",
    "int_parser",
    "is_empty",
    "parse_bool",
    "parse_choice",
    "parse_code",
    "parse_date",
    "parse_datetime",
    "parse_id",
    "parse_int",
    "parse_month",
    "parse_number",
    "parse_score",
    "parse_text",
    "parse_yen",
    "yen_parser",
]

MAX_AMOUNT = 10**15  # the schemas' bound on yen; larger figures are typos or unit mistakes
_PLAIN = re.compile(r"^\d+(?:\.\d+)?$")
_PLAIN_SCORE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,6})?")
_PLAIN_INT = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,16})")
# The minus signs of Japanese statements around plain digits: △1,234 / ▲1234 / (1,234).
_MINUS_INT = re.compile(
    r"[△▲]([0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,16})|\(([0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,16})\)"
)
_GROUPED = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_EXPONENT = re.compile(r"^\d+(?:\.\d+)?e[+-]?\d+$", re.IGNORECASE)
_NOT_FINITE = frozenset({"nan", "inf", "infinity", "-inf", "+inf", "-infinity", "+infinity"})
_EXCEL_ERROR = re.compile(r"^#(?:N/A|[A-Z/0]+[!?])$", re.IGNORECASE)  # #DIV/0!, #VALUE!, #N/A, #NAME?
# Shift_JIS files often show the yen sign as a backslash (both are byte 0x5C).
_YEN_SIGNS = ("¥", "\\")
_COUNT_UNITS = ("人", "名", "件", "回", "分", "点")
_TRUE = frozenset({"true", "t", "yes", "y", "1", "はい", "○", "◯", "〇", "有", "有効", "在籍", "在職", "on"})
_FALSE = frozenset(
    {"false", "f", "no", "n", "0", "いいえ", "×", "✕", "✖", "x", "無", "無効", "退職", "退社", "離職", "off"}
)
_CHOICE_JUNK = re.compile(r"[\s_\-・/]+")


def is_empty(raw: object) -> bool:
    """An empty cell: nothing, or only spaces (full-width ones too)."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _formula(text: str) -> None:
    if text.startswith("="):
        raise ValueError(
            "is an Excel formula, not a value; in Excel copy the cells and use Paste Special → Values"
        )


def _number(raw: object, *, negative: bool, yen: bool = False, units: tuple[str, ...] = ()) -> Decimal:
    """The exact decimal value of a cell; money never passes through float arithmetic."""
    if isinstance(raw, bool):
        raise ValueError(f"is {str(raw).upper()}, not a number")
    if isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        if math.isnan(raw) or math.isinf(raw):
            raise ValueError(f"is {raw}, not a number")
        # the shortest text that reads back as this float: 0.1, not 0.1000000000000000055...
        value = Decimal(repr(raw))
    elif isinstance(raw, date | time):
        raise ValueError("is a date, not a number; check the column")
    else:
        value = _number_text(str(raw), yen=yen, units=units)
    if value < 0 and not negative:
        raise ValueError("is negative, and this column cannot be negative")
    return value


def _number_text(raw: str, *, yen: bool, units: tuple[str, ...]) -> Decimal:
    # NFKC turns full-width digits, signs, commas, ￥ and （） into their ASCII forms.
    text = unicodedata.normalize("NFKC", raw).strip().replace("\u2212", "-")
    _formula(text)
    if text.lower() in _NOT_FINITE:
        raise ValueError(f"is {text}, not a number")
    if _EXCEL_ERROR.match(text):
        raise ValueError(f"is the Excel error {text}, not a number; fix the formula or the cell in Excel")
    if yen:
        text = _without_yen(text)
    minus = False
    if text[:1] in ("△", "▲", "-"):  # △ and ▲ are how Japanese statements write minus
        minus, text = True, text[1:].strip()
    elif text[:1] == "+":
        text = text[1:].strip()
    elif text.startswith("(") and text.endswith(")"):  # (1,234): the accountants' minus
        minus, text = True, text[1:-1].strip()
    if yen:
        text = _without_yen(text)
    for unit in units:
        text = text.removesuffix(unit).strip()
    if _EXPONENT.match(text):
        raise ValueError(f"is written in exponent notation ({text}); write the number in full digits")
    if "," in text and not _GROUPED.match(text):
        raise ValueError("has commas in the wrong places; write 1,234,567 or 1234567")
    text = text.replace(",", "")
    if not _PLAIN.match(text):
        raise ValueError("is not a number")
    value = Decimal(text)
    return -value if minus else value


def _without_yen(text: str) -> str:
    for sign in _YEN_SIGNS:
        text = text.removeprefix(sign)
    return text.removesuffix("円").strip()


def _checked_int(value: int, negative: bool) -> int:
    if value < 0 and not negative:
        raise ValueError("is negative, and this column cannot be negative")
    if abs(value) > MAX_AMOUNT:
        raise ValueError(f"is larger than {MAX_AMOUNT:,}; check the figure and its unit")
    return value


def _whole(value: Decimal, what: str) -> int:
    if value != value.to_integral_value():
        raise ValueError(f"is not a whole number; {what}")
    if abs(value) > MAX_AMOUNT:
        raise ValueError(f"is larger than {MAX_AMOUNT:,}; check the figure and its unit")
    return int(value)


def parse_int(raw: object, *, negative: bool = False) -> int:
    """A whole number: 12, １２, 1,200, 12人; 12.0 from Excel is 12, but 1.5 is refused."""
    if type(raw) is str and _PLAIN_INT.fullmatch(raw):  # the common case, inlined: it runs per cell
        value = int(raw.replace(",", "") if "," in raw else raw)
        if -MAX_AMOUNT <= value <= MAX_AMOUNT and (negative or value >= 0):
            return value
        return _checked_int(value, negative)  # raises the reason
    return _whole(_number(raw, negative=negative, units=_COUNT_UNITS), "write a whole number")


def int_parser(*, negative: bool = False) -> Callable[[object], int]:
    """``parse_int`` for one column, as a function of the cell alone (it runs per cell)."""
    fast = _PLAIN_INT.fullmatch

    def parse(raw: object) -> int:
        if type(raw) is str and fast(raw):
            value = int(raw.replace(",", "") if "," in raw else raw)
            if -MAX_AMOUNT <= value <= MAX_AMOUNT and (negative or value >= 0):
                return value
        return parse_int(raw, negative=negative)

    return parse


def yen_parser(*, negative: bool = False, scale: int = 1) -> Callable[[object], int]:
    """``parse_yen`` for one column, as a function of the cell alone (it runs per cell)."""
    fast, minus = _PLAIN_INT.fullmatch, _MINUS_INT.fullmatch

    def parse(raw: object) -> int:
        if type(raw) is str:
            if fast(raw):
                value = int(raw.replace(",", "") if "," in raw else raw) * scale
            elif negative and (m := minus(raw)):  # △1,234 / ▲1234 / (1,234)
                value = -int((m[1] or m[2]).replace(",", "")) * scale
            else:
                return parse_yen(raw, negative=negative, scale=scale)
            if -MAX_AMOUNT <= value <= MAX_AMOUNT and (negative or value >= 0):
                return value
        return parse_yen(raw, negative=negative, scale=scale)

    return parse


def parse_id(raw: object) -> int:
    """An id given by this system: a whole number from 1."""
    value = parse_int(raw)
    if value < 1:
        raise ValueError("is not an id; ids start at 1")
    return value


def parse_yen(raw: object, *, negative: bool = False, scale: int = 1) -> int:
    """Yen as an exact integer: ¥1,234 / 1234円 / △1,234 / (1,234); ``scale`` 1000 for a 千円 column."""
    if type(raw) is str and _PLAIN_INT.fullmatch(raw):  # the common case, inlined: it runs per cell
        value = int(raw.replace(",", "") if "," in raw else raw) * scale
        if -MAX_AMOUNT <= value <= MAX_AMOUNT and (negative or value >= 0):
            return value
        return _checked_int(value, negative)  # raises the reason
    if negative and type(raw) is str and (m := _MINUS_INT.fullmatch(raw)):  # the common minus, fast
        return _checked_int(-int((m[1] or m[2]).replace(",", "")) * scale, negative)
    return _whole(_number(raw, negative=negative, yen=True) * scale, "amounts are whole yen")


def parse_score(raw: object) -> int | float:
    """A VAS score from 0 to 100 (whole or not)."""
    if type(raw) is str and _PLAIN_SCORE.fullmatch(raw):  # the common case, without the general parser
        score = float(raw)
        if score > 100:
            raise ValueError("must be a score from 0 to 100")
        return int(score) if score.is_integer() else score
    value = _number(raw, negative=True, units=("点",))
    if not 0 <= value <= 100:
        raise ValueError("must be a score from 0 to 100")
    return int(value) if value == value.to_integral_value() else float(value)


def parse_number(raw: object) -> Decimal:
    """Any finite number, exactly: 7, ７, -2, 7.5, ７点 (a score on a form's own scale)."""
    return _number(raw, negative=True, units=("点",))


def parse_bool(raw: object) -> bool:
    """Yes or no: はい/いいえ, 在籍/退職, true/false, 1/0, ○/×."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    text = unicodedata.normalize("NFKC", str(raw)).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("is not yes or no; write はい/いいえ, 在籍/退職, true/false, 1/0 or ○/×")


def choice_key(label: str) -> str:
    """How a choice label is compared: NFKC, case-folded, without spaces, underscores or hyphens."""
    return _CHOICE_JUNK.sub("", unicodedata.normalize("NFKC", label).casefold())


def parse_choice(raw: object, choices: Mapping[str, str]) -> str:
    """One of a fixed set of values; ``choices`` maps each accepted label (by ``choice_key``) to its value."""
    value = choices.get(choice_key(str(raw)))
    if value is None:
        accepted = ", ".join(dict.fromkeys(choices.values()))
        raise ValueError(f"is not one of the accepted values ({accepted}, or their Japanese labels)")
    return value


def choice_parser(choices: Mapping[str, str]) -> Callable[[object], str]:
    """``parse_choice`` for one column, remembering the values of the (few) texts a file uses."""
    seen: dict[str, str] = {}

    def parse(raw: object) -> str:
        if type(raw) is str and (value := seen.get(raw)) is not None:
            return value
        value = parse_choice(raw, choices)
        if type(raw) is str and len(seen) < 1_000:
            seen[raw] = value
        return value

    return parse


def parse_text(raw: object) -> str:
    """Text kept as written (no NFKC: names and notes are the user's own), trimmed of outer spaces."""
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))  # Excel keeps every number as a float: code 1001 arrives as 1001.0
    if isinstance(raw, datetime | date | time):
        return raw.isoformat()
    return str(raw)


def parse_code(raw: object) -> str:
    """A code or number such as an employee code: NFKC (Ａ０１ is A01), trimmed."""
    return unicodedata.normalize("NFKC", parse_text(raw)).strip()
