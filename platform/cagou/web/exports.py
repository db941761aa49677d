"""Spreadsheet exports that are safe to open: CSV for French Excel, and the rule for XLSX cells.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or
with a tab or carriage return before one) as a formula: a ticket's title, a
person's name or the user agent of a request, written by anybody, would run
on the computer of whoever opens the export (``=HYPERLINK(…)`` sends data
away, DDE formulas start programs). Every text cell therefore goes through
:func:`spreadsheet_text`, which makes such a value read as text, the way
OWASP recommends (a leading apostrophe, which the spreadsheet does not show).

CSV files are written for French Excel: UTF-8 with a byte order mark,
semicolons, CRLF, instants and days the French way (give them in local
time). An XLSX cell is safe when written with XlsxWriter's ``write_string``
(never ``write``, which takes ``=…`` for a formula); the apostrophe is not
needed there, since the cell's type says it is text.
"""

from __future__ import annotations

import csv
import datetime
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

import xlsxwriter
from pyramid.response import FileIter, Response

#: What a spreadsheet takes for the start of a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
#: Rows written between two chunks of a streamed CSV.
CSV_BATCH = 500
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def spreadsheet_text(value: str) -> str:
    """``value``, made to read as text should a spreadsheet take it for a formula."""
    return "'" + value if value.lstrip(" ").startswith(FORMULA_START) else value


def csv_cell(value: Any) -> str:
    """A CSV cell: nothing for None, text made safe, instants and days as French Excel reads them."""
    if value is None:
        return ""
    if isinstance(value, str):
        return spreadsheet_text(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
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


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]], batch: int = CSV_BATCH
) -> Response:
    """A download of ``rows`` as CSV, streamed: a big export never sits whole in memory."""
    response = Response(content_type="text/csv", charset="utf-8")
    response.content_disposition = f'attachment; filename="{filename}"'
    response.app_iter = csv_lines(header, rows, batch)
    return response


def xlsx_file(
    sheet_name: str, header: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[int] = ()
) -> IO[bytes]:
    """A workbook written row by row (XlsxWriter's ``constant_memory``) into a temporary file.

    Instants and days become real dates, whole numbers numbers, and text
    always text: never ``sheet.write()``, which would take ``=…`` for a formula.
    """
    output = tempfile.TemporaryFile()  # noqa: SIM115  (handed to the response, which closes it)
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet(sheet_name)
    heading = workbook.add_format({"bold": True, "bg_color": "#DDE3EA", "border": 1})
    moment = workbook.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    day = workbook.add_format({"num_format": "dd/mm/yyyy"})
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width)
    sheet.freeze_panes(1, 0)
    for column, title in enumerate(header):
        sheet.write_string(0, column, title, heading)
    last = 0
    for last, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, datetime.datetime):
                sheet.write_datetime(last, column, value.replace(tzinfo=None), moment)
            elif isinstance(value, datetime.date):
                sheet.write_datetime(last, column, datetime.datetime.combine(value, datetime.time()), day)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(last, column, value)
            else:
                sheet.write_string(last, column, str(value))
    sheet.autofilter(0, 0, max(last, 1), len(header) - 1)
    workbook.close()
    output.seek(0)
    return output


def xlsx_response(filename: str, workbook: IO[bytes]) -> Response:
    """A download of a workbook that :func:`xlsx_file` wrote, read from its file as it is sent."""
    response = Response(content_type=XLSX_TYPE)
    response.content_disposition = f'attachment; filename="{filename}"'
    workbook.seek(0, io.SEEK_END)
    response.content_length = workbook.tell()
    workbook.seek(0)
    response.app_iter = FileIter(workbook)
    return response
