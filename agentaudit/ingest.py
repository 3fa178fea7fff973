"""Load client export files into the audit database and account for every record:
read = loaded + rejected, and every rejected record says why. Each file lands whole or not at
all: files are mapped one at a time, then written in batches, one transaction per batch."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from agentaudit import containers, readers
from agentaudit.containers import Sample
from agentaudit.db import connect, scalar, setting, transaction
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
    loader = Loader(con, renames)
    try:
        # Row order in the tables is not needed (records carry their numbers), and without
        # it DuckDB inserts in parallel; the line reader asks for file order where it counts.
        with deferred_checkpoints(con), setting(con, "preserve_insertion_order", "false"):
            for path in iter_files(paths):
                if on_file:
                    on_file(path, None)
                res = loader.add(path)
                result.files.append(res)
                if on_file:
                    on_file(path, res)
            loader.flush()
    finally:
        loader.discard()
        if not isinstance(db, duckdb.DuckDBPyConnection):
            con.close()
    return result


@contextmanager
def deferred_checkpoints(con: duckdb.DuckDBPyConnection, wal_limit: str = "1GB") -> Iterator[None]:
    """Let the write-ahead log grow to `wal_limit` during a load, then checkpoint once.

    With DuckDB's default 16 MB threshold nearly every commit of a large file also
    checkpointed, rewriting the tables' new blocks file after file.
    """
    with setting(con, "checkpoint_threshold", wal_limit):
        yield
    con.execute("CHECKPOINT")


# Records mapped before one commit. A transaction that appends whole row groups (122,880 rows)
# has them written straight to the database file, compressed; smaller commits go through the
# write-ahead log first, which cost a third of the load time on 1M events.
BATCH_RECORDS = 400_000


@dataclass
class _Pending:
    """A file mapped into temp tables, waiting for its batch's commit."""

    reader: Reader
    result: FileResult
    digest: str
    sample: Sample
    path: Path
    tables: tuple[str, str, str] = ("", "", "")  # staged records, extra identities, credentials

    def __post_init__(self) -> None:
        n = self.result.file_id
        self.tables = (f"_staged_{n}", f"_extra_identities_{n}", f"_extra_credentials_{n}")


