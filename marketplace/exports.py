"""Exports of the lists a user sees, as CSV or XLSX, streamed; and the one rule against spreadsheet formulas.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets (CSV injection, OWASP). `neutralise` puts an apostrophe before such a text,
which every spreadsheet shows as text; a text that already starts with apostrophes followed by one of those
characters gets one more, so `restore` (one apostrophe off) gives back exactly what was written. Numbers and
dates are written as themselves and never changed. Every CSV and XLSX cell SRX writes goes through
`cell_value`; `srx decisions import` calls `restore` on every field (docs/exports.md).

CSV is written row by row from a generator; XLSX with openpyxl's write-only workbook (rows go to a
temporary file as they come, never a whole sheet in memory), then streamed from that file.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
_CHUNK = 64 * 1024


def _is_formula_like(text: str) -> bool:
    return text.lstrip("'")[:1] in FORMULA_PREFIXES and text.lstrip("'") != ""


def neutralise(text: str) -> str:
    """`text` as a spreadsheet shows it as text: an apostrophe before a formula prefix (reversible)."""
    if text[:1] in FORMULA_PREFIXES or (text.startswith("'") and _is_formula_like(text)):
        return "'" + text
    return text


def restore(text: str) -> str:
    """The exact text `neutralise` was given."""
    if text.startswith("'") and _is_formula_like(text):
        return text[1:]
    return text


def euro(cents: int | None) -> Decimal | None:
    """An amount in euro from cents: a number with two decimals in XLSX, '1234.50' in CSV."""
    return None if cents is None else Decimal(cents) / 100


def cell_value(value: Any) -> Any:
    """What goes into one cell: text neutralised, numbers and dates as themselves, None empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime | date):
        return value
    return neutralise(str(value))


def _csv_text(value: Any) -> str:
    value = cell_value(value)
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def csv_stream(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text, a few rows at a time: UTF-8 with a byte-order mark (Excel reads the accents), comma."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([neutralise(c) for c in columns])
    for i, row in enumerate(rows, 1):
        writer.writerow([_csv_text(v) for v in row])
        if i % 200 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_stream(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str = "SRX", notes: Sequence[str] = ()
) -> Iterator[bytes]:
    """The XLSX file: a write-only workbook filled row by row, then read back in chunks."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet[:31])
    ws.append([neutralise(c) for c in columns])
    for row in rows:
        out = []
        for v in row:
            value = cell_value(v)
            if isinstance(value, Decimal):
                c = WriteOnlyCell(ws, value=value)
                c.number_format = "#,##0.00"
                out.append(c)
            elif isinstance(value, datetime):
                # Spreadsheets have no time zones: the UTC time, without its offset (the column name says UTC).
                out.append(value.replace(tzinfo=None) if value.tzinfo else value)
            else:
                out.append(value)
        ws.append(out)
    if notes:
        about = wb.create_sheet(title="about")
        for note in notes:
            about.append([neutralise(note)])
    with tempfile.TemporaryFile() as tmp:
        wb.save(tmp)
        tmp.seek(0)
        while chunk := tmp.read(_CHUNK):
            yield chunk
