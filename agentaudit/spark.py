"""Apache Spark as the assessment's engine, and as the scheduler of ingests and batches.

`SparkRunner(lake)` puts a lake (docs/lake.md) in front of a Spark session: events read by
Spark from the shards' Parquet files, the small merged tables (identities, credentials,
inventory, roster, …) handed over from the lake's DuckDB merge. The metric and check SQL is
the DuckDB SQL of `assess/metrics` and `assess/checks`, transpiled by SQLGlot
(`agentaudit.transpile`), never a second copy. Results come back as Arrow and are cast to the
types DuckDB gives the same query (read off an empty twin database with the views
installed), so the Python layer sees the same frames from either engine.

`ingest_files` and `batch` use Spark to schedule: each task runs agentaudit's own DuckDB
readers or pipeline on its share, in the executor's Python (the package ships to executors
as its wheel when the master is not local).

Needs `pip install 'agentaudit[spark]'` (pyspark, sqlglot) and a Java runtime (17 or 21).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb

from agentaudit import db as audit_db
from agentaudit import lake as lake_mod
from agentaudit import transpile
from agentaudit.assess import views
from agentaudit.assess.review import Override
from agentaudit.assess.runner import Runner
from agentaudit.errors import AgentAuditError

DEFAULT_MASTER = "local[2]"

# Spark settings that make its SQL mean what DuckDB's means: timestamps in UTC; no ANSI mode
# (an index past a list's end is NULL, as in DuckDB, not an error); partition folder values
# kept as text (`month=2026-01` is not a date). The UI is not needed for a batch job.
CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.driver.memory": os.environ.get("AGENTAUDIT_SPARK_DRIVER_MEMORY", "2g"),
}


class SparkUnavailable(AgentAuditError):
    """pyspark or a Java runtime is missing."""

    exit_code = 2


@contextlib.contextmanager
def spark_errors(what: str) -> Iterator[None]:
    """A failure inside Spark (a query it cannot analyse, a task that died) as an
    AgentAuditError with Spark's own first line, instead of a Java stack trace."""
    try:
        yield
    except AgentAuditError:
        raise
    except Exception as exc:
        if not type(exc).__module__.startswith(("pyspark", "py4j")):
            raise
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        first = next((line for line in lines if "Error" in line or "Exception" in line), "")
        raise AgentAuditError(
            f"{what} failed: {(first or lines[0] if lines else '')[:500]}"
        ) from exc


def java_missing() -> str | None:
    """Why Spark cannot start here (no Java runtime), or None."""
    home = os.environ.get("JAVA_HOME")
    if home and Path(home, "bin", "java").exists():
        return None
    if shutil.which("java"):
        return None
    return "no Java runtime: install one (Debian: openjdk-17-jre-headless) or set JAVA_HOME"


def session(master: str | None = None) -> Any:
    """A Spark session with agentaudit's settings (`local[2]` unless a master URL is given)."""
    try:
        from pyspark.sql import SparkSession  # noqa: PLC0415
    except ImportError as exc:
        raise SparkUnavailable(
            "the Spark engine needs pyspark: pip install 'agentaudit[spark]'"
        ) from exc
    if reason := java_missing():
        raise SparkUnavailable(f"the Spark engine cannot start: {reason}")
    # Spark's Python layer logs every failed query's plan at ERROR; the error itself is raised.
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    local = re.fullmatch(r"local(\[[^]]*\])?", master or DEFAULT_MASTER) is not None
    if local:  # on a cluster the executors' own Python runs (PYSPARK_PYTHON, if set)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master or DEFAULT_MASTER).appName("agentaudit")
    for key, value in CONF.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    if not local:
        # executors in other processes or machines: agentaudit goes with the job
        spark.sparkContext.addPyFile(str(wheel()))
    return spark


def discard_wheel() -> None:
    """Remove the wheel `wheel()` built and its temporary folder (at exit, or sooner)."""
    global _WHEEL
    if _WHEEL is not None:
        shutil.rmtree(_WHEEL.parent, ignore_errors=True)
        _WHEEL = None


def wheel() -> Path:
    """agentaudit as a file executors can import from (once per process): the wheel built
    from the source tree, or, from an installed agentaudit, its package folder zipped. Spark
    puts `.zip` files on the executors' path, so the wheel (a zip) is named so."""
    global _WHEEL
    if _WHEEL is None or not _WHEEL.exists():
        package = Path(__file__).resolve().parent
        out = Path(tempfile.mkdtemp(prefix="agentaudit-wheel-"))
        # Spark copies the file when it is added: the folder goes when this process does
        atexit.register(discard_wheel)
        if (package.parent / "pyproject.toml").exists():
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "wheel",
                    "--no-deps",
                    "-q",
                    "-w",
                    str(out),
                    str(package.parent),
                ],
                check=True,
            )
            built = next(out.glob("agentaudit-*.whl"))
            _WHEEL = built.rename(built.with_suffix(".zip"))
        else:
            archive = shutil.make_archive(
                str(out / "agentaudit"), "zip", package.parent, package.name
            )
            _WHEEL = Path(archive)
    return _WHEEL


