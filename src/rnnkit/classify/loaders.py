"""Labelled sequences from files: UCR `.tsv`, UEA/sktime `.ts`, and CSV/TSV tables (wide numeric,
long numeric `sequence_id, t, feature..., label`, or text + label).

Every problem with a file is an `RnnkitError` naming the file and line. Numeric sequences come back
as float32 arrays (T, F); texts as strings. Labels stay strings until a label encoder sees them.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from rnnkit.classify.config import FORMATS, DataConfig
from rnnkit.console import progress
from rnnkit.errors import RnnkitError
from rnnkit.files import one_column_error, read_text

_TS_TAGS = {"problemname", "timestamps", "missing", "univariate", "dimensions", "equallength",
            "serieslength", "classlabel", "targetlabel", "data"}


@dataclass
class Labelled:
    inputs: list  # list[np.ndarray (T, F) float32] for numeric data, list[str] for texts
    labels: list[str] | None  # None when the file has no label column (predict)
    is_text: bool
    source: str
    label_column: int | None = None  # the label's field index where only its place marks it (UCR, a headerless
    # wide table): predict may find that the file has no label and that field is the series' first value
    features: list[str] | None = None  # long format: the value columns' names, in the order of each step's features
    ids: list[str] | None = None  # long format: each sequence's id, as written in its id column
    id_column: str | None = None  # long format: that column's name


def load(path: str | Path, cfg: DataConfig, need_labels: bool = True, features: list[str] | None = None,
         log: Callable[[str], None] = progress) -> Labelled:
    """Read `path` in `cfg.format` (auto: `.ts` -> ts; numeric headerless `.tsv` -> ucr; else table).
    `features`: a long table's value columns by name (the training run's), in the model's order;
    `log` hears how an unusual file was read (a first line of numbers taken as data)."""
    path = Path(path)
    if path.is_dir():
        raise RnnkitError(f"{path} is a folder, not a data file; give the file itself (e.g. {path}/NAME_TRAIN.tsv)")
    if not path.is_file():
        raise RnnkitError(f"data file not found: {path}")
    fmt = cfg.format
    if cfg.sep is not None and len(cfg.sep) != 1:
        raise RnnkitError(f"--sep must be one character, got {cfg.sep!r}")
    if cfg.decimal not in (".", ","):
        raise RnnkitError(f"--decimal must be '.' or ',', got {cfg.decimal!r}")
    if fmt not in FORMATS:
        raise RnnkitError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    text = read_text(path, cfg.encoding, cfg.errors)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json") or (first.startswith("{") and first.endswith("}")):
        raise RnnkitError(f"{path}: JSON lines are not read; convert the file to CSV first (e.g. "
                          f"pandas.read_json('{path}', lines=True).to_csv('data.csv', index=False))")
    if fmt == "auto":
        fmt = _guess_format(path, cfg, text)
    if fmt == "ucr":
        data = load_ucr(path, text)
    elif fmt == "ts":
        data = load_ts(path, text)
    else:
        sep = cfg.sep or ("\t" if fmt == "tsv" else ",")
        data = load_table(path, cfg, sep=sep, need_labels=need_labels, content=text, features=features, log=log)
    if not data.inputs:
        raise RnnkitError(f"{path} holds no sequences")
    if need_labels and data.labels is None:
        raise RnnkitError(f"{path} has no label column; pass --label-col")
    return data


def _guess_format(path: Path, cfg: DataConfig, text: str) -> str:
    suffix = path.suffix.lower()
    if suffix == ".ts":
        return "ts"
    if suffix == ".csv":
        return "csv"
    first = next((line for line in text.splitlines() if line.strip()), "")
    if cfg.text_col is None and cfg.id_col is None and "\t" in first and _all_numbers(first.split("\t")):
        return "ucr"
    return "tsv" if "\t" in first or suffix == ".tsv" else "csv"


FLOAT32_MAX = 3.4028234663852886e38


def _all_numbers(fields: list[str]) -> bool:
    try:
        [float(x) for x in fields if x.strip()]
    except ValueError:
        return False
    return True


def parse_number(text: str, where: str, decimal: str = ".") -> float:
    """`text` as a float (NaN allowed); an RnnkitError naming `where` when it is no number, or beyond float32."""
    if decimal != ".":
        text = text.replace(".", "").replace(decimal, ".")  # 1.234,5 -> 1234.5
    try:
        value = float(text)
    except ValueError:
        hint = ""
        if ";" in text:
            hint = "; the file looks ';'-separated: give --sep ';' (and --decimal ',' for decimal commas)"
        elif "," in text and decimal == ".":
            hint = "; for decimal commas give --decimal ','"
        raise RnnkitError(f"{where}: {text.strip()[:30]!r} is not a number{hint}") from None
    if math.isinf(value):
        raise RnnkitError(f"{where}: infinite value {text.strip()!r}")
    if abs(value) > FLOAT32_MAX:  # the model reads float32: this would become inf
        raise RnnkitError(f"{where}: {text.strip()!r} is beyond the float32 range (about 3.4e38)")
    return value


def _label_text(value: str) -> str:
    """A label as written (stripped), except that a float spelling of an integer is that integer:
    UCR files write classes as '1.0000000e+00' or '2.0', the same class as '1' and '2'. Anything
    else stays as written, so '01', '1' and '001' remain three classes, '1_000' stays '1_000'
    and '12345678901234567890' keeps every digit (Decimal, not float: no rounding)."""
    from decimal import Decimal, InvalidOperation

    value = value.strip()
    if "_" in value or not any(c in value for c in ".eE"):
        return value  # a name, or an integer as written
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value
    if not number.is_finite() or abs(number.adjusted()) > 30 or number != number.to_integral_value():
        return value  # (1e999999 is no class to spell out)
    return str(int(number))


def load_ucr(path: Path, text: str | None = None) -> Labelled:
    """UCR 2018: one series per line, label in column 0, tab (or comma) separated, no header.
    Trailing NaN values mark the end of a shorter series (the archive's variable-length sets)."""
    inputs, labels, width = [], [], None
    with io.StringIO(read_text(path) if text is None else text) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            fields = line.split("\t") if "\t" in line else line.split(",")
            if width is None:
                width = len(fields)
            elif len(fields) != width:
                raise RnnkitError(
                    f"{path}:{n}: ragged row with {len(fields) - 1} values, the first row has {width - 1}; "
                    "a UCR .tsv needs equal-length rows (pad shorter series with NaN)"
                )
            values = np.array([parse_number(v, f"{path}:{n}, column {i + 1}") for i, v in enumerate(fields[1:])],
                              dtype=np.float32)
            real = ~np.isnan(values)
            length = int(real.nonzero()[0].max()) + 1 if real.any() else 0
            if length == 0 or not real[:length].all():
                raise RnnkitError(f"{path}:{n}: missing values inside the series (NaN is allowed only at the end)")
            inputs.append(values[:length, None])
            labels.append(_label_text(fields[0]))
    return Labelled(inputs, labels, False, str(path), label_column=0)


def load_ts(path: Path, text: str | None = None) -> Labelled:
    """The UEA/sktime `.ts` format: `@` header lines, then `dim1:dim2:...:label` per case."""
    header: dict[str, str] = {}
    inputs, labels = [], []
    in_data = False
    with io.StringIO(read_text(path) if text is None else text) as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if not in_data:
                if not line.startswith("@"):
                    raise RnnkitError(f"{path}:{n}: malformed .ts header: expected an @tag line before @data")
                tag, _, value = line[1:].partition(" ")
                tag = tag.lower()
                if tag not in _TS_TAGS:
                    raise RnnkitError(f"{path}:{n}: malformed .ts header: unknown tag @{tag}")
                header[tag] = value.strip()
                if tag == "data":
                    in_data = True
                    dims, classes = _check_ts_header(header, path, n)
                continue
            fields = line.split(":")
            if classes is not None:
                label = fields.pop().strip()
                if classes and label not in classes:
                    raise RnnkitError(f"{path}:{n}: label {label!r} is not in @classLabel ({' '.join(classes)})")
                labels.append(label)
            if dims is not None and len(fields) != dims:
                raise RnnkitError(f"{path}:{n}: {len(fields)} dimensions, the header says @dimensions {dims}")
            channels = []
            for d, field in enumerate(fields):
                if "?" in field:
                    raise RnnkitError(f"{path}:{n}: missing values ('?') are not supported; fill or drop them first")
                values = [parse_number(v, f"{path}:{n}, dimension {d + 1}") for v in field.split(",") if v.strip()]
                channels.append(values)
            if not channels or len({len(c) for c in channels}) != 1 or not channels[0]:
                raise RnnkitError(f"{path}:{n}: the dimensions of one case must be non-empty and of equal length")
            inputs.append(np.array(channels, dtype=np.float32).T)  # (T, F)
    if not in_data:
        raise RnnkitError(f"{path}: malformed .ts header: no @data line")
    if inputs and len({x.shape[1] for x in inputs}) != 1:
        raise RnnkitError(f"{path}: cases have different numbers of dimensions")
    return Labelled(inputs, labels if classes is not None else None, False, str(path))


def _check_ts_header(header: dict[str, str], path: Path, n: int) -> tuple[int | None, list[str] | None]:
    if header.get("timestamps", "false").lower() == "true":
        raise RnnkitError(f"{path}: .ts files with @timeStamps true are not supported")
    dims = None
    if "dimensions" in header:
        try:
            dims = int(header["dimensions"])
        except ValueError:
            raise RnnkitError(f"{path}: malformed .ts header: @dimensions {header['dimensions']!r}") from None
    if "classlabel" not in header:
        raise RnnkitError(f"{path}:{n}: malformed .ts header: no @classLabel line before @data")
    flag, *classes = header["classlabel"].split()
    if flag.lower() not in ("true", "false"):
        raise RnnkitError(f"{path}: malformed .ts header: @classLabel must start with true or false")
    return dims, (classes if flag.lower() == "true" else None)


def _read_rows(text: str, sep: str) -> list[list[str]]:
    with io.StringIO(text, newline="") as f:
        if sep != "\t":
            return [row for row in csv.reader(f, delimiter=sep) if row]
        # TSV has no quoting: a '"' inside a text is a character (see the SMS collection's SOURCE.md)
        return [line.rstrip("\r\n").split("\t") for line in f if line.strip()]


def _column(spec: str | None, names: list[str], default: tuple[str, ...], what: str, path: Path) -> int | None:
    if spec is None:
        lowered = [c.strip().lower() for c in names]
        for name in default:
            if name in lowered:
                return lowered.index(name)
        return None
    if spec in names:
        return names.index(spec)
    if spec.isdigit() and int(spec) < len(names):
        return int(spec)
    raise RnnkitError(f"{path}: no {what} column {spec!r}; columns are {', '.join(names)}")


def _numbers_line(fields: list[str], decimal: str) -> bool:
    """Every field a number, and not 0, 1, 2, ... (or 1, 2, 3, ...): the header pandas writes for
    unnamed columns is a header, any other line of numbers is data."""
    values = []
    for field in fields:
        try:
            values.append(parse_number(field, "", decimal))
        except RnnkitError:
            return False
    counting = [float(i) for i in range(len(values))]
    return values != counting and values != [v + 1 for v in counting]


def load_table(path: Path, cfg: DataConfig, sep: str, need_labels: bool = True,
               content: str | None = None, features: list[str] | None = None,
               log: Callable[[str], None] = progress) -> Labelled:
    rows = _read_rows(read_text(path, cfg.encoding, cfg.errors) if content is None else content, sep)
    if not rows:
        raise RnnkitError(f"{path} is empty")
    if cfg.text_col is None and len(rows[0]) == 1 and any(c != sep and c in rows[0][0] for c in ";,\t|"):
        raise one_column_error(path, sep, rows[0][0])  # e.g. a ";"-separated file read with commas
    if cfg.header and cfg.text_col is None and cfg.id_col is None and _numbers_line(rows[0], cfg.decimal):
        # a header names columns; a first line of numbers only is the first series, not their names
        cfg = replace(cfg, header=False)
        ucr = cfg.label_col is None or (not need_labels and not cfg.label_col.isdigit())
        log(f"{path}: the first line holds only numbers: read as data, the file as having no header"
            + (" and, as a UCR file, any label in column 0 (give --label-col N for another column)" if ucr else ""))
        if ucr:  # the layout of a headerless numeric .tsv (UCR); predict decides whether column 0 is a label
            cfg = replace(cfg, label_col="0")
    if cfg.header:
        names, rows = [c.strip() for c in rows[0]], rows[1:]
    else:
        # a text's own tabs may add fields to a line: the first line fixes the width for texts
        width = len(rows[0]) if cfg.text_col is not None else max(len(r) for r in rows)
        names = [str(i) for i in range(width)]
    if cfg.drop_cols:
        names, rows = _drop(path, names, rows, cfg.drop_cols, need_labels)
    if not need_labels and cfg.label_col is not None and cfg.label_col not in names and not (
            cfg.label_col.isdigit() and int(cfg.label_col) < len(names)):
        cfg = replace(cfg, label_col=None)  # predict: a file without the training run's label column
    if not need_labels and not cfg.header and len(names) == 1 and cfg.text_col is not None:
        cfg = replace(cfg, label_col=None, text_col="0")  # predict: a headerless file of bare texts
    label = _column(cfg.label_col, names, ("label", "class", "target", "y"), "label", path)
    if label is None and need_labels:
        shown = ", ".join(repr(n[:20]) for n in names[:8])
        raise RnnkitError(f"{path}: no label column; pass --label-col, and --no-header if the first line is data "
                          f"(columns are {shown})")
    text = _column(cfg.text_col, names, ("text",) if cfg.id_col is None else (), "text", path)
    if text is not None:
        if label == text:  # e.g. predict on a file of bare texts with the training run's label column
            if need_labels:
                raise RnnkitError(f"{path}: the label and text columns are the same column ({names[text]})")
            label = None
        return _text_table(path, rows, names, label, text, sep, 2 if cfg.header else 1)
    ident = _column(cfg.id_col, names, ("sequence_id",), "id", path)
    if ident is not None:
        time = _column(cfg.time_col, names, ("t", "time"), "time", path)
        data = _long_table(path, rows, names, label, ident, time, cfg.decimal, features)
        _warn_row_ids(path, rows, names, [names.index(f) for f in data.features], log)
        return data
    _warn_row_ids(path, rows, names, [i for i in range(len(names)) if i != label], log)
    _warn_label_like(path, names, label, log)
    return _wide_table(path, rows, names, label, cfg.header, cfg.decimal)


def _drop(path: Path, names: list[str], rows: list[list[str]], drop: list[str],
          need_labels: bool) -> tuple[list[str], list[list[str]]]:
    """`names` and `rows` without the `drop` columns. The others keep their names (with no header,
    their 0-based places in the file), so --label-col 3 still means the file's fourth field."""
    gone = set()
    for spec in drop:
        if spec in names:
            gone.add(names.index(spec))
        elif spec.isdigit() and int(spec) < len(names):
            gone.add(int(spec))
        elif need_labels:  # predict: a file may lack a column the training file had
            raise RnnkitError(f"{path}: no column {spec!r} to drop (--drop-cols); columns are {', '.join(names)}")
    return ([n for i, n in enumerate(names) if i not in gone],
            [[c for i, c in enumerate(row) if i not in gone] for row in rows])


def _warn_row_ids(path: Path, rows: list[list[str]], names: list[str], columns: list[int],
                  log: Callable[[str], None]) -> None:
    """One warning per value column that counts 5000, 5001, ... down the rows: a row id, which
    would otherwise be read as a series value."""
    if len(rows) < 3:
        return
    for i in columns:
        cells = [row[i].strip() if i < len(row) else "" for row in rows]
        if not all(c.lstrip("-").isdigit() for c in cells):
            continue
        steps = {int(b) - int(a) for a, b in zip(cells, cells[1:])}
        if steps == {1} or steps == {-1}:
            log(f"warning: {path}: column {names[i]!r} counts {cells[0]}, {cells[1]}, ... down the rows, like a row "
                f"id, and is read as values of the series; leave it out with --drop-cols {names[i]}")


def _warn_label_like(path: Path, names: list[str], label: int | None, log: Callable[[str], None]) -> None:
    """A second column named like a label (target beside label) is read as a series value."""
    for i, name in enumerate(names):
        if i != label and name.strip().lower() in ("label", "class", "target", "y"):
            chosen = f"{names[label]!r} is the label" if label is not None else "the file has no label column"
            log(f"warning: {path}: column {name!r} is named like a label, but {chosen}; it is read as values of the "
                f"series: leave it out with --drop-cols {name} (or make it the label with --label-col {name})")


def _text_table(path: Path, rows: list[list[str]], names: list[str], label: int | None, text: int,
                sep: str, first: int) -> Labelled:
    width = len(names)
    inputs, labels = [], []
    for n, row in enumerate(rows, first):
        if sep == "\t" and len(row) > width and text == width - 1:
            row = row[: width - 1] + ["\t".join(row[width - 1:])]  # tabs inside the last (text) column
        if len(row) != width:
            quoted = sep == "\t" and '"' in "".join(row)
            raise RnnkitError(f"{path}:{n}: {len(row)} fields, expected {width}" + (
                "; a .tsv is read without quoting ('\"' is part of a text), so a quoted text cannot span lines: "
                "put each text on one line, or save the file as .csv, whose quotes are read" if quoted else ""))
        if not row[text].strip():
            raise RnnkitError(f"{path}:{n}: empty text; remove the row or give it some text")
        inputs.append(row[text])
        if label is not None:
            labels.append(_label_text(row[label]))
    return Labelled(inputs, labels if label is not None else None, True, str(path))


def _wide_table(path: Path, rows: list[list[str]], names: list[str], label: int | None, header: bool,
                decimal: str = ".") -> Labelled:
    inputs, labels = [], []
    first = 2 if header else 1
    for n, row in enumerate(rows, first):
        if len(row) > len(names):
            raise RnnkitError(f"{path}:{n}: {len(row)} fields, the header has {len(names)}")
        if label is not None and len(row) <= label:  # a shorter row whose label moved into the values' places
            raise RnnkitError(f"{path}:{n}: {len(row)} fields where the {'header' if header else 'longest row'} has "
                              f"{len(names)}, so no label in field {label + 1} ({names[label]}); pad a shorter "
                              "series with empty cells before the label, or put the label first")
        cells = [c for i, c in enumerate(row) if i != label]
        while cells and not cells[-1].strip():  # trailing empty cells: a shorter series
            cells.pop()
        values = [_value(c, f"{path}:{n}, column {i + 1}", decimal, names[j])
                  for i, (c, j) in enumerate(zip(cells, [j for j in range(len(row)) if j != label]))]
        while values and math.isnan(values[-1]):  # trailing NaN: padding of a shorter series, as in UCR files
            values.pop()
        if not values:
            raise RnnkitError(f"{path}:{n}: a row without values")
        if any(math.isnan(v) for v in values):
            raise RnnkitError(f"{path}:{n}: missing values inside the series (NaN is allowed only at the end, "
                              "as padding of a shorter series)")
        inputs.append(np.array(values, dtype=np.float32)[:, None])
        if label is not None:
            labels.append(_label_text(row[label]))
    return Labelled(inputs, labels if label is not None else None, False, str(path),
                    label_column=label if label is not None and not header else None)


def _value(cell: str, where: str, decimal: str, column: str) -> float:
    """A wide table's value; a cell of words says which flag reads a text column."""
    try:
        return parse_number(cell, where, decimal)
    except RnnkitError as e:
        if re.search(r"[^\W\d_]{2,}\s+\S", cell):
            raise RnnkitError(f"{e}; the column looks like text: pass --text-col {column}") from None
        raise


def _long_table(path: Path, rows: list[list[str]], names: list[str], label: int | None, ident: int,
                time: int | None, decimal: str = ".", wanted: list[str] | None = None) -> Labelled:
    """`wanted`: the value columns by name (predict: the training run's), else every other column."""
    if wanted:  # by name, never by place: a file with its columns in another order is read right
        missing = [w for w in wanted if w not in names]
        if missing:
            raise RnnkitError(f"{path}: no value column {missing[0]!r}, which the model was trained on "
                              f"(it reads {', '.join(wanted)}); columns are {', '.join(names)}")
        features = [names.index(w) for w in wanted]
    else:
        features = [i for i in range(len(names)) if i not in (label, ident, time)]
    if not features:
        raise RnnkitError(f"{path}: long format needs at least one feature column besides id, time and label")
    steps: dict[str, list[tuple[float, list[float]]]] = {}
    seq_labels: dict[str, str] = {}
    for n, row in enumerate(rows, 2):
        if len(row) != len(names):
            raise RnnkitError(f"{path}:{n}: {len(row)} fields, expected {len(names)}")
        key = row[ident].strip()
        t = parse_number(row[time], f"{path}:{n}, column {names[time]}", decimal) if time is not None \
            else len(steps.get(key, []))
        values = [parse_number(row[i], f"{path}:{n}, column {names[i]}", decimal) for i in features]
        steps.setdefault(key, []).append((t, values))
        if label is not None:
            y = _label_text(row[label])
            if seq_labels.setdefault(key, y) != y:
                raise RnnkitError(f"{path}:{n}: sequence {key!r} has two labels ({seq_labels[key]!r} and {y!r})")
    inputs = [np.array([v for _, v in sorted(s, key=lambda p: p[0])], dtype=np.float32) for s in steps.values()]
    if any(np.isnan(x).any() for x in inputs):
        raise RnnkitError(f"{path}: missing values (NaN) in a feature column")
    labels = [seq_labels[k] for k in steps] if label is not None else None
    return Labelled(inputs, labels, False, str(path), features=[names[i] for i in features], ids=list(steps),
                    id_column=names[ident])
