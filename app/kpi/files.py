"""Opening the files managers have: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030;
detected, or forced) and XLSX. Rows are streamed, so memory stays bounded
whatever the size. Hostile or mislabelled files get a clear FileRefused."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from app.kpi.messages import N_, KpiProblem, Msg, msg

MAX_XLSX_UNCOMPRESSED = 512 * 1024 * 1024     # bytes, all members together
MAX_XLSX_RATIO = 200                          # uncompressed ÷ compressed, per member
SNIFF_BYTES = 1 << 20


class FileRefused(KpiProblem):
    """A file that cannot be read; the message says why, for a person."""


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, list]]            # (line or row number in the file, cells)
    kind: str                                   # csv | xlsx
    encoding: str = ""
    sheet: str = ""
    notes: list[Msg] = field(default_factory=list)
    progress: Callable[[], float | None] = lambda: None   # how much of the file has been read, 0..1, if known


def _detect_encoding(data: bytes) -> str:
    """UTF-8 (BOM or not) when the whole file decodes as UTF-8, else GB18030.
    Decoded incrementally: no second copy of the file in memory."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), SNIFF_BYTES):
            decoder.decode(data[start:start + SNIFF_BYTES], final=start + SNIFF_BYTES >= len(data))
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _csv_rows(raw: io.BytesIO, encoding: str) -> Iterator[tuple[int, list]]:
    stream = io.TextIOWrapper(raw, encoding=encoding, newline="")
    reader = csv.reader(stream)
    try:
        for cells in reader:
            yield reader.line_num, cells
    except UnicodeDecodeError as exc:
        raise FileRefused(N_("line %(line)d: the bytes are not valid %(encoding)s (%(reason)s)"),
                          line=reader.line_num + 1, encoding=encoding, reason=exc.reason) from None
    except csv.Error as exc:
        raise FileRefused(N_("line %(line)d: %(problem)s"), line=reader.line_num, problem=str(exc)) from None


def _first_row(rows: Iterator[tuple[int, list]]) -> tuple[list[str], Iterator[tuple[int, list]]]:
    for _number, cells in rows:
        if any(str(c).strip() for c in cells if c is not None):
            return [("" if c is None else str(c)).strip() for c in cells], rows
    raise FileRefused(N_("the file has no header row (it is empty)"))


def read_csv(data: bytes, encoding: str | None = None) -> Table:
    if b"\x00" in data[:SNIFF_BYTES]:
        raise FileRefused(N_("this is not a text CSV file (it contains binary data)"))
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise FileRefused(N_("unknown encoding %(encoding)s"), encoding=repr(encoding)) from None
    used = encoding or _detect_encoding(data)
    raw = io.BytesIO(data)
    headers, rows = _first_row(_csv_rows(raw, used))
    size = len(data)
    return Table(headers, rows, "csv", used, progress=lambda: min(raw.tell() / size, 1.0) if not raw.closed else 1.0)


def _check_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise FileRefused(N_("this is not an XLSX workbook (the file is not a zip package)")) from None
    with archive:
        members = archive.infolist()
        if "[Content_Types].xml" not in {m.filename for m in members}:
            raise FileRefused(N_("this zip file is not an XLSX workbook"))
        total = 0
        for member in members:
            total += member.file_size
            if member.compress_size and member.file_size / member.compress_size > MAX_XLSX_RATIO \
                    and member.file_size > 10 * 1024 * 1024:
                raise FileRefused(N_("refused: %(member)s would expand %(times)d times (a zip bomb?)"),
                                  member=member.filename, times=member.file_size // member.compress_size)
        if total > MAX_XLSX_UNCOMPRESSED:
            raise FileRefused(N_("refused: the workbook would expand to %(mb)d MB"), mb=total // (1024 * 1024))


def read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    if not data:
        raise FileRefused(N_("the file is empty (0 bytes)"))
    _check_zip(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many kinds for broken packages
        raise FileRefused(N_("the workbook cannot be read: %(problem)s"), problem=exc.__class__.__name__) from None
    sheet = workbook.worksheets[0]
    notes = [msg(N_("only the first sheet (%(sheet)s) is read"), sheet=sheet.title)] \
        if len(workbook.worksheets) > 1 else []
    total = sheet.max_row if isinstance(sheet.max_row, int) and sheet.max_row > 0 else None   # from the dimension tag
    at = [0]

    def rows():
        try:
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                at[0] = number
                yield number, list(cells)
        finally:
            workbook.close()

    headers, body = _first_row(rows())
    return Table(headers, body, "xlsx", sheet=sheet.title, notes=notes,
                 progress=lambda: min(at[0] / total, 1.0) if total else None)


def read_table(filename: str, data: bytes, encoding: str | None = None) -> Table:
    """By extension; a file whose content is not what its name says is refused."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not data:
        raise FileRefused(N_("the file is empty (0 bytes)"))
    if suffix == "xlsx":
        return read_xlsx(data)
    if suffix in ("csv", "txt"):
        if data[:4] == b"PK\x03\x04":
            raise FileRefused(N_("this file is named .csv but is a zip/XLSX package; rename it to .xlsx"))
        return read_csv(data, encoding)
    if suffix == "xls":
        raise FileRefused(N_("old .xls workbooks are not read; save it as .xlsx or CSV"))
    raise FileRefused(N_("unknown file type .%(suffix)s; use CSV or XLSX"), suffix=suffix or "?")
