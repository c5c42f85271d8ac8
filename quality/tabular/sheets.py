"""Reading spreadsheets and JSON rows (XLS, XLSX, ODS, JSON arrays, GeoJSON features; record-oriented XML in
``xmltable``) as lists of text rows."""

from __future__ import annotations

import datetime as dt
import json
import math

from quality.tabular.model import TableError


def cell_text(value, keep_time: bool = False) -> str:
    """A cell as text. A spreadsheet's date is a date and time at midnight: written as the date alone
    (2024-01-02), unless `keep_time` (its column holds times of day: 2024-01-02T00:00:00 beside 10:30)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") and not keep_time else text
    return str(value)


def _has_time(value) -> bool:
    return isinstance(value, dt.datetime) and value.time() != dt.time(0)


def _texts(rows: list[list]) -> list[list[str]]:
    """The rows' cells as text, trailing blanks dropped. A column where some date has a time of day writes its
    midnight ones with the time too: as the date alone, 2024-01-02 beside 2024-01-01T10:30:00 made the column
    mixed, typed text in every door."""
    timed = {i for row in rows for i, v in enumerate(row) if _has_time(v)}
    return [_trim([cell_text(v, i in timed) for i, v in enumerate(row)]) for row in rows]


def _trim(cells: list[str]) -> list[str]:
    while cells and cells[-1].strip() == "":
        cells.pop()
    return cells


def _xls_rows(path: str, sheet) -> list[list[str]]:
    import xlrd

    try:
        book = xlrd.open_workbook(path, on_demand=True)
    except xlrd.biffh.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise TableError("encrypted", "The XLS workbook is encrypted (password-protected), so it cannot "
                                          "be read.") from exc
        raise TableError("unreadable", f"The XLS file cannot be read: {exc}") from exc
    sh = book.sheet_by_name(sheet) if isinstance(sheet, str) else book.sheet_by_index(sheet)
    rows = []
    for r in range(sh.nrows):
        out = []
        for c, v in zip(sh.row_types(r), sh.row_values(r), strict=False):
            if c == xlrd.XL_CELL_DATE:
                try:
                    v = xlrd.xldate.xldate_as_datetime(v, book.datemode)
                except Exception:  # noqa: BLE001 - an impossible date stays a number
                    pass
            elif c == xlrd.XL_CELL_BOOLEAN:
                v = bool(v)
            elif c == xlrd.XL_CELL_ERROR:
                v = ""
            out.append(v)
        rows.append(out)
    return _texts(rows)


def _xlsx_rows(path: str, sheet) -> list[list[str]]:
    import zipfile

    import openpyxl

    # An open file, not the path: archived copies are named by their hash, with no extension,
    # and openpyxl refuses a path whose extension it does not know.
    with open(path, "rb") as fh:
        try:
            book = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, openpyxl.utils.exceptions.InvalidFileException) as exc:
            raise TableError("unreadable", f"The XLSX file cannot be read: {exc}") from exc
        try:
            ws = book[sheet] if isinstance(sheet, str) else book.worksheets[sheet]
            # The sheet's own <dimension> is not trusted: one claiming A1:XFD1048576 made openpyxl pad every
            # row to 16,384 cells (a hang); each row is read as wide as its cells (trailing blanks go anyway).
            ws.reset_dimensions()
            return _texts([list(r) for r in ws.iter_rows(values_only=True)])
        finally:
            book.close()


def _ods_rows(path: str, sheet) -> list[list[str]]:
    import pandas as pd

    try:
        frame = pd.read_excel(path, sheet_name=sheet, engine="odf", header=None, dtype=object)
    except Exception as exc:  # noqa: BLE001 - odfpy raises many kinds
        raise TableError("unreadable", f"The ODS file cannot be read: {exc}") from exc
    return _texts([[None if (isinstance(v, float) and math.isnan(v)) else v for v in r]
                   for r in frame.itertuples(index=False, name=None)])


def _json_rows(path: str) -> list[list[str]]:
    try:
        with open(path, "rb") as fh:
            data = _json_document(fh.read().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise TableError("unreadable", f"The JSON file cannot be read: {exc}") from exc
    if isinstance(data, dict):  # {"data": [...]}: the first list of records inside
        data = next((v for v in data.values() if isinstance(v, list)), None)
    if not isinstance(data, list) or not data:
        raise TableError("unsupported-format", "The JSON is not an array of objects or arrays.")
    if all(isinstance(r, dict) for r in data):
        keys: list[str] = []
        for r in data:
            keys.extend(k for k in r if k not in keys)
        return [keys] + [[_json_cell(r.get(k)) for k in keys] for r in data]
    if all(isinstance(r, list) for r in data):
        return [[_json_cell(c) for c in r] for r in data]
    raise TableError("unsupported-format", "The JSON array mixes records and other values.")


def _json_document(text: str):
    """The JSON document, or the records of a JSON Lines file (each line an object or an array of its own, as
    quality.sniff reads `json_top: lines`): a list of them, read as a JSON array of records is."""
    try:
        return json.loads(text)
    except ValueError as exc:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) < 2:
            raise
        try:
            records = [json.loads(line) for line in lines]
        except ValueError:
            raise exc from None
        if not all(isinstance(r, dict | list) for r in records):
            raise
        return records


def _json_cell(v) -> str:
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return cell_text(v)


def _geojson_rows(path: str) -> list[list[str]]:
    """A GeoJSON FeatureCollection (or one Feature) as a table: one row per feature, a column per property
    (in order of first appearance), then ``geometry`` (the feature's geometry as GeoJSON text) unless a
    property already has that name."""
    try:
        with open(path, "rb") as fh:
            doc = json.loads(fh.read().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise TableError("unreadable", f"The GeoJSON file cannot be read: {exc}") from exc
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list) or not features or not all(isinstance(f, dict) for f in features):
        raise TableError("unsupported-format", "The GeoJSON has no features to read as rows.")
    keys: list[str] = []
    for f in features:
        props = f.get("properties") if isinstance(f.get("properties"), dict) else {}
        keys.extend(k for k in props if k not in keys)
    with_geometry = "geometry" not in keys
    header = keys + (["geometry"] if with_geometry else [])
    rows = [header]
    for f in features:
        props = f.get("properties") if isinstance(f.get("properties"), dict) else {}
        row = [_json_cell(props.get(k)) for k in keys]
        if with_geometry:
            geometry = f.get("geometry")
            row.append("" if geometry is None else json.dumps(geometry, ensure_ascii=False, separators=(",", ":")))
        rows.append(row)
    return rows


def sheet_rows(path: str, fmt: str, sheet) -> list[list[str]]:
    if fmt == "xls":
        return _xls_rows(path, sheet)
    if fmt == "xlsx":
        return _xlsx_rows(path, sheet)
    if fmt == "ods":
        return _ods_rows(path, sheet)
    if fmt == "geojson":
        return _geojson_rows(path)
    if fmt == "xml":
        from quality.tabular.xmltable import xml_rows

        return xml_rows(path)
    return _json_rows(path)
