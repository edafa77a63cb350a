"""The size limits of an import, checked before anything is parsed (issue 21: a zip bomb took the server from
321 MB to 2.8 GB), and where a sheet's data rows start."""

from __future__ import annotations

MAX_ROWS = 150_000
"""Most rows in one sheet or CSV file (a CSV file's are counted by line ends, before parsing)."""
FIRST_DATA_ROW = 2
"""Excel row number of a sheet's first data row (row 1 holds the column names)."""
MAX_UNPACKED_BYTES = 16 * 1024 * 1024
"""Most bytes of CSV text one import reads (all files together, after unzipping). Checked before anything is
parsed: a zip's members by their sizes (Python's zipfile never returns more than a member declares), a CSV
file by its length. A programme's data is a few MB (the national benchmark's 50,000 meetings are 4 MB); the
limit keeps the parsed rows well under 1 GiB of server memory (tests/test_security.py measures it)."""
MAX_ZIP_BYTES = MAX_UNPACKED_BYTES
"""Most bytes the CSV files of one .zip may unpack to."""
MAX_XLSX_UNPACKED_BYTES = 64 * 1024 * 1024
"""Most bytes an .xlsx may unpack to (its XML), checked before it is parsed: spreadsheet XML is about ten
times the CSV text of the same rows, so this matches :data:`MAX_UNPACKED_BYTES`."""
