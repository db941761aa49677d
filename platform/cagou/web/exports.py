"""Spreadsheet exports that are safe to open: CSV for French Excel, and the rule for XLSX cells.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or
with a tab or carriage return before one) as a formula: a ticket's title, a
person's name or the user agent of a request, written by anybody, would run
on the computer of whoever opens the export (``=HYPERLINK(…)`` sends data
away, DDE formulas start programs). Every text cell therefore goes through
:func:`spreadsheet_text`, which makes such a value read as text, the way
OWASP recommends (a leading apostrophe, which the spreadsheet does not show).

CSV files are written for French Excel: UTF-8 with a byte order mark,
semicolons, CRLF. An XLSX cell is safe when written with XlsxWriter's
``write_string`` (never ``write``, which takes ``=…`` for a formula); the
apostrophe is not needed there, since the cell's type says it is text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

#: What a spreadsheet takes for the start of a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
#: Rows written between two chunks of a streamed CSV.
CSV_BATCH = 500


def spreadsheet_text(value: str) -> str:
    """``value``, made to read as text should a spreadsheet take it for a formula."""
    return "'" + value if value.lstrip(" ").startswith(FORMULA_START) else value


def csv_cell(value: Any) -> str:
    """A CSV cell: nothing for None, text made safe, anything else as ``str`` gives it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return spreadsheet_text(value)
    return str(value)


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]], batch: int = CSV_BATCH) -> Iterator[bytes]:
    """A CSV file for French Excel, a chunk every ``batch`` rows: a response's ``app_iter``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([csv_cell(title) for title in header])
    yield "\ufeff".encode() + buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    for count, row in enumerate(rows, start=1):
        writer.writerow([csv_cell(value) for value in row])
        if count % batch == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()
