"""Load client export files into the audit database and account for every record:
read = loaded + rejected, and every rejected record says why. Each file lands whole or not at
all: files are mapped one at a time, then written in batches, one transaction per batch."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import yaml

from agentaudit import containers, readers
from agentaudit.containers import Sample
from agentaudit.db import connect, insert_rows, scalar, setting, transaction
from agentaudit.errors import AgentAuditError, InputError
from agentaudit.readers import base
from agentaudit.readers.base import Reader

SKIP_NAMES = {"SHA256SUMS", ".DS_Store"}

# Called as `(path, records)` when a file's records have been read and mapped.
Progress = Callable[[Path, int], None]


@dataclass
class FileResult:
    """What happened to one file."""

    path: str
    status: str  # loaded | skipped | empty | refused | failed | unreadable
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
    def unreadable(self) -> list[FileResult]:
        """Files that could not be read at all (special files, broken links, permissions)."""
        return [f for f in self.files if f.status == "unreadable"]

    @property
    def anything_loaded(self) -> bool:
        """True when some file loaded now or was already in the database."""
        return any(
            f.status == "loaded" or f.message.startswith("already loaded") for f in self.files
        )


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named, and the entries below folders named (recursively, sorted, hidden skipped).

    Every entry is yielded, readable or not: special files, broken links and folders that
    cannot be listed are for the loader to account for (`Loader.add`), never dropped here.
    Links to folders are followed once: a link back to a folder read already (a loop) is
    yielded as itself, and the loader says so."""
    for p in paths:
        p = Path(p)
        if p.is_dir():
            seen: set[tuple[int, int]] = set()
            unlisted: list[Path] = []
            for root, dirs, names in os.walk(p, followlinks=True, onerror=_collect(unlisted)):
                here = Path(root)
                try:
                    st = here.stat()
                    seen.add((st.st_dev, st.st_ino))
                except OSError:
                    pass
                keep = []
                for d in sorted(x for x in dirs if not x.startswith(".")):
                    try:
                        st = (here / d).stat()
                    except OSError:  # a link that loops on itself, or vanished
                        names.append(d)
                        continue
                    if (st.st_dev, st.st_ino) in seen:
                        names.append(d)  # read already: a loop, reported by the loader
                    else:
                        keep.append(d)
                dirs[:] = keep
                for name in sorted(names):
                    if not name.startswith(".") and name not in SKIP_NAMES:
                        yield here / name
                while unlisted:
                    yield unlisted.pop(0)
        elif p.exists() or p.is_symlink():
            yield p
        else:
            raise InputError(str(p), "no such file or folder")


def _collect(into: list[Path]) -> Callable[[OSError], None]:
    """An `os.walk` error handler keeping the folders it could not list."""
    return lambda exc: into.append(Path(exc.filename))


def unreadable_reason(path: Path) -> str | None:
    """Why an entry cannot be read as an export file (None when it can): the loader lists
    it with this reason and goes on with the others."""
    try:
        st = path.stat()
    except OSError as exc:
        if path.is_symlink():
            target = os.readlink(path)
            what = "loops" if exc.errno == errno.ELOOP else "points to nothing"
            return f"a symbolic link that {what} ({target})"
        return f"cannot be read: {exc.strerror or exc}"
    if stat.S_ISDIR(st.st_mode):  # the walk yields a folder only when it cannot list it
        return "a folder that cannot be listed (permission denied)"
    if not stat.S_ISREG(st.st_mode):
        kinds = {
            stat.S_ISFIFO: "a named pipe (FIFO)",
            stat.S_ISSOCK: "a socket",
            stat.S_ISCHR: "a character device",
            stat.S_ISBLK: "a block device",
        }
        kind = next((k for test, k in kinds.items() if test(st.st_mode)), "a special file")
        return f"{kind}, not a regular file: not read"
    if not os.access(path, os.R_OK):
        return "cannot be read: permission denied"
    return None


