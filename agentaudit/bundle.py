"""The assessment bundle: one folder that holds an assessment whole, so that a report renders
from it alone (the database may be gone) and every figure can be traced back to its query.

    assessment.json       the JSON contract (docs/assessment-json.md)
    manifest.json         inputs: files with SHA-256, policy, overrides, risk acceptances,
                          tool version, window, and the state the report is rebuilt from
    tables/<view>.parquet every table or view behind a figure (and `files`)
    findings/<check>.parquet  each check's rows, `open` or `accepted`
    evidence/<view>.sql   the query reproducing each figure from the database, runnable in
                          plain DuckDB on the database `agentaudit assess` stored its views in
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from agentaudit import __version__
from agentaudit.assess import (
    FRAMES,
    METRIC_VIEWS,
    TABLES,
    Assessment,
    Finding,
    first_row,
    maturity,
    views,
)
from agentaudit.assess.acceptances import RiskAcceptance
from agentaudit.assess.checks import all_checks
from agentaudit.errors import BundleError

BUNDLE_VERSION = 1
EXTRA_TABLES = ("files", "assessment_window")  # shown by the report besides TABLES


def write(
    a: Assessment,
    con: duckdb.DuckDBPyConnection,
    out: str | Path,
    *,
    inputs: dict[str, str | Path | None] | None = None,
    engine: dict[str, str] | None = None,
) -> Path:
    """Write the bundle of assessment `a`, computed on `con` (its views still installed), to
    `out`. `inputs` names the policy, exceptions and overrides files used, for the manifest."""
    out = Path(out)
    for sub in ("tables", "findings", "evidence"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    docs = {d.name: d for d in views.catalogue()}
    evidence = {}
    for name in (*TABLES, *METRIC_VIEWS, *EXTRA_TABLES):
        query = f"SELECT * FROM {name}" + (" ORDER BY file_id" if name == "files" else "")
        target = out / "tables" / f"{name}.parquet"
        # What the assessment read already is written as it is (a metric view or a table can
        # take seconds to compute on millions of events); the rest is queried.
        if name in a.tables:
            _frame_to_parquet(con, a.tables[name], target)
        elif a.metrics.get(name):
            _frame_to_parquet(con, pd.DataFrame([a.metrics[name]]), target)
        else:
            _parquet(con, query, target)
        doc = docs.get(name)
        header = [f"-- {name}"]
        if doc:
            header += [f"-- measures: {doc.measures}", f"-- unit: {doc.unit}"]
            header += [f"-- feeds: {doc.feeds}", f"-- defined in: metrics/{doc.file}"]
        evidence[name] = _evidence(out, name, header, query)
    for f in a.findings:
        c = f.check
        rows = out / "findings" / f"{c.id}.parquet"
        _frame_to_parquet(con, f.rows, rows)
        header = [
            f"-- {c.id}: {c.title}",
            f"-- severity: {c.severity}; criterion: {c.criterion}; OWASP NHI: {c.owasp}",
            "-- rows accepted as a risk are listed in the bundle with status 'accepted'",
        ]
        evidence[c.id] = _evidence(out, c.id, header, c.sql.strip())
    contract = a.to_dict()
    (out / "assessment.json").write_text(json.dumps(contract, indent=2, default=str) + "\n")
    manifest = {
        "bundle_version": BUNDLE_VERSION,
        "tool_version": __version__,
        "generated_at": contract["generated_at"],
        "window": a.window,
        "engine": engine or {"name": "duckdb", "version": duckdb.__version__},
        "inputs": _inputs(con, inputs or {}),
        "policy": a.policy,
        "evidence": evidence,
        "state": {
            "level": a.level,
            "first_failing_criterion": a.first_failing_criterion,
            "criteria": {
                c.id: {
                    "measured_as": c.measured_as,
                    "status": c.status,
                    "value": c.value,
                    "threshold": c.threshold,
                    "detail": c.detail,
                }
                for c in a.criteria
            },
            "data_gaps": a.data_gaps,
            "exceptions": [dataclasses.asdict(e) for e in a.exceptions],
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=_json) + "\n")
    return out


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _parquet(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    con.execute(f"COPY ({query}) TO '{_quoted(path)}' (FORMAT parquet)")


def _frame_to_parquet(con: duckdb.DuckDBPyConnection, frame: Any, path: Path) -> None:
    con.register("_bundle_frame", frame)
    try:
        _parquet(con, "SELECT * FROM _bundle_frame", path)
    finally:
        con.unregister("_bundle_frame")


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _evidence(out: Path, name: str, header: list[str], query: str) -> str:
    """Write evidence/<name>.sql; return its path relative to the bundle."""
    relative = f"evidence/{name}.sql"
    text = "\n".join(header) + (
        "\n-- run on the audit database after `agentaudit assess` (which stores the views):\n"
        f"--   duckdb audit.duckdb < {relative}\n"
    )
    (out / relative).write_text(text + query + ";\n", encoding="utf-8")
    return relative


def _sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _inputs(con: duckdb.DuckDBPyConnection, named: dict[str, str | Path | None]) -> dict:
    """The loaded files (path, SHA-256, format, outcome) and the consultant's input files."""
    files = [
        dict(
            zip(
                ("path", "sha256", "format", "status", "rows_loaded", "rows_rejected"),
                r,
                strict=True,
            )
        )
        for r in con.sql(
            """SELECT path, sha256, format, status, rows_loaded, rows_rejected FROM files
               ORDER BY file_id"""
        ).fetchall()
    ]
    given = {
        kind: {"path": str(Path(p).resolve()), "sha256": _sha256(p)}
        for kind, p in named.items()
        if p
    }
    return {"files": files, **given}