_WHEEL: Path | None = None


def _arrow(rel: duckdb.DuckDBPyRelation) -> Any:
    """A relation's rows as one Arrow table; an empty one with one empty chunk per column
    (pyspark cannot convert a column of no chunks)."""
    import pyarrow as pa  # noqa: PLC0415

    table = rel.arrow()
    table = table.read_all() if hasattr(table, "read_all") else table
    if table.num_rows == 0:
        table = pa.Table.from_arrays(
            [pa.array([], type=f.type) for f in table.schema], schema=table.schema
        )
    return table


class SparkRunner(Runner):
    """The assessment's SQL on Spark, over a lake (every shard below `lake`)."""

    def __init__(self, lake: str | Path, master: str | None = None) -> None:
        self.lake = Path(lake)
        self._layout = lake_mod.layout(lake)
        # the merged small tables; events stay in Parquet
        self._lake = lake_mod.connect(lake, self._layout)
        self.spark = session(master)
        self._twin = audit_db.connect(None)  # empty: the DuckDB types of every query
        self._results = duckdb.connect()
        self._results.execute("SET TimeZone = 'UTC'")
        self._macros: dict[str, transpile.Macro] = {}
        self._count = 0
        self._bundle_tables = False
        self._register_tables()

    def _register_tables(self) -> None:
        """The canonical tables as Spark temporary views."""
        for table in (*lake_mod.ROW_TABLES, *lake_mod.MERGED_TABLES):
            if table != "events":
                self._put(table, _arrow(self._lake.sql(f"SELECT * FROM {table}")))
        columns = [r[0] for r in self._twin.sql("DESCRIBE events").fetchall()]
        events = None
        for shard, offset in self._layout:
            if not lake_mod.has_events(shard):
                continue  # a shard of rosters or inventories only: no events folder to read
            folder = str(shard / "events")
            part = self.spark.read.option("basePath", folder).parquet(folder)
            part = part.withColumn("file_id", (part["file_id"] + offset).cast("int"))
            part = part.select(*columns)
            events = part if events is None else events.unionByName(part)
        if events is None:
            self._put("events", _arrow(self._twin.sql("SELECT * FROM events")))
        else:
            events.createOrReplaceTempView("events")

    def _put(self, name: str, table: Any) -> None:
        """An Arrow table as a Spark temporary view."""
        self.spark.createDataFrame(table).createOrReplaceTempView(name)

    def install(
        self,
        policy: dict[str, Any],
        *,
        overrides: Sequence[Override] = (),
        ai_apps: str | Path | None = None,
    ) -> None:
        views.install(self._twin, policy, persist=False, overrides=overrides, ai_apps=ai_apps)
        self._macros = transpile.parse_macros(views.macro_sql(self._twin))
        for table in views.SETTINGS_TABLES:
            self._put(table, _arrow(self._twin.sql(f"SELECT * FROM {table}")))
        self._create_views(materialize=True)

    def _create_views(self, *, materialize: bool) -> None:
        """Every metric view as a Spark view, in file order; the materialized ones computed
        once (`localCheckpoint`) when `materialize`, else left as they are."""
        tables = {d.name for d in views.catalogue() if d.materialized}
        for file, text in views.sql_files():
            for name, statement in views.statements(text):
                if name in tables and not materialize:
                    continue
                select = transpile.to_spark(
                    views.body(statement), self._macros, what=f"{file}: {name}"
                )
                with spark_errors(f"{file}: {name} on Spark"):
                    frame = self.spark.sql(select)
                    if name in tables:
                        frame = frame.localCheckpoint()
                    frame.createOrReplaceTempView(name)

    def sql(self, query: str) -> duckdb.DuckDBPyRelation:
        shape = self._twin.sql(query)  # DuckDB's names and types for this query
        with spark_errors("a query on Spark"):
            table = self.spark.sql(transpile.to_spark(query, self._macros)).toArrow()
        if table.num_columns != len(shape.columns):
            raise AgentAuditError(
                f"Spark returned {table.num_columns} columns, DuckDB {len(shape.columns)}, "
                f"for: {query.strip()[:200]}"
            )
        self._count += 1
        name = f"_spark_result_{self._count}"
        self._results.register(
            name, table.rename_columns([f"c{i}" for i in range(table.num_columns)])
        )
        cast = ", ".join(
            f'CAST(c{i} AS {kind}) AS "{column}"'
            for i, (column, kind) in enumerate(zip(shape.columns, shape.types, strict=True))
        )
        return self._results.sql(f"SELECT {cast} FROM {name}")

    def accept(self, rows: list[list[Any]]) -> None:
        self._twin.executemany("INSERT INTO aa_exceptions VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        self._put("aa_exceptions", _arrow(self._twin.sql("SELECT * FROM aa_exceptions")))
        # the views that read acceptances see the new table (stored tables never read them)
        self._create_views(materialize=False)

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The results database, holding `files` and `assessment_window` for the bundle."""
        if not self._bundle_tables:
            files = _arrow(self._lake.sql("SELECT * FROM files ORDER BY file_id"))
            self._results.register("_lake_files", files)
            self._results.execute("CREATE TABLE files AS SELECT * FROM _lake_files")
            self.sql("SELECT * FROM assessment_window").create("assessment_window")
            self._bundle_tables = True
        return self._results

    def describe(self) -> dict[str, str]:
        return {
            "name": "spark",
            "version": self.spark.version,
            "master": self.spark.sparkContext.master,
            "sqlglot": transpile.sqlglot_version(),
            "lake": str(self.lake),
        }

    def close(self) -> None:
        self._lake.close()
        self._twin.close()
        self._results.close()


def _distinct(files: list[Path]) -> list[Path]:
    """The files with copies of the same content left out (the first path kept), as one
    ingest skips a file it already loaded: in two tasks a copy would load twice. Only files
    of equal size are hashed."""
    from agentaudit.ingest import sha256_of  # noqa: PLC0415

    sizes = {f: f.stat().st_size for f in files}
    alike = Counter(sizes.values())
    seen: set[str] = set()
    out = []
    for f in files:
        if alike[sizes[f]] > 1:
            digest = sha256_of(f)
            if digest in seen:
                continue
            seen.add(digest)
        out.append(f)
    return out


def _balanced(files: list[Path], groups: int) -> list[list[str]]:
    """Files dealt into `groups` groups of about equal bytes (largest first, each to the
    lightest group), each group in path order."""
    bins: list[tuple[int, list[Path]]] = [(0, []) for _ in range(max(1, groups))]
    for f in sorted(files, key=lambda p: (-p.stat().st_size, str(p))):
        i = min(range(len(bins)), key=lambda j: (bins[j][0], j))
        bins[i] = (bins[i][0] + f.stat().st_size, [*bins[i][1], f])
    return [[str(p) for p in sorted(b)] for _, b in bins if b]


def _ingest_group(files: list[str], lake: str, mapping: str | None, memory: str) -> dict[str, Any]:
    """One Spark task: ingest a group of files with agentaudit's DuckDB readers into a
    temporary database (DuckDB capped at `memory`, spilling beyond it) and write it as a lake
    shard."""
    from agentaudit.ingest import ingest  # noqa: PLC0415

    # DuckDB takes 80% of the machine's memory by default: tasks side by side would not fit
    os.environ["AGENTAUDIT_MEMORY_LIMIT"] = memory
    with tempfile.TemporaryDirectory(prefix="agentaudit-task-") as tmp:
        db = Path(tmp) / "shard.duckdb"
        result = ingest([Path(f) for f in files], db, mapping=mapping)
        shard = str(lake_mod.write(db, lake)) if result.anything_loaded else ""
    return {
        "files": len(files),
        "shard": shard,
        "rows_loaded": result.rows_loaded,
        "rows_rejected": result.rows_rejected,
        "problems": [f"{r.path}: {r.message}" for r in result.files if r.message][:20],
    }


def ingest_to_lake(
    paths: Sequence[str | Path],
    lake: str | Path,
    *,
    master: str | None = None,
    tasks: int | None = None,
    mapping: str | Path | None = None,
    task_memory: str | None = None,
) -> list[dict[str, Any]]:
    """Spread the input files over Spark tasks (by size, about equal bytes each); each task
    runs the ingest's DuckDB readers on its files and writes a lake shard below `lake`. The
    shards merge when read (docs/lake.md). Files and lake must be on storage every executor
    sees (the same paths). `task_memory` caps each task's DuckDB (a 10M-event ingest peaks
    at about 3 GB under a 3 GB cap, spilling the rest; default: AGENTAUDIT_MEMORY_LIMIT, else
    3GB). Returns one summary per task."""
    from agentaudit.ingest import iter_files  # noqa: PLC0415

    files = _distinct(sorted({f.resolve() for f in iter_files(paths)}))
    if not files:
        raise AgentAuditError(f"no files below {', '.join(str(p) for p in paths)}")
    spark = session(master)
    count = tasks or spark.sparkContext.defaultParallelism
    groups = _balanced(files, min(count, len(files)))
    target = str(Path(lake).resolve())
    Path(target).mkdir(parents=True, exist_ok=True)
    names = None if mapping is None else str(Path(mapping).resolve())
    rdd = spark.sparkContext.parallelize(groups, len(groups))
    memory = task_memory or os.environ.get("AGENTAUDIT_MEMORY_LIMIT") or "3GB"
    with spark_errors("ingest on Spark"):
        return rdd.map(lambda group: _ingest_group(group, target, names, memory)).collect()
