"""Reading the user's text files: compressed files are read as the text they hold; archives and
workbooks that are not one text file get a one-line error naming what to give instead."""

import bz2
import gzip
import io
import lzma
import zipfile

import pytest

from rnnkit.errors import RnnkitError
from rnnkit.files import read_text
from rnnkit.series.io import read_csv

TEXT = "date,value\n2024-01-01,1.5\n2024-01-02,2.5\n"


def _zip(members: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    return buf.getvalue()


@pytest.mark.parametrize("name, pack", [("d.csv.gz", gzip.compress), ("d.csv.bz2", bz2.compress),
                                        ("d.csv.xz", lzma.compress), ("d.zip", lambda b: _zip({"d.csv": b.decode()}))])
def test_a_compressed_file_reads_as_its_text(tmp_path, name, pack):
    path = tmp_path / name
    path.write_bytes(pack(TEXT.encode()))
    assert read_text(path) == TEXT
    assert read_csv(str(path))["value"].tolist() == ["1.5", "2.5"]  # cells stay text until cleaning


def test_workbooks_archives_of_many_files_and_damaged_files_are_one_line_errors(tmp_path):
    book = tmp_path / "prices.xlsx"
    book.write_bytes(_zip({"[Content_Types].xml": "<x/>", "xl/workbook.xml": "<x/>"}))
    with pytest.raises(RnnkitError, match="spreadsheet .* save it as CSV"):
        read_text(book)
    many = tmp_path / "both.zip"
    many.write_bytes(_zip({"a.csv": TEXT, "b.csv": TEXT}))
    with pytest.raises(RnnkitError, match=r"zip archive of 2 files; give one of them \(a.csv, b.csv\)"):
        read_text(many)
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gzip.compress(TEXT.encode())[:20])
    with pytest.raises(RnnkitError, match="damaged gzip file"):
        read_text(cut)


@pytest.mark.parametrize("task", ["forecast", "classify", "text"])
def test_a_command_fed_gzip_files_trains_as_on_the_plain_ones(task, tmp_path, capsys):
    """End to end (README: every command reads gzip): `<task> train` on prices.csv.gz, a .tsv.gz
    pair, a corpus.txt.gz gives the run the plain files give, figure for figure."""
    import json

    from rnnkit.cli import main
    from tests.robust_inputs import train_argv

    plain = train_argv(task, tmp_path / "in", tmp_path / "plain")
    packed = list(plain)
    for i, arg in enumerate(plain):
        if arg.startswith(str(tmp_path / "in")):
            source = tmp_path / "in" / arg.rsplit("/", 1)[1]
            target = source.with_name(source.name + ".gz")
            target.write_bytes(gzip.compress(source.read_bytes()))
            packed[i] = str(target)
    packed[packed.index("--out") + 1] = str(tmp_path / "gz")
    assert sum(a.endswith(".gz") for a in packed) == (2 if task == "classify" else 1)
    assert main(plain) == 0
    assert main(packed) == 0, capsys.readouterr().err
    name = "summary.json" if task == "text" else "report.json"
    a, b = (json.loads((tmp_path / run / name).read_text()) for run in ("plain", "gz"))
    figures = {"text": "best_val_loss", "forecast": "models", "classify": "test"}[task]
    assert a[figures] == b[figures] and a[figures]