def read(path: str | Path, frames: str = "pandas") -> tuple[Assessment, Any, dict]:
    """The assessment a bundle holds, its `files` table and its manifest."""
    if frames not in FRAMES:
        raise ValueError(f"frames must be one of {', '.join(FRAMES)}, not {frames!r}")
    root = Path(path)
    if root.is_file():  # the bundle's assessment.json named instead of its folder
        root = root.parent
    manifest_path = root / "manifest.json"
    if not manifest_path.exists():
        raise BundleError(
            f"{root} is not an assessment bundle (no manifest.json): "
            "write one with `agentaudit assess --db DB --bundle DIR`"
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("bundle_version") != BUNDLE_VERSION:
        raise BundleError(
            f"{root}: bundle version {manifest.get('bundle_version')} is not the version "
            f"{BUNDLE_VERSION} this agentaudit reads; assess again to write a new bundle"
        )

    def table(folder: str, name: str) -> Any:
        file = root / folder / f"{name}.parquet"
        if not file.exists():
            raise BundleError(f"{root}: the bundle is missing {folder}/{name}.parquet")
        rel = duckdb.sql(f"SELECT * FROM read_parquet('{_quoted(file)}')")
        return rel.pl() if frames == "polars" else rel.df()

    state = manifest["state"]
    criteria = []
    for c in maturity.criteria():
        saved = state["criteria"].get(c.id)
        if saved:
            criteria.append(dataclasses.replace(c, **saved))
    metrics = {v: first_row(table("tables", v)) for v in METRIC_VIEWS}
    findings = [
        Finding(c.for_policy(manifest["policy"]), table("findings", c.id)) for c in all_checks()
    ]
    accepted = [
        RiskAcceptance(**{**e, "expires": date.fromisoformat(e["expires"])})
        for e in state["exceptions"]
    ]
    a = Assessment(
        state["level"],
        state["first_failing_criterion"],
        criteria,
        manifest["window"],
        metrics,
        {t: table("tables", t) for t in TABLES},
        findings,
        manifest["policy"],
        state["data_gaps"],
        accepted,
        generated_at=manifest["generated_at"],
    )
    return a, table("tables", "files"), manifest
