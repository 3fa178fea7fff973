"""Batch reports: every client of a manifest ingested, assessed and reported, side by side
in worker processes or Spark tasks, then the portfolio of them all."""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentaudit import portfolio
from agentaudit.errors import InputError
from agentaudit.pipeline import AssessOptions, ReportOptions, run


@dataclass
class BatchRow:
    client: str
    level: int | None = None
    report: str = ""
    error: str = ""
    seconds: float = 0.0
    bundle: str = ""


def read_manifest(path: str | Path) -> list[dict[str, Any]]:
    """Clients to report on: CSV or YAML rows with `client`, `exports` (folder) and options
    (`assessor`, `pdf`, and every assessment input: `policy`, `exceptions`, `overrides`,
    `ai_apps`, `window_start`, `window_end`). Relative paths are taken from the manifest's
    folder."""
    import yaml  # noqa: PLC0415

    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        data = yaml.safe_load(text) or []
        rows = data.get("clients", data) if isinstance(data, dict) else data
    else:
        rows = list(csv.DictReader(text.splitlines()))
    out = []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not row.get("client") or not row.get("exports"):
            raise InputError(str(path), f"client {i}: expected `client` and `exports`")
        row = dict(row)
        for key in ("exports", *AssessOptions.FILES):
            if row.get(key) and not Path(str(row[key])).is_absolute():
                row[key] = str((path.parent / str(row[key])).resolve())
        out.append(row)
    return out


def _one_client(row: dict[str, Any], out_dir: str, pdf: bool) -> BatchRow:
    """Ingest, assess and report one client (runs in a worker process)."""
    started = time.perf_counter()
    name = str(row["client"])
    slug = "".join(c if c.isalnum() or c in "-_" else "_" for c in name).strip("_") or "client"
    target = Path(out_dir) / slug
    result = BatchRow(name)
    try:
        want_pdf = str(row.get("pdf", pdf)).lower() in ("true", "1", "yes")
        done = run(
            row["exports"],
            target,
            name,
            AssessOptions.from_row(row),
            ReportOptions(assessor=str(row.get("assessor") or ""), pdf=want_pdf),
        )
        result.level, result.bundle = done.assessment.level, str(done.bundle)
        if done.report is not None:
            result.report = str(done.report.pdf or done.report.html)
    except Exception as exc:  # noqa: BLE001 - one failing client must not stop the batch
        result.error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:300]}"
    result.seconds = time.perf_counter() - started
    return result


def batch(
    manifest: str | Path,
    out_dir: str | Path,
    *,
    workers: int = 2,
    pdf: bool = False,
    scheduler: str = "local",
    spark_master: str | None = None,
) -> list[BatchRow]:
    """Report on every client of a manifest in parallel worker processes (a failing client
    is reported with its error and the others go on), then write the portfolio of them all
    (portfolio.csv, portfolio.html) in `out_dir`. With `scheduler="spark"` each client is a
    Spark task instead (`_on_spark`)."""
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    rows = read_manifest(manifest)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    if scheduler == "spark":
        results = _on_spark(rows, out_dir, pdf=pdf, master=spark_master)
    elif workers <= 1:
        results = [_one_client(r, str(out_dir), pdf) for r in rows]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_one_client, r, str(out_dir), pdf) for r in rows]
            results = [f.result() for f in futures]
    portfolio.write(results, out_dir)
    return results


def _on_spark(
    rows: list[dict[str, Any]], out_dir: str | Path, *, pdf: bool, master: str | None = None
) -> list[BatchRow]:
    """Each client of a batch manifest as one Spark task running the whole pipeline
    (ingest, assess, report) with DuckDB; the rows come back in manifest order."""
    from agentaudit.spark import session, spark_errors  # noqa: PLC0415

    spark = session(master)
    out = str(Path(out_dir).resolve())
    rdd = spark.sparkContext.parallelize(rows, max(1, len(rows)))
    with spark_errors("batch on Spark"):
        return rdd.map(lambda row: _one_client(row, out, pdf)).collect()
