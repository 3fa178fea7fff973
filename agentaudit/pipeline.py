"""One pipeline from exports to a report, the same for `demo`, `report` and `batch`:
ingest -> assess (into an assessment bundle) -> render the report from the bundle alone."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

import duckdb

from agentaudit import bundle
from agentaudit.assess import Assessment, assess
from agentaudit.assess.runner import Runner
from agentaudit.db import connect, remove_database
from agentaudit.errors import AgentAuditError
from agentaudit.ingest import IngestResult, ingest
from agentaudit.report import ReportResult, render_report

BUNDLE_DIR = "bundle"  # the bundle's folder inside a report's output folder


@dataclass(kw_only=True)
class AssessOptions:
    """What the assessment step takes besides the database: the consultant's files and
    the window (each None for the default). Named, never positional: a field added here
    is then taken by every caller, the CLI's and a batch manifest's columns alike."""

    FILES: ClassVar[tuple[str, ...]] = ("policy", "exceptions", "overrides", "ai_apps")

    policy: str | Path | None = None
    exceptions: str | Path | None = None
    overrides: str | Path | None = None
    window_start: str | None = None
    window_end: str | None = None
    ai_apps: str | Path | None = None  # the consultant's AI app catalogue (CSV)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AssessOptions:
        """The options a batch manifest's row (or a command's parameters) names; an empty
        cell is the default."""
        return cls(**{f.name: row.get(f.name) or None for f in fields(cls)})

    def thresholds(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in (("window_start", self.window_start), ("window_end", self.window_end))
            if v
        }


@dataclass
class ReportOptions:
    """How the report is presented (it changes no figure)."""

    assessor: str = ""
    pdf: bool = False
    logo: str | Path | None = None
    report_date: str | None = None
    previous: str | Path | None = None


@dataclass
class PipelineResult:
    """What a run produced: the ingest (when it ingested), the assessment, the bundle, the
    report."""

    assessment: Assessment
    bundle: Path
    report: ReportResult | None = None
    ingest: IngestResult | None = None
    notes: list[str] = field(default_factory=list)


def assess_to_bundle(
    db: str | Path | duckdb.DuckDBPyConnection | Runner,
    out: str | Path,
    options: AssessOptions | None = None,
) -> Assessment:
    """Assess the database (a path, or an open connection such as a lake's), store the views
    in it (so each evidence query runs there in plain DuckDB) and write the bundle to `out`.
    A database that cannot be written (a read-only file) is assessed with temporary views.
    A `Runner` (a lake on Spark) is assessed where it runs; its results make the bundle."""
    options = options or AssessOptions()
    inputs = {
        "policy": options.policy,
        "exceptions": options.exceptions,
        "overrides": options.overrides,
        "ai_apps": options.ai_apps,
    }
    if isinstance(db, Runner):
        a = _assess(db, options, persist=False)
        bundle.write(a, db.connection, out, inputs=inputs, engine=db.describe())
        return a
    own = not isinstance(db, duckdb.DuckDBPyConnection)
    if not own:
        con = db
    else:
        try:
            con = connect(db)
        except duckdb.Error as exc:
            if "read-only" not in str(exc).lower() and "permission" not in str(exc).lower():
                raise
            con = connect(db, read_only=True)
    try:
        a = _assess(con, options, persist=not _read_only(con))
        bundle.write(a, con, out, inputs=inputs)
    finally:
        if own:
            con.close()
    return a


def _assess(
    source: duckdb.DuckDBPyConnection | Runner, options: AssessOptions, *, persist: bool
) -> Assessment:
    return assess(
        source,
        policy=options.policy,
        exceptions=options.exceptions,
        overrides=options.overrides,
        ai_apps=options.ai_apps,
        persist=persist,
        **options.thresholds(),
    )


def _read_only(con: duckdb.DuckDBPyConnection) -> bool:
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _aa_probe AS SELECT 1")
        con.execute("CHECKPOINT")
    except duckdb.Error:
        return True
    return False


def report(
    db: str | Path,
    out: str | Path,
    client: str,
    assess_options: AssessOptions | None = None,
    report_options: ReportOptions | None = None,
) -> PipelineResult:
    """Assess `db` into `<out>/bundle` and render the report from that bundle."""
    target = Path(out) / BUNDLE_DIR
    a = assess_to_bundle(db, target, assess_options)
    rep = render_from_bundle(target, out, client, report_options)
    return PipelineResult(a, target, rep)


def render_from_bundle(
    bundle_dir: str | Path,
    out: str | Path,
    client: str,
    options: ReportOptions | None = None,
) -> ReportResult:
    """The report of a bundle (the database is not needed)."""
    o = options or ReportOptions()
    return render_report(
        bundle_dir,
        out,
        client,
        assessor=o.assessor,
        pdf=o.pdf,
        logo=o.logo,
        report_date=o.report_date,
        previous=o.previous,
    )


def run(
    exports: str | Path | list[str | Path],
    out: str | Path,
    client: str,
    assess_options: AssessOptions | None = None,
    report_options: ReportOptions | None = None,
    *,
    db: str | Path | None = None,
    on_progress: Any = None,
) -> PipelineResult:
    """Ingest the exports into a fresh database (`<out>/audit.duckdb` unless `db` names one),
    assess it into a bundle and render the report."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    db_path = Path(db) if db else out / "audit.duckdb"
    remove_database(db_path)
    paths = exports if isinstance(exports, list) else [exports]
    loaded = ingest(paths, db_path, on_progress=on_progress)
    if not loaded.anything_loaded:
        reasons = list(dict.fromkeys(f.message for f in loaded.files if f.message))[:3]
        raise AgentAuditError(
            f"nothing could be loaded from {', '.join(str(p) for p in paths)}"
            + (f": {'; '.join(reasons)}" if reasons else "")
        )
    result = report(db_path, out, client, assess_options, report_options)
    result.ingest = loaded
    return result
