"""Load client export files into the audit database, one transaction per file, and account
for every record: read = loaded + rejected, and every rejected record says why."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from agentaudit import containers, readers
from agentaudit.containers import Sample
from agentaudit.db import connect, scalar, transaction
from agentaudit.errors import AgentAuditError, InputError
from agentaudit.readers import base
from agentaudit.readers.base import Reader

SKIP_NAMES = {"SHA256SUMS", ".DS_Store"}


@dataclass
class FileResult:
    """What happened to one file."""

    path: str
    status: str  # loaded | skipped | empty | refused | failed
    format: str | None = None
    container: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    message: str = ""
    file_id: int | None = None
    seconds: float = 0.0


@dataclass
class IngestResult:
    """The outcome of one ingest run, file by file."""

    db_path: str
    files: list[FileResult] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def anything_loaded(self) -> bool:
        """True when some file loaded now or was already in the database."""
        return any(f.status in ("loaded", "skipped") for f in self.files)


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named, and the files below folders named (recursively, sorted, hidden skipped)."""
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    if not name.startswith(".") and name not in SKIP_NAMES:
                        yield Path(root) / name
        elif p.exists():
            yield p
        else:
            raise InputError(str(p), "no such file or folder")


def load_mapping(path: str | Path | None) -> dict[str, dict[str, str]]:
    """Read a column-mapping file: `{format: {our_column: client_header}}` (YAML)."""
    if path is None:
        return {}
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(str(path), f"cannot read the column mapping: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InputError(
            str(path), "expected a mapping of format name to {our_column: client_header}"
        )
    return {str(fmt): {str(k): str(v) for k, v in cols.items()} for fmt, cols in data.items()}


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def ingest(
    paths: Iterable[str | Path],
    db: str | Path | duckdb.DuckDBPyConnection,
    *,
    mapping: str | Path | None = None,
    on_file: Callable[[Path, FileResult | None], None] | None = None,
) -> IngestResult:
    """Load every export file under `paths` into the database `db` (a path or a connection).

    `on_file(path, None)` is called before each file and `on_file(path, result)` after it,
    for progress display.
    """
    renames = load_mapping(mapping)
    con = db if isinstance(db, duckdb.DuckDBPyConnection) else connect(db)
    result = IngestResult(db_path=str(db) if not isinstance(db, duckdb.DuckDBPyConnection) else "")
    try:
        for path in iter_files(paths):
            if on_file:
                on_file(path, None)
            res = load_file(con, path, renames)
            result.files.append(res)
            if on_file:
                on_file(path, res)
    finally:
        if not isinstance(db, duckdb.DuckDBPyConnection):
            con.close()
    return result


def load_file(
    con: duckdb.DuckDBPyConnection, path: Path, renames: dict[str, dict[str, str]] | None = None
) -> FileResult:
    """Load one file in one transaction; a file already loaded (same SHA-256) is skipped."""
    started = time.perf_counter()
    digest = sha256_of(path)
    known = scalar(
        con, "SELECT min(file_id) FROM files WHERE sha256 = ? AND status = 'loaded'", [digest]
    )
    if known is not None:
        return FileResult(
            str(path), "skipped", message=f"already loaded (file_id {known})", file_id=int(known)
        )
    sample = containers.sniff(path)
    temp_paths = {sample.read_path} - {path, None}
    try:
        return _load_sample(con, path, digest, sample, renames or {}, started, temp_paths)
    finally:
        for tmp in temp_paths:
            Path(tmp).unlink(missing_ok=True)


