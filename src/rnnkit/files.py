"""Writing outputs safely: atomic files, checked output paths, one-line messages for OS errors.

Every file a command writes for the user goes through a temporary file in the same folder that is
renamed over the target once complete (`os.replace`), so a full disk or a kill mid-write leaves
the previous file or nothing, never a 0-byte or half-written one. Temporary files get the
permissions the folder's other files get (0666 minus the umask, usually 0644), not mkstemp's 0600.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator

from rnnkit.errors import RnnkitError

TMP_SUFFIX = ".tmp"


def file_mode() -> int:
    """0666 minus the process umask: what `open(path, "w")` would have created."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """`with atomic_write(path) as f: f.write(...)`; the file appears complete or not at all."""
    path = Path(path)
    binary = "b" in mode
    kwargs = {} if binary else {"encoding": encoding}
    if path.exists() and not path.is_file() and not path.is_dir():  # /dev/stdout, a FIFO: never replaced
        try:
            with open(path, mode, **kwargs) as f:
                yield f
        except OSError as e:
            raise RnnkitError(describe_os_error(e, path)) from None
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            raise RnnkitError(f"cannot write {path}: it is a folder; give a file name")
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    except OSError as e:
        raise RnnkitError(describe_os_error(e, path)) from None
    try:
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise RnnkitError(describe_os_error(e, path)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> Path:
    with atomic_write(path) as f:
        f.write(text)
    return Path(path)


def remove_stale_temps(folder: str | Path, name: str) -> list[Path]:
    """Delete the temporary files that an earlier, killed write of `folder/name` left behind."""
    removed = []
    for tmp in Path(folder).glob(f".{name}.*{TMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed.append(tmp)
    return removed


RUN_FILES = ("best.pt", "last.pt", "select/last.pt")  # what marks a folder as a training run's


def run_files(folder: str | Path, names: tuple[str, ...] = RUN_FILES) -> list[str]:
    """Which of a run's files (`names`, relative to `folder`) are there: empty for no run."""
    return [name for name in names if (Path(folder) / name).exists()]


def check_no_run(path: str | Path, names: tuple[str, ...] = RUN_FILES, flag: str = "--out") -> None:
    """A new run (no --resume) does not start in a folder holding one of a run's `names`."""
    if run_files(path, names):
        raise RnnkitError(f"run folder {path} already holds a run; pass --resume to continue it, "
                          f"or choose another {flag}")


def check_new_run_folder(path: str | Path, flag: str = "--out") -> None:
    """A new training run goes into a new or empty folder, so nothing of the user's is overwritten
    (hidden files such as .DS_Store do not count)."""
    path = Path(path)
    if not path.is_dir():
        return
    check_no_run(path, flag=flag)
    others = sorted(p.name for p in path.iterdir() if not p.name.startswith("."))
    if others:
        shown = ", ".join(others[:3]) + (f", ... ({len(others)} in all)" if len(others) > 3 else "")
        raise RnnkitError(f"{flag} {path} already holds other files ({shown}); a new run needs a new or empty "
                          "folder, so that nothing there is overwritten")


def check_out_folder(path: str | Path, flag: str = "--out") -> Path:
    """Fail before any work when folder `path` cannot be created or written (creates nothing)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise RnnkitError(f"{flag} {path} is a file, not a folder; give a folder")
    _check_writable_folder(path, flag)
    return path


def check_out_file(path: str | Path, flag: str = "--out") -> Path:
    """Fail before any work when output file `path` cannot be written (a folder, a read-only place)."""
    path = Path(path)
    if path.is_dir():
        raise RnnkitError(f"{flag} {path} is a folder; give a file name")
    _check_writable_folder(path.parent, flag)
    if path.exists() and not os.access(path, os.W_OK):
        raise RnnkitError(f"cannot write {flag} {path}: permission denied; choose another {flag}")
    return path


def _check_writable_folder(folder: Path, flag: str) -> None:
    """`folder`, or the nearest part of it that exists, must be a folder this process can write."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise RnnkitError(f"cannot write {flag} {folder}: {probe} is a file, not a folder; choose another {flag}")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise RnnkitError(f"cannot write {flag} {folder}: {probe} is read-only for this user; choose another {flag}")


