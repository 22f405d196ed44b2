"""Rows in, files out: report tables -> CSV, XLSX, JSON and Frictionless Data Package
files, the raw conversation export's rows -> a stream of CSV text, training sessions ->
iCalendar. Pure functions: no request or session access (the reports read the database).

- `tables`: the report model the writers take (Report, Table, Column, SUPPRESSED).
- `csvfiles`: one table as CSV; the raw conversation export as streamed CSV.
- `xlsx`, `jsonfiles`, `datapackage`: the whole report as a workbook, JSON or a zip.
- `ics`: training calendars.

Every text cell written to a CSV or a spreadsheet goes through `escape_formula`, so a
value like "=HYPERLINK(...)" stays inert text; numbers are never escaped.
"""