class Loader:
    """Loads files in two steps: each file is read and mapped into temp tables on its own
    (a file that fails there touches nothing), then a batch of files is written in one
    transaction, with each file's `files` row beside its records. If that write fails,
    the batch is written again file by file, so one bad file never takes the others down.
    """

    def __init__(
        self, con: duckdb.DuckDBPyConnection, renames: dict[str, dict[str, str]] | None = None
    ) -> None:
        self.con = con
        self.renames = renames or {}
        self.pending: list[_Pending] = []

    def add(self, path: Path) -> FileResult:
        """Read and map one file; write the batch when it is large enough."""
        started = time.perf_counter()
        digest = sha256_of(path)
        known = scalar(
            self.con,
            "SELECT min(file_id) FROM files WHERE sha256 = ? AND status = 'loaded'",
            [digest],
        )
        if known is None:
            known = next((p.result.file_id for p in self.pending if p.digest == digest), None)
        if known is not None:
            return FileResult(
                str(path),
                "skipped",
                message=f"already loaded (file_id {known})",
                file_id=int(known),
            )
        sample = containers.sniff(path)
        temp_paths = {sample.read_path} - {path, None}
        try:
            res = self._stage(path, digest, sample, started, temp_paths)
        finally:
            containers.clear_staging(self.con)
            for tmp in temp_paths:
                Path(tmp).unlink(missing_ok=True)
        if sum(p.result.rows_read for p in self.pending) >= BATCH_RECORDS:
            self.flush()
        return res

    def flush(self) -> None:
        """Write every pending file: one transaction, or file by file if that fails."""
        if not self.pending:
            return
        try:
            try:
                with transaction(self.con):
                    self._write(self.pending)
            except (duckdb.Error, AgentAuditError):
                for item in self.pending:
                    try:
                        with transaction(self.con):
                            self._write([item])
                    except (duckdb.Error, AgentAuditError) as exc:
                        self._fail(item, f"could not be written: {str(exc).splitlines()[0]}")
        finally:
            self.discard()

    def discard(self) -> None:
        """Drop the temp tables of files not written (after a flush, or on an error)."""
        for item in self.pending:
            for table in item.tables:
                self.con.execute(f"DROP TABLE IF EXISTS {table}")
        self.pending.clear()

    def _stage(
        self, path: Path, digest: str, sample: Sample, started: float, temp_paths: set
    ) -> FileResult:
        con = self.con
        if sample.container == "empty":
            return _record_refusal(
                con, path, digest, sample, None, "empty", "the file is empty", started
            )
        header_map = _apply_renames(sample, self.renames)
        reader = readers.detect(sample)
        if reader is None:
            what = (
                f"a CSV file with header {', '.join(sample.header or [])}"
                if sample.container == "csv"
                else f"a {sample.container} file"
            )
            msg = f"not a recognised export ({what}); agentaudit reads: "
            msg += readers.accepted_formats()
            return _record_refusal(con, path, digest, sample, None, "refused", msg, started)
        try:
            if reader.prepare:
                sample = reader.prepare(sample)
                if sample.read_path not in (None, path):
                    temp_paths.add(sample.read_path)
                header_map = _apply_renames(sample, self.renames)
        except InputError as exc:
            return _record_refusal(
                con, path, digest, sample, reader, "refused", exc.message, started
            )
        if sample.container == "csv" and reader.required_columns:
            missing = [c for c in reader.required_columns if c not in (sample.header or [])]
            if missing:
                msg = (
                    f"missing required column(s) {', '.join(missing)} for {reader.title}; "
                    f"the header has: {', '.join(sample.header or [])}"
                )
                return _record_refusal(con, path, digest, sample, reader, "refused", msg, started)
        file_id = int(scalar(con, "SELECT nextval('file_id_seq')"))
        item = _Pending(
            reader,
            FileResult(str(path), "loaded", reader.name, sample.container, file_id=file_id),
            digest,
            sample,
            path,
        )
        try:
            # Only temp tables are written here: a container DuckDB refuses (truncated,
            # malformed) is salvaged, and a file that fails leaves nothing behind.
            notes = containers.stage_records(con, sample, header_map)
            if reader.target == "events":
                base.stage_events(con, reader, file_id)
            else:
                base.stage_table(con, reader, file_id)
            read, rejected = (
                int(v)
                for v in con.sql("SELECT count(*), count(reject_reason) FROM _staged").fetchall()[0]
            )
            base.stage_extras(con, reader)
            staged, identities, credentials = item.tables
            con.execute(f"ALTER TABLE _staged RENAME TO {staged}")
            con.execute(f"ALTER TABLE _extra_identities RENAME TO {identities}")
            con.execute(f"ALTER TABLE _extra_credentials RENAME TO {credentials}")
        except (duckdb.Error, AgentAuditError) as exc:
            for table in ("_staged", "_extra_identities", "_extra_credentials", *item.tables):
                con.execute(f"DROP TABLE IF EXISTS {table}")
            msg = f"could not be loaded: {str(exc).splitlines()[0]}"
            return _record_refusal(con, path, digest, sample, reader, "failed", msg, started)
        res = item.result
        res.rows_read, res.rows_rejected, res.rows_loaded = read, rejected, read - rejected
        res.message = "; ".join(sample.notes + notes)
        res.seconds = time.perf_counter() - started
        self.pending.append(item)
        return res

    def _write(self, items: list[_Pending]) -> None:
        """Write staged files into the database (inside the caller's transaction)."""
        con = self.con
        events = [i for i in items if i.reader.target == "events"]
        if events:
            written = base.write_events(con, [i.tables[0] for i in events])
            expected = sum(i.result.rows_loaded for i in events)
            if written != expected:
                raise AgentAuditError(f"wrote {written} events of the {expected} staged")
        for item in items:
            res, reader = item.result, item.reader
            staged, identities, credentials = item.tables
            rejected = base.write_rejects(con, staged, item.path)
            if reader.target in ("roster", "inventory", "alerts"):
                loaded = base.write_table(con, staged, reader.target)
            else:
                loaded = res.rows_loaded
            base.write_extras(con, identities, credentials)
            if (loaded, rejected) != (res.rows_loaded, res.rows_rejected):
                raise AgentAuditError(
                    f"{item.path}: wrote {loaded} + {rejected} rejected of {res.rows_read} read"
                )
            _insert_file_row(con, res, item.digest, item.sample, item.path)

    def _fail(self, item: _Pending, message: str) -> None:
        """Record a staged file whose write failed; its result object is updated in place."""
        res = item.result
        failed = _record_refusal(
            self.con,
            item.path,
            item.digest,
            item.sample,
            item.reader,
            "failed",
            message,
            time.perf_counter() - res.seconds,
        )
        res.status, res.message, res.file_id = failed.status, failed.message, failed.file_id
        res.rows_read = res.rows_loaded = res.rows_rejected = 0


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
