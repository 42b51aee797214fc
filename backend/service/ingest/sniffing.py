"""What a file is, judged by its content: an XLSX workbook, text (and in which encoding), or neither."""

from __future__ import annotations

import codecs
import re
from typing import BinaryIO, Literal

from charset_normalizer import from_bytes

from backend.errors import FieldProblem, UnsupportedMediaType, ValidationFailed

ACCEPTED = "CSV or tab-separated text (UTF-8 or Shift_JIS) or an Excel workbook (.xlsx)"
_CHUNK = 1 << 20
_SAMPLE = 64 * 1024
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and password-protected .xlsx
_BINARY = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"Rar!": "a RAR archive",
}
_UTF16_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_TEXT_CONTROLS = frozenset(b"\t\n\r\x0c")
_ISO2022_JP = (b"\x1b$B", b"\x1b$@", b"\x1b(J")  # JIS escapes: 7-bit, so it would pass for UTF-8
# Python's CP932 decodes bytes 0x80, 0xA0 and 0xFD-0xFF, which Shift_JIS never assigned, to these:
# a text holding them is not Shift_JIS (it is usually UTF-8 with a damaged byte).
_CP932_UNASSIGNED = re.compile("[\u0080\uf8f0-\uf8f3]")
Encoding = Literal["utf-8", "utf-8-sig", "cp932"]
# Encodings a file may come in by mistake, as users know them; charset-normalizer picks one for the hint.
_HINTS = {"euc_jp": "EUC-JP", "cp1252": "Windows-1252 (Western European)"}


def _unsupported(what: str, filename: str | None, advice: str = f"upload {ACCEPTED}") -> UnsupportedMediaType:
    name = f"{filename} " if filename else "The file "
    return UnsupportedMediaType(
        f"{name}is {what}; {advice}",
        details={"accepted": ["text/csv", "text/tab-separated-values", "xlsx"]},
    )


def encoding_problem(message: str) -> ValidationFailed:
    return ValidationFailed([FieldProblem(field="file", reason=message)], message=f"The file {message}")


def sniff(head: bytes, *, filename: str | None) -> Literal["zip", "text"]:
    """``zip`` (maybe a workbook) or ``text``; anything else is refused (415) or a text in UTF-16 (422)."""
    if head.startswith(_ZIP):
        return "zip"
    if head.startswith(_OLE2):
        raise _unsupported(
            "an old-format Excel file (.xls) or a password-protected workbook",
            filename,
            "save it from Excel as .xlsx (Excel Workbook) or CSV, without a password",
        )
    for magic, what in _BINARY.items():
        if head.startswith(magic):
            raise _unsupported(what, filename)
    if head.startswith(_UTF16_32_BOMS) or _looks_utf16(head):
        raise encoding_problem(
            "is in UTF-16 (Excel's 'Unicode Text'); save it as CSV UTF-8 or CSV (Shift_JIS) instead"
        )
    if any(escape in head for escape in _ISO2022_JP):
        raise encoding_problem("is in ISO-2022-JP (JIS); save it as CSV UTF-8 or CSV (Shift_JIS)")
    controls = sum(1 for byte in head if byte < 0x20 and byte not in _TEXT_CONTROLS)
    if b"\x00" in head or controls > len(head) // 100:
        raise _unsupported("not text (it holds binary data)", filename)
    return "text"


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a byte-order mark: the NUL bytes of its ASCII characters all fall on one side,
    and it decodes into printable text."""
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if max(even, odd) < 4 or min(even, odd) * 20 > max(even, odd):
        return False
    text = head[: len(head) // 2 * 2].decode("utf-16-le" if odd > even else "utf-16-be", errors="replace")
    printable = sum(1 for char in text if char.isprintable() or char in "\t\r\n")
    return printable >= len(text) * 0.95


def _first_error(stream: BinaryIO, encoding: str) -> int | None:
    """The byte offset where ``encoding`` fails on the stream, None when all of it decodes."""
    stream.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    while True:
        chunk = stream.read(_CHUNK)
        held = len(decoder.getstate()[0])  # bytes of a character cut by the previous chunk
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            return max(0, offset - held + exc.start)  # exc.start counts from the held bytes
        if encoding == "cp932" and (odd := _CP932_UNASSIGNED.search(text)):
            return offset - held + len(text[: odd.start()].encode(encoding))
        if not chunk:
            return None
        offset += len(chunk)


def detect_encoding(stream: BinaryIO) -> Encoding:
    """UTF-8 (with or without BOM) if every byte decodes as UTF-8, else CP932 if every byte does; else 422."""
    stream.seek(0)
    bom = stream.read(3) == codecs.BOM_UTF8
    utf8_error = _first_error(stream, "utf-8")
    if utf8_error is None:
        return "utf-8-sig" if bom else "utf-8"
    cp932_error = _first_error(stream, "cp932")
    if cp932_error is None:
        _not_euc_jp(stream)
        return "cp932"
    name, offset = ("UTF-8", utf8_error) if utf8_error >= cp932_error else ("Shift_JIS", cp932_error)
    line, byte = _line_of(stream, offset)
    raise encoding_problem(
        f"is neither UTF-8 nor Shift_JIS{_guess(stream)}: it reads as {name} up to byte {offset:,} "
        f"(line {line}), where the byte 0x{byte:02X} is not valid; save it as CSV UTF-8 or CSV (Shift_JIS)"
    )


def _sample(stream: BinaryIO) -> bytes:
    stream.seek(0)
    sample = stream.read(_SAMPLE)
    cut = sample.rfind(b"\n")
    return sample[: cut + 1] if cut > 0 else sample


def _guess(stream: BinaryIO) -> str:
    best = from_bytes(_sample(stream), cp_isolation=list(_HINTS)).best()
    hint = _HINTS.get(best.encoding) if best is not None else None
    return f" (it looks like {hint})" if hint else ""


def _not_euc_jp(stream: BinaryIO) -> None:
    """EUC-JP text often decodes as CP932 without an error, into nonsense: catch that case."""
    sample = _sample(stream)
    if sample.isascii():
        return
    try:
        sample.decode("euc_jp")
    except UnicodeDecodeError:
        return  # not EUC-JP at all
    best = from_bytes(sample, cp_isolation=["cp932", "euc_jp"]).best()
    if best is not None and best.encoding == "euc_jp":
        raise encoding_problem("is in EUC-JP; save it as CSV UTF-8 or CSV (Shift_JIS)")


def _line_of(stream: BinaryIO, offset: int) -> tuple[int, int]:
    """The 1-based line holding a byte offset, and that byte."""
    stream.seek(0)
    newlines, left = 0, offset
    while left > 0:
        chunk = stream.read(min(_CHUNK, left))
        if not chunk:
            break
        newlines += chunk.count(b"\n")
        left -= len(chunk)
    byte = stream.read(1)
    return newlines + 1, byte[0] if byte else 0