def file_size(path: Path) -> int:
    """A file's size in bytes, 0 for what cannot be read (for progress totals)."""
    try:
        st = path.stat()
    except OSError:
        return 0
    return st.st_size if stat.S_ISREG(st.st_mode) else 0


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
    on_progress: Progress | None = None,
) -> IngestResult:
    """Load every export file under `paths` into the database `db` (a path or a connection).

    `on_progress(path, records)` is called once a file's records are read and mapped (a small
    file read with others: when its group is), for a progress display that moves by records.
    """
    renames = load_mapping(mapping)
    con = db if isinstance(db, duckdb.DuckDBPyConnection) else connect(db)
    result = IngestResult(db_path=str(db) if not isinstance(db, duckdb.DuckDBPyConnection) else "")
    loader = Loader(con, renames, on_progress)
    try:
        # Row order in the tables is not needed (records carry their numbers), and without
        # it DuckDB inserts in parallel; the line reader asks for file order where it counts.
        with deferred_checkpoints(con), setting(con, "preserve_insertion_order", "false"):
            for path in iter_files(paths):
                result.files.append(loader.add(path))
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
# Small files of one format read together in one statement: CloudTrail's S3 tree holds a file
# per region every 5 minutes, and staging each alone cost ~50 ms of planning and bookkeeping.
GROUP_FILES = 500


@dataclass
class _Member:
    """One file of a group read together (`containers.stage_many`)."""

    result: FileResult
    digest: str
    sample: Sample
    path: Path
    started: float


@dataclass
class _Pending:
    """A file (or a group of files read together) mapped into temp tables, waiting for its
    batch's commit."""

    reader: Reader
    result: FileResult
    digest: str
    sample: Sample
    path: Path
    members: list[_Member] = field(default_factory=list)  # a group: its files
    tables: tuple[str, ...] = ()  # staged records, extra identities, credentials[, paths]

    def __post_init__(self) -> None:
        n = self.result.file_id
        self.tables = (f"_staged_{n}", f"_extra_identities_{n}", f"_extra_credentials_{n}")
        if self.members:
            self.tables += (f"_paths_{n}",)

    @property
    def results(self) -> list[FileResult]:
        return [m.result for m in self.files()]

    def files(self) -> list[_Member]:
        """The files this item holds: a group's members, or the one file."""
        return self.members or [
            _Member(self.result, self.digest, self.sample, self.path, time.perf_counter())
        ]