def describe_os_error(e: OSError, path: str | Path | None = None, flag: str | None = None,
                      action: str = "cannot write") -> str:
    """One line: what could not be done where, and why (and what to do)."""
    where = path if path is not None else (e.filename or "")
    reason = {
        errno.ENOSPC: "no space left on device",
        errno.EDQUOT: "disk quota exceeded",
        errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted",
        errno.EROFS: "read-only file system",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
        errno.EISDIR: "it is a folder",
        errno.EEXIST: "a file of that name is in the way",
        errno.ENOENT: "no such file or folder",
    }.get(e.errno, (e.strerror or str(e)).lower())
    if flag:
        hint = f"; choose another {flag}"
    elif e.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = "; free some space and run it again"
    else:
        hint = ""
    text = " ".join(str(part) for part in (action, where) if str(part))
    return f"{text}: {reason}{hint}" if text else f"{reason}{hint}"


ERROR_POLICIES = ("strict", "replace", "ignore")  # --errors: what to do with an invalid byte


def read_text(path: str | Path, encoding: str = "utf-8", errors: str = "strict") -> str:
    """The whole file as text. Invalid bytes under `errors="strict"` raise an error naming the
    byte offset; NUL bytes mark a binary file."""
    path = Path(path)
    if errors not in ERROR_POLICIES:
        raise RnnkitError(f"--errors must be one of {', '.join(ERROR_POLICIES)}, got {errors!r}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise RnnkitError(f"unknown --encoding {encoding!r}") from None
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RnnkitError(f"file not found: {path}") from None
    except OSError as e:
        raise RnnkitError(f"cannot read {path}: {e.strerror}") from None
    if not raw:
        raise RnnkitError(f"{path} is empty")
    raw = _decompressed(path, raw)
    if b"\x00" in raw[: 1 << 16] and not encoding.lower().replace("-", "").startswith(("utf16", "utf32")):
        raise RnnkitError(f"{path} looks like a binary file (it contains NUL bytes); give a text file")
    try:
        text = raw.decode(encoding, errors=errors)
    except UnicodeDecodeError as e:
        raise RnnkitError(
            f"{path} is not valid {encoding} at byte offset {e.start} (byte 0x{raw[e.start]:02x}); "
            f"pass --encoding (e.g. latin-1) or --errors replace"
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text:
        raise RnnkitError(f"{path} holds no text")
    return text


_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "lzma"}  # compressed text, read as the text


def _decompressed(path: Path, raw: bytes) -> bytes:
    """A gzip, bz2, xz or one-file zip archive's contents (recognised by its first bytes, as pandas
    reads a .csv.gz); other bytes as they are. A spreadsheet workbook (a zip too) is named."""
    import importlib

    for magic, module in _MAGIC.items():
        if raw.startswith(magic):
            try:
                return importlib.import_module(module).decompress(raw)
            except Exception as e:  # a truncated or corrupt archive
                raise RnnkitError(f"{path} is a damaged {module if module != 'lzma' else 'xz'} file: {e}") from None
    if raw.startswith(b"PK\x03\x04"):
        import io
        import zipfile

        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as z:
                names = [n for n in z.namelist() if not n.endswith("/")]
                if any(n.startswith(("xl/", "word/", "ppt/")) for n in names) or "content.xml" in names:
                    raise RnnkitError(f"{path} is a spreadsheet or office document, not a text file; save it as "
                                      "CSV (File > Save As > CSV) and give that")
                if len(names) != 1:
                    raise RnnkitError(f"{path} is a zip archive of {len(names)} files; give one of them "
                                      f"({', '.join(names[:5])}{', ...' if len(names) > 5 else ''}) unzipped")
                return z.read(names[0])
        except zipfile.BadZipFile as e:
            raise RnnkitError(f"{path} is a damaged zip file: {e}") from None
    return raw


def one_column_error(path: str | Path, sep: str, header: str) -> RnnkitError:
    """The error for a table whose separator leaves one column, naming the separator it looks like."""
    other = [c for c in (";", ",", "\t", "|") if c != sep and c in header]
    hint = f"; it looks {other[0]!r}-separated: give --sep {other[0]!r}" if other else "; give it with --sep"
    return RnnkitError(f"{path}: the separator {sep!r} leaves one column ({header[:60]!r}){hint}")
