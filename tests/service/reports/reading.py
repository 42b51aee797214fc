"""Reading rendered reports back: PDF text, fonts and page images; workbook cells and charts."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import openpyxl
import pypdf
import pypdfium2


def pdf_pages(data: bytes) -> list[str]:
    """Each page's text as pypdf extracts it."""
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def pdf_fonts(data: bytes) -> list[dict[str, Any]]:
    """Every font resource of every page (and of the page's form XObjects): its name, subtype and
    which font file it embeds (None when it embeds none)."""
    found = []
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for resources in _resources(page.get("/Resources")):
            fonts = resources.get("/Font")
            for name, ref in (fonts.get_object() if fonts else {}).items():
                font = ref.get_object()
                descriptor = _descriptor(font)
                embedded = next(
                    (k for k in ("/FontFile", "/FontFile2", "/FontFile3") if descriptor and k in descriptor),
                    None,
                )
                stream = descriptor[embedded].get_object() if embedded else None
                found.append(
                    {
                        "resource": name,
                        "base": str(font.get("/BaseFont")),
                        "subtype": str(font.get("/Subtype")),
                        "file": embedded,
                        "file_bytes": len(stream.get_data()) if stream is not None else 0,
                    }
                )
    return found


def _resources(resources: Any) -> list[Any]:
    if resources is None:
        return []
    resources = resources.get_object()
    out = [resources]
    xobjects = resources.get("/XObject")
    for ref in (xobjects.get_object() if xobjects else {}).values():
        xobject = ref.get_object()
        if xobject.get("/Subtype") == "/Form":
            out += _resources(xobject.get("/Resources"))
    return out


def _descriptor(font: Any) -> Any:
    if font.get("/Subtype") == "/Type0":
        font = font["/DescendantFonts"][0].get_object()
    descriptor = font.get("/FontDescriptor")
    return descriptor.get_object() if descriptor is not None else None


def page_inks(data: bytes, *, scale: float = 0.6) -> list[float]:
    """For each page rendered by PDFium: the share of non-white pixels between header and footer."""
    document = pypdfium2.PdfDocument(data)
    shares = []
    try:
        for index in range(len(document)):
            image = document[index].render(scale=scale).to_pil().convert("L")
            width, height = image.size
            body = image.crop((0, int(height * 0.07), width, int(height * 0.93)))
            histogram = body.histogram()
            shares.append(1 - sum(histogram[250:]) / (body.size[0] * body.size[1]))
    finally:
        document.close()
    return shares


def workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def sheet_xml(data: bytes) -> dict[str, str]:
    """The raw XML of every worksheet and chart in the xlsx package."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {
            name: package.read(name).decode()
            for name in package.namelist()
            if re.match(r"xl/(worksheets/sheet|charts/chart)\d+\.xml$", name)
        }


def cell_values(book: openpyxl.Workbook, sheet: str) -> list[Any]:
    return [cell.value for row in book[sheet].iter_rows() for cell in row if cell.value is not None]