class Loader:
    """Loads files in two steps: each file is read and mapped into temp tables on its own
    (a file that fails there touches nothing), then a batch of files is written in one
    transaction, with each file's `files` row beside its records. If that write fails,
    the batch is written again file by file, so one bad file never takes the others down.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        renames: dict[str, dict[str, str]] | None = None,
        on_progress: Progress | None = None,
    ) -> None:
        self.con = con
        self.renames = renames or {}
        self.on_progress = on_progress
        self.last_grouped: FileResult | None = None  # the last file queued to join a group
        self.pending: list[_Pending] = []
        self.group: list[_Member] = []  # small files of one format, to be read together
        self.group_digests: set[str] = set()
        self.group_reader: Reader | None = None
        # digest -> file_id of every file loaded so far (one query, not one per file)
        self.loaded: dict[str, int] = dict(
            con.execute(
                "SELECT sha256, min(file_id) FROM files WHERE status = 'loaded' GROUP BY ALL"
            ).fetchall()
        )

    def add(self, path: Path) -> FileResult:
        """Read and map one file (a small one joins a group read together); write the batch
        when it is large enough."""
        res = self._add(path)
        if res is not self.last_grouped:  # a group's files report when the group is read
            self._progress(path, res.rows_read)
        return res

    def _progress(self, path: Path, records: int) -> None:
        if self.on_progress:
            self.on_progress(path, records)

    def _add(self, path: Path) -> FileResult:
        started = time.perf_counter()
        if path.is_dir() and os.access(path, os.R_OK | os.X_OK):  # a link back to a folder
            return FileResult(
                str(path),
                "skipped",
                message=f"a link to a folder read already ({path.resolve()}): not read again",
            )
        why = unreadable_reason(path)
        if why is None:
            try:
                digest = sha256_of(path)
            except OSError as exc:
                why = f"cannot be read: {exc.strerror or exc}"
        if why is not None:
            return _record_unreadable(self.con, path, why, started)
        known: int | str | None = self.loaded.get(digest)
        if known is None:
            known = next((p.result.file_id for p in self.pending if p.digest == digest), None)
        if known is None and digest in self.group_digests:
            known = "pending"
        if known is not None:
            same = "a file read before it in this run" if known == "pending" else f"file_id {known}"
            return FileResult(
                str(path),
                "skipped",
                message=f"already loaded (the same content as {same})",
                file_id=None if known == "pending" else int(known),
            )
        try:
            sample = containers.sniff(path)
        except OSError as exc:
            return _record_unreadable(
                self.con, path, f"cannot be read: {exc.strerror or exc}", started
            )
        if sample.first and {"digestStartTime", "digestEndTime"} <= set(sample.first):
            containers.discard_copy(sample)
            return FileResult(
                str(path),
                "skipped",
                "cloudtrail_digest",
                sample.container,
                message="CloudTrail digest file: integrity hashes of the log files, no events",
            )
        envelope = sample.document if isinstance(sample.document, dict) else {}
        if sample.envelope == "cloudwatch" and envelope.get("messageType") == "CONTROL_MESSAGE":
            containers.discard_copy(sample)
            return FileResult(
                str(path),
                "skipped",
                None,
                sample.label,
                message="CloudWatch Logs control message: a health check, no log events",
            )
        reader = readers.detect(sample) if containers.groupable(sample) else None
        if (
            reader is not None
            and reader.target == "events"
            and reader.prepare is None
            and sample.record_container in reader.containers
        ):
            return self._join_group(
                reader,
                _Member(
                    FileResult(str(path), "loaded", reader.name, sample.container),
                    digest,
                    sample,
                    path,
                    started,
                ),
            )
        self._stage_group()  # files keep their order: a group before the next lone file
        temp_paths = {sample.read_path} - {path, None}
        try:
            res = self._stage(path, digest, sample, started, temp_paths)
        finally:
            containers.clear_staging(self.con)
            for tmp in temp_paths:
                Path(tmp).unlink(missing_ok=True)
        if sum(r.rows_read for p in self.pending for r in p.results) >= BATCH_RECORDS:
            self.flush()
        return res

    def _join_group(self, reader: Reader, member: _Member) -> FileResult:
        """Queue a small file with others of its reader, container and compression; read
        the group when it is full or the next file is of another kind."""
        if self.group:
            first = self.group[0].sample
            same = (first.container, first.compression, first.wrapper_key) == (
                member.sample.container,
                member.sample.compression,
                member.sample.wrapper_key,
            )
            if self.group_reader is not reader or not same:
                self._stage_group()
        self.group_reader = reader
        self.group.append(member)
        self.last_grouped = member.result
        self.group_digests.add(member.digest)
        if len(self.group) >= GROUP_FILES:
            self._stage_group()
        return member.result

    def _stage_group(self) -> None:
        """Read and map the queued small files in one pass (`containers.stage_many`); if
        DuckDB refuses any of them, each is staged alone, where bad records are salvaged."""
        members, reader = self.group, self.group_reader
        self.group, self.group_reader = [], None
        self.group_digests = set()
        if not members or reader is None:
            return
        con = self.con
        file_ids = [
            int(r[0])
            for r in con.execute(
                "SELECT nextval('file_id_seq') FROM range(?)", [len(members)]
            ).fetchall()
        ]
        for m, fid in zip(members, file_ids, strict=True):
            m.result.file_id = fid
        head = members[0]
        item = _Pending(reader, head.result, head.digest, head.sample, head.path, members)
        staged, identities, credentials, paths = item.tables
        started = time.perf_counter()
        try:
            containers.stage_many(con, [m.sample for m in members], file_ids)
            base.stage_events(con, reader, None)
            counts = {int(f): (int(n), int(r), why) for f, n, r, why in con.sql(_COUNTS).fetchall()}
            base.stage_extras(con, reader)
            con.execute(f"ALTER TABLE _staged RENAME TO {staged}")
            con.execute(f"ALTER TABLE _extra_identities RENAME TO {identities}")
            con.execute(f"ALTER TABLE _extra_credentials RENAME TO {credentials}")
            con.execute(f"CREATE OR REPLACE TEMP TABLE {paths} (file_id INTEGER, path VARCHAR)")
            insert_rows(con, paths, [[m.result.file_id, str(m.path)] for m in members])
        except (duckdb.Error, AgentAuditError):
            for table in ("_staged", "_extra_identities", "_extra_credentials", *item.tables):
                con.execute(f"DROP TABLE IF EXISTS {table}")
            containers.clear_staging(con)
            for m in members:  # one by one, as any other file
                res = self._stage(m.path, m.digest, m.sample, m.started, set())
                containers.clear_staging(con)
                vars(m.result).update(vars(res))
                self._progress(m.path, res.rows_read)
                if self.pending and self.pending[-1].result is res:
                    self.pending[-1].result = m.result  # later outcomes reach the caller's copy
            return
        finally:
            containers.clear_staging(con)
        each = (time.perf_counter() - started) / len(members)
        for m in members:
            m.sample.first = m.sample.document = None  # the head is no longer needed: memory
            read, rejected, why = counts.get(m.result.file_id, (0, 0, None))
            res = m.result
            _settle(res, read, rejected, why, m.sample.notes)
            self._progress(m.path, read)
            res.seconds = time.perf_counter() - m.started if len(members) == 1 else each
        self.pending.append(item)
        if sum(r.rows_read for p in self.pending for r in p.results) >= BATCH_RECORDS:
            self.flush()

    def flush(self) -> None:
        """Write every pending file: one transaction, or file by file if that fails."""
        self._stage_group()
        if not self.pending:
            return
        try:
            try:
                with transaction(self.con):
                    self._write(self.pending)
                self._written(self.pending)
            except (duckdb.Error, AgentAuditError):
                for item in self.pending:
                    try:
                        with transaction(self.con):
                            self._write([item])
                        self._written([item])
                    except (duckdb.Error, AgentAuditError) as exc:
                        self._fail(item, f"could not be written: {str(exc).splitlines()[0]}")
        finally:
            self.discard()

    def _written(self, items: list[_Pending]) -> None:
        """Remember the digests of files just committed (a second copy is then skipped)."""
        for item in items:
            for m in item.files():
                if m.result.file_id is not None:
                    self.loaded.setdefault(m.digest, m.result.file_id)

    def discard(self) -> None:
        """Drop the temp tables of files not written (after a flush, or on an error)."""
        for item in self.pending:
            for table in item.tables:
                self.con.execute(f"DROP TABLE IF EXISTS {table}")
        self.pending.clear()
        self.group, self.group_reader, self.group_digests = [], None, set()

    def _stage(
        self, path: Path, digest: str, sample: Sample, started: float, temp_paths: set
    ) -> FileResult:
        con = self.con
        if sample.container == "empty":
            why = sample.notes[0] if sample.notes else "the file is empty"
            return _record_refusal(con, path, digest, sample, None, "empty", why, started)
        header_map = _apply_renames(sample, self.renames)
        reader = readers.detect(sample)
        if reader is None:
            what = (
                f"a CSV file with header {', '.join(sample.header or [])}"
                if sample.container == "csv"
                else containers.CONTAINER_NAMES.get(sample.container, "a file")
            )
            near = readers.explain_refusal(sample)
            msg = f"not a recognised export ({what}); " + (f"{near}. " if near else "")
            msg += "agentaudit reads: " + readers.accepted_formats()
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
        if sample.record_container == "csv" and reader.required_columns:
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
            FileResult(str(path), "loaded", reader.name, sample.label, file_id=file_id),
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
            found = con.sql(_COUNTS).fetchall()  # one row, or none for no records
            _, read, rejected, why = found[0] if found else (None, 0, 0, None)
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
        _settle(res, int(read), int(rejected), why, sample.notes + notes)
        res.seconds = time.perf_counter() - started
        self.pending.append(item)
        return res

    def _write(self, items: list[_Pending]) -> None:
        """Write staged files into the database (inside the caller's transaction)."""
        con = self.con
        events = [i for i in items if i.reader.target == "events"]
        if events:
            written = base.write_events(con, [i.tables[0] for i in events])
            expected = sum(r.rows_loaded for i in events for r in i.results)
            if written != expected:
                raise AgentAuditError(f"wrote {written} events of the {expected} staged")
        for item in items:
            res, reader = item.result, item.reader
            staged, identities, credentials = item.tables[:3]
            if item.members:  # a group of files read together
                rejected = base.write_rejects(con, staged, item.tables[3])
                base.write_extras(con, identities, credentials)
                want = sum(r.rows_rejected for r in item.results)
                if rejected != want:
                    raise AgentAuditError(f"wrote {rejected} rejects of the {want} staged")
                _insert_file_rows(
                    con, [(m.result, m.digest, m.sample, m.path) for m in item.members]
                )
                continue
            rejected = base.write_rejects(con, staged, item.path)
            if reader.target in ("roster", "inventory", "alerts", "agent_registry"):
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
        """Record a staged file (each file of a group) whose write failed; the result objects
        are updated in place."""
        for m in item.files():
            res = m.result
            failed = _record_refusal(
                self.con,
                m.path,
                m.digest,
                m.sample,
                item.reader,
                "failed",
                message,
                time.perf_counter() - res.seconds,
            )
            res.status, res.message, res.file_id = failed.status, failed.message, failed.file_id
            res.rows_read = res.rows_loaded = res.rows_rejected = 0


# Per staged file: records read, rejected, and the most common reason.
_COUNTS = """SELECT file_id, count(*), count(reject_reason), mode(reject_reason)
             FROM _staged GROUP BY ALL"""


def _settle(res: FileResult, read: int, rejected: int, why: str | None, notes: list[str]) -> None:
    """A staged file's counts and notes; a file whose every record was rejected is `failed`
    (its records are still written to `rejects`, each with its reason)."""
    res.rows_read, res.rows_rejected, res.rows_loaded = read, rejected, read - rejected
    res.message = "; ".join(notes)
    if read and not res.rows_loaded:
        res.status = "failed"
        lead = f"every record was rejected ({rejected:,}), most often: {why}"
        res.message = "; ".join([lead, *notes])


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
    _insert_file_rows(con, [(res, digest, sample, path)])


def _insert_file_rows(
    con: duckdb.DuckDBPyConnection, rows: list[tuple[FileResult, str, Sample, Path]]
) -> None:
    """The `files` rows of loaded files, in one statement."""
    insert_rows(con, "files", [_file_values(*row) for row in rows])


def _file_values(res: FileResult, digest: str, sample: Sample, path: Path) -> list:
    return [
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
        datetime.now(UTC),
        res.seconds,
    ]


def _record_unreadable(
    con: duckdb.DuckDBPyConnection, path: Path, why: str, started: float
) -> FileResult:
    """Record an entry that could not be read at all, and why, in `files` and `rejects`."""
    file_id = int(scalar(con, "SELECT nextval('file_id_seq')"))
    res = FileResult(
        str(path),
        "unreadable",
        message=why,
        file_id=file_id,
        seconds=time.perf_counter() - started,
    )
    with transaction(con):
        con.execute(
            """INSERT INTO files (file_id, path, sha256, status, message, loaded_at, seconds)
               VALUES (?, ?, NULL, 'unreadable', ?, ?, ?)""",
            [file_id, str(path), why, datetime.now(UTC), res.seconds],
        )
        con.execute("INSERT INTO rejects VALUES (?, ?, NULL, ?, NULL)", [file_id, str(path), why])
    return res


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
        sample.label,
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