def _load_sample(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    digest: str,
    sample: Sample,
    renames: dict[str, dict[str, str]],
    started: float,
    temp_paths: set,
) -> FileResult:
    if sample.container == "empty":
        return _record_refusal(
            con, path, digest, sample, None, "empty", "the file is empty", started
        )
    header_map = _apply_renames(sample, renames)
    reader = readers.detect(sample)
    if reader is None:
        what = (
            f"a CSV file with header {', '.join(sample.header or [])}"
            if sample.container == "csv"
            else f"a {sample.container} file"
        )
        msg = f"not a recognised export ({what}); agentaudit reads: {readers.accepted_formats()}"
        return _record_refusal(con, path, digest, sample, None, "refused", msg, started)
    try:
        if reader.prepare:
            sample = reader.prepare(sample)
            if sample.read_path not in (None, path):
                temp_paths.add(sample.read_path)
            header_map = _apply_renames(sample, renames)
    except InputError as exc:
        return _record_refusal(con, path, digest, sample, reader, "refused", exc.message, started)
    if sample.container == "csv" and reader.required_columns:
        missing = [c for c in reader.required_columns if c not in (sample.header or [])]
        if missing:
            msg = (
                f"missing required column(s) {', '.join(missing)} for {reader.title}; "
                f"the header has: {', '.join(sample.header or [])}"
            )
            return _record_refusal(con, path, digest, sample, reader, "refused", msg, started)
    file_id = int(scalar(con, "SELECT nextval('file_id_seq')"))
    try:
        # Staging writes only temp tables, outside the transaction: a container DuckDB
        # refuses (truncated, malformed) is then salvaged without aborting the load.
        notes = containers.stage_records(con, sample, header_map)
        with transaction(con):
            read, loaded, rejected = _load_records(con, reader, file_id, path)
            res = FileResult(
                str(path),
                "loaded",
                reader.name,
                sample.container,
                read,
                loaded,
                rejected,
                "; ".join(sample.notes + notes),
                file_id,
                time.perf_counter() - started,
            )
            _insert_file_row(con, res, digest, sample, path)
    except (duckdb.Error, AgentAuditError) as exc:
        msg = f"could not be loaded: {str(exc).splitlines()[0]}"
        return _record_refusal(con, path, digest, sample, reader, "failed", msg, started)
    return res


def _apply_renames(sample: Sample, renames: dict[str, dict[str, str]]) -> dict[str, str]:
    """Rename a client CSV's headers to ours (from the mapping file); return client -> ours."""
    if sample.container != "csv" or not renames or not sample.header:
        return {}
    client_to_ours = {client: ours for cols in renames.values() for ours, client in cols.items()}
    header_map = {h: client_to_ours[h] for h in sample.header if h in client_to_ours}
    if header_map:
        sample.header = [header_map.get(h, h) for h in sample.header]
        if sample.first:
            sample.first = {header_map.get(k, k): v for k, v in sample.first.items()}
    return header_map


def _load_records(
    con: duckdb.DuckDBPyConnection, reader: Reader, file_id: int, path: Path
) -> tuple[int, int, int]:
    if reader.target == "events":
        base.stage_events(con, reader, file_id)
    else:
        base.stage_table(con, reader, file_id)
    read = int(scalar(con, "SELECT count(*) FROM _staged"))
    rejected = base.write_rejects(con, file_id, path)
    if reader.target == "events":
        loaded = base.write_events(con)
    elif reader.target in ("roster", "inventory", "alerts"):
        loaded = base.write_table(con, reader.target)
    else:
        loaded = read - rejected
    base.write_extras(con, reader)
    con.execute("DROP TABLE IF EXISTS _staged")
    assert read == loaded + rejected, f"{path}: read {read} != {loaded} + {rejected}"
    return read, loaded, rejected


def _insert_file_row(
    con: duckdb.DuckDBPyConnection, res: FileResult, digest: str, sample: Sample, path: Path
) -> None:
    con.execute(
        """INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), ?)""",
        [
            res.file_id,
            str(path),
            digest,
            path.stat().st_size,
            res.format,
            res.container,
            sample.compression,
            sample.encoding,
            res.status,
            res.rows_read,
            res.rows_loaded,
            res.rows_rejected,
            res.message or None,
            res.seconds,
        ],
    )


def _record_refusal(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    digest: str,
    sample: Sample,
    reader: Reader | None,
    status: str,
    message: str,
    started: float,
) -> FileResult:
    """Record a file that loaded nothing, and why, in `files` and `rejects`."""
    file_id = int(scalar(con, "SELECT nextval('file_id_seq')"))
    res = FileResult(
        str(path),
        status,
        reader.name if reader else None,
        sample.container,
        message=message,
        file_id=file_id,
        seconds=time.perf_counter() - started,
    )
    with transaction(con):
        _insert_file_row(con, res, digest, sample, path)
        if status != "empty":
            con.execute(
                "INSERT INTO rejects VALUES (?, ?, NULL, ?, NULL)", [file_id, str(path), message]
            )
    return res
