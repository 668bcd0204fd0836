"""A minimal streaming .xlsx writer for the resident export (issue 12).

openpyxl's write-only mode serialises each cell through a pure-Python XML tree writer (lxml is not a
dependency): 25,000 rows × 15 columns took most of a community's 13 s export. The export needs one sheet of
plain values, so this writes the SpreadsheetML parts directly: numbers as numbers, text as inline strings
(escaped; values come through ``text.xlsx_safe`` first, which drops characters XML cannot hold and defuses
formulas). The result opens in Excel, WPS, LibreOffice and openpyxl.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from typing import IO, Any
from xml.sax.saxutils import escape

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = "</sheetData></worksheet>"


def _column(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


_COLUMNS = [_column(i) for i in range(64)]


def _cell(ref: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'


def write(sheet_name: str, rows: Iterable[list[Any]]) -> bytes:
    """One sheet of ``rows`` (the first is the header) as an .xlsx file."""
    out = io.BytesIO()
    write_to(out, sheet_name, rows)
    return out.getvalue()


def write_to(target: IO[bytes], sheet_name: str, rows: Iterable[list[Any]]) -> int:
    """Stream one sheet of ``rows`` (the first is the header) as an .xlsx into ``target`` (a file open for
    writing: a background export writes straight to disk, whatever the row count). Returns the rows written
    (the header included)."""
    n = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK.format(name=escape(sheet_name, {'"': "&quot;"})))
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(_SHEET_HEAD.encode())
            buf: list[str] = []
            for n, row in enumerate(rows, start=1):
                cells = "".join(_cell(f"{_COLUMNS[i]}{n}", v) for i, v in enumerate(row))
                buf.append(f'<row r="{n}">{cells}</row>')
                if len(buf) >= 1000:
                    f.write("".join(buf).encode())
                    buf.clear()
            f.write("".join(buf).encode())
            f.write(_SHEET_TAIL.encode())
    return n
