"""The `agentaudit` command line: a thin layer over the library API."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click
import duckdb
import yaml
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from agentaudit import __version__, sqlshell
from agentaudit.assess import Assessment, assess
from agentaudit.db import remove_database
from agentaudit.diff import diff
from agentaudit.diff import load as load_assessment
from agentaudit.errors import AgentAuditError, DatabaseError
from agentaudit.export import export
from agentaudit.ingest import IngestResult, file_size, ingest, iter_files, unreadable_reason
from agentaudit.synth import PROFILES, config_for, generate

console = Console(width=max(Console().width, 140))
err_console = Console(stderr=True)


def fail(exc: AgentAuditError) -> NoReturn:
    """Report a user-facing error (file, record, what was expected) in one line and exit
    with its code (docs: README, "Exit codes")."""
    err_console.print(Text.assemble(("error: ", "red"), " ".join(str(exc).split())), soft_wrap=True)
    sys.exit(exc.exit_code)


class _Commands(click.Group):
    """Every command's errors end the same way: one line and an exit code, never a
    traceback (agentaudit's own errors, DuckDB's lock and I/O errors, missing files)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except AgentAuditError as exc:
            fail(exc)
        except duckdb.Error as exc:
            fail(DatabaseError(f"DuckDB: {' '.join(str(exc).split())[:500]}"))
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            fail(AgentAuditError(f"{where}{exc.strerror or exc}"))


# Options several commands share: one definition each.
exceptions_option = click.option(
    "--exceptions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML risk acceptances (findings accepted with owner and expiry).",
)
spark_master_option = click.option(
    "--spark-master",
    default=None,
    metavar="URL",
    help="Spark master when Spark runs the work (default local[2]), e.g. spark://host:7077.",
)


def scheduler_option(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--scheduler local|spark`: where the work runs (this machine's processes, or Spark
    tasks); the SQL engine stays DuckDB. `--engine` is the name `assess` keeps for its SQL
    engine, still taken here (hidden) from scripts written before."""

    def legacy(ctx: click.Context, _: click.Parameter, value: str | None) -> str | None:
        if value is not None:
            click.echo("note: --engine is now --scheduler here (local or spark)", err=True)
        return None if value is None else ("local" if value == "duckdb" else value)

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        f = click.option(
            "--engine",
            "legacy_engine",
            type=click.Choice(["duckdb", "local", "spark"]),
            default=None,
            hidden=True,
            callback=legacy,
        )(f)
        return click.option(
            "--scheduler",
            type=click.Choice(["local", "spark"]),
            default="local",
            show_default=True,
            help=what,
        )(f)

    return decorate


ai_apps_option = click.option(
    "--ai-apps",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Your AI app catalogue (CSV with the columns of the shipped assess/ai_apps.csv).",
)
overrides_option = click.option(
    "--overrides",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The consultant's reviewed identity_review.csv (decision, reason, reviewer).",
)


@click.group(cls=_Commands)
@click.version_option(__version__, prog_name="agentaudit")
def main() -> None:
    """Audit non-human identities (service accounts, API keys, OAuth apps, AI agents)."""


@main.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="DuckDB database file to create or add to (not needed with --explain).",
)
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML column mapping for client CSVs with their own headers.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--explain", is_flag=True, help="Say how each file is recognised, and why; load nothing."
)
@click.option(
    "--lake",
    "lake_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also (or, without --db, only) write what was loaded as a lake shard here.",
)
@scheduler_option("spark: spread the files over Spark tasks, each writing a lake shard (--lake).")
@spark_master_option
@click.option(
    "--spark-tasks",
    type=click.IntRange(min=1),
    default=None,
    help="How many Spark tasks (shards) to deal the files to (default: the cluster's cores).",
)
def ingest_cmd(
    paths: tuple[Path, ...],
    db_path: Path | None,
    mapping: Path | None,
    quiet: bool,
    explain: bool,
    lake_dir: Path | None,
    scheduler: str,
    legacy_engine: str | None,
    spark_master: str | None,
    spark_tasks: int | None,
) -> None:
    """Load export files (or folders of them, recursively) into an audit database."""
    scheduler = legacy_engine or scheduler
    if explain:
        for path in iter_files(paths):
            print_explanation(path)
        return
    if scheduler == "spark":
        _ingest_on_spark(paths, db_path, lake_dir, mapping, spark_master, spark_tasks)
        return
    if spark_master or spark_tasks:
        raise click.UsageError("--spark-master and --spark-tasks go with --scheduler spark")
    if db_path is None and lake_dir is None:
        raise click.UsageError("Missing option '--db' (the database to load into) or '--lake'.")
    try:
        with tempfile.TemporaryDirectory(prefix="agentaudit-shard-") as scratch:
            target = db_path or Path(scratch) / "shard.duckdb"
            result = run_ingest(paths, target, mapping, quiet)
            if lake_dir is not None and result.anything_loaded:
                from agentaudit import lake  # noqa: PLC0415

                shard = lake.write(target, lake_dir)
                console.print(f"lake shard: {shard}", soft_wrap=True)
    except AgentAuditError as exc:
        fail(exc)
    print_ingest_summary(result)
    sys.exit(ingest_exit_code(result))


def ingest_exit_code(result: IngestResult) -> int:
    """The README's codes for an ingest: 2 when some file could not be read (the others
    loaded), 1 when nothing could be loaded, else 0; says why on standard error."""
    if result.unreadable:
        n = len(result.unreadable)
        err_console.print(
            f"[red]{n} file{'' if n == 1 else 's'} could not be read[/red] "
            "(the others were loaded): SELECT * FROM files WHERE status = 'unreadable'"
        )
        for f in result.unreadable[:3]:
            err_console.print(Text(f"  {f.path}: {f.message}"), soft_wrap=True)
        return 2
    if not result.anything_loaded:
        reasons = list(dict.fromkeys(f.message for f in result.files if f.message))[:3]
        err_console.print("[red]nothing could be loaded[/red]")
        for reason in reasons:
            err_console.print(Text(f"  {textwrap.shorten(reason, 200, placeholder=' …')}"))
        return 1
    return 0


def print_explanation(path: Path) -> None:
    """How a file is sniffed and which reader takes it (or the closest one, and why not)."""
    from agentaudit import containers, readers  # noqa: PLC0415

    why = unreadable_reason(path)
    if why is None:
        try:
            sample = containers.sniff(path)
        except OSError as exc:
            why = f"cannot be read: {exc.strerror or exc}"
    if why is not None:
        console.print(Text(str(path), style="bold"))
        console.print(Text(f"  not read: {why}"))
        return
    containers.discard_copy(sample)  # its transcoded copy, if any: only the head is needed
    reader = readers.detect(sample)
    keys = sorted(sample.keys())
    lines = [
        f"container: {sample.label} ({sample.compression}, {sample.encoding})"
        + (f", records under {sample.wrapper_key!r}" if sample.wrapper_key else ""),
        f"first record's keys: {', '.join(keys[:25]) or '-'}"
        + (f" (+{len(keys) - 25} more)" if len(keys) > 25 else ""),
        *(f"note: {n}" for n in sample.notes),
    ]
    if reader is not None:
        lines.append(f"format: {reader.title} [{reader.name}]")
        if sample.container != "csv" and containers.groupable(sample):
            lines.append("read with other small files of its format in one statement")
    else:
        lines.append("format: not recognised; " + (readers.explain_refusal(sample) or "-"))
    console.print(Text(str(path), style="bold"))
    for line in lines:
        console.print(Text("  " + line))


def run_ingest(
    paths: tuple[Path, ...], db_path: Path, mapping: Path | None, quiet: bool
) -> IngestResult:
    """Run ingest with a progress bar that moves as records are read and mapped (over the
    files' bytes, the one total known in advance), counting the records."""
    files = list(iter_files(paths))
    total = sum(file_size(p) for p in files)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[records]:>12,} records"),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet or not files,
        transient=True,
    ) as progress:
        task = progress.add_task("loading", total=total or 1, records=0)
        records = 0

        def on_progress(path: Path, n: int) -> None:
            nonlocal records
            records += n
            progress.update(
                task, description=f"read {path.name}", advance=file_size(path), records=records
            )

        # the paths as given: a walk's entries given again would be walked again
        return ingest(paths, db_path, mapping=mapping, on_progress=on_progress)


MANY_FILES = 40  # more files than this: totals per format and status, and the problem files
PROBLEMS = ("empty", "refused", "failed", "unreadable")


def _ingest_on_spark(
    paths: tuple[Path, ...],
    db_path: Path | None,
    lake_dir: Path | None,
    mapping: Path | None,
    master: str | None,
    tasks: int | None,
) -> None:
    """`ingest --scheduler spark`: the files spread over Spark tasks, a lake shard from each."""
    if lake_dir is None or db_path is not None:
        raise click.UsageError("--scheduler spark writes lake shards: give --lake, not --db")
    from agentaudit.spark import ingest_to_lake  # noqa: PLC0415

    try:
        done = ingest_to_lake(paths, lake_dir, master=master, mapping=mapping, tasks=tasks)
    except AgentAuditError as exc:
        fail(exc)
    table = Table(title=f"ingest on Spark: {len(done)} tasks")
    for col in ("files", "rows loaded", "rows rejected", "shard"):
        table.add_column(col, overflow="fold")
    for t in done:
        table.add_row(
            str(t["files"]),
            f"{t['rows_loaded']:,}",
            f"{t['rows_rejected']:,}",
            Text(t["shard"] or "(nothing loaded)"),
        )
    console.print(table)
    for t in done:
        for problem in t["problems"]:
            err_console.print(Text(textwrap.shorten(problem, 300, placeholder=" …")))
    if not any(t["shard"] for t in done):
        err_console.print("[red]nothing could be loaded[/red]")
        sys.exit(1)


def print_ingest_summary(result: IngestResult) -> None:
    """One row per file (for a tree of many files, totals per format and status and then the
    files with a problem): format, rows read, loaded, rejected, and what went wrong."""
    table = Table(title=f"ingest into {result.db_path}", show_lines=False)
    for col, justify in (
        ("file", "left"),
        ("format", "left"),
        ("status", "left"),
        ("read", "right"),
        ("loaded", "right"),
        ("rejected", "right"),
        ("note", "left"),
    ):
        table.add_column(col, justify=justify, overflow="fold")
    styles = {
        "loaded": "green",
        "skipped": "dim",
        "empty": "yellow",
        "refused": "red",
        "failed": "red",
        "unreadable": "red",
    }
    root = os.path.commonpath([str(Path(f.path).parent) for f in result.files] or ["."])
    listed = result.files
    if len(result.files) > MANY_FILES:  # a tree: totals per format and status, then problems
        groups: dict[tuple[str, str], list[int]] = {}
        for f in result.files:
            g = groups.setdefault((f.format or "-", f.status), [0, 0, 0, 0])
            for i, v in enumerate((1, f.rows_read, f.rows_loaded, f.rows_rejected)):
                g[i] += v
        for (fmt, status), (n, read, loaded, rejected) in sorted(groups.items()):
            table.add_row(
                Text(f"{n:,} file{'' if n == 1 else 's'}"),
                Text(fmt),
                Text(status, style=styles[status]),
                f"{read:,}",
                f"{loaded:,}",
                f"{rejected:,}",
                "",
            )
        listed = [f for f in result.files if f.status in PROBLEMS or f.rows_rejected]
        table.add_section()
    for f in listed[:MANY_FILES]:
        table.add_row(
            Text(os.path.relpath(f.path, root)),
            Text(f.format or "-"),
            Text(f.status, style=styles[f.status]),
            f"{f.rows_read:,}",
            f"{f.rows_loaded:,}",
            f"{f.rows_rejected:,}",
            Text(textwrap.shorten(f.message, 300, placeholder=" …")),
        )
    if len(listed) > MANY_FILES:
        more = Text(f"… {len(listed) - MANY_FILES:,} more: SELECT * FROM files")
        table.add_row(more, "", "", "", "", "", "")
    table.add_section()
    table.add_row(
        "total",
        "",
        "",
        f"{sum(f.rows_read for f in result.files):,}",
        f"{result.rows_loaded:,}",
        f"{result.rows_rejected:,}",
        "",
    )
    console.print(table)
    if result.rows_rejected:
        console.print(Text("rejected records, with reasons: SELECT * FROM rejects"))


@main.command("lake")
@click.option(
    "--db",
    "db_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Audit database written by `agentaudit ingest`.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Lake folder: the database is written as one shard below it.",
)
def lake_cmd(db_path: Path, out_dir: Path) -> None:
    """Write the canonical tables as a Parquet lake shard (docs/lake.md); shards written from
    other databases into the same folder are read together."""
    from agentaudit import lake  # noqa: PLC0415

    try:
        shard = lake.write(db_path, out_dir)
    except AgentAuditError as exc:
        fail(exc)
    console.print(f"lake shard: {shard}", soft_wrap=True)


@main.command("assess")
@click.option(
    "--db",
    "db_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Audit database written by `agentaudit ingest`.",
)
@click.option(
    "--lake",
    "lake_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Or a Parquet lake written by `agentaudit lake` (every shard below it).",
)
@click.option(
    "--policy",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML file overriding the maturity thresholds.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option(
    "--read-only", is_flag=True, help="Do not store the assessment views in the database."
)
@click.option(
    "--bundle",
    "bundle_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write the assessment bundle here (what `report --bundle` renders from).",
)
@click.option("--window-start", default=None, help="ISO-8601; default: the first event.")
@click.option("--window-end", default=None, help="ISO-8601; default: the last event.")
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="Where the metric SQL runs: embedded DuckDB, or Apache Spark over a --lake "
    "(the same SQL, transpiled; needs agentaudit[spark] and Java).",
)
@spark_master_option
@exceptions_option
@overrides_option
@ai_apps_option
def assess_cmd(
    db_path: Path | None,
    lake_dir: Path | None,
    policy: Path | None,
    fmt: str,
    read_only: bool,
    bundle_dir: Path | None,
    window_start: str | None,
    window_end: str | None,
    engine: str,
    spark_master: str | None,
    exceptions: Path | None,
    overrides: Path | None,
    ai_apps: Path | None,
) -> None:
    """Assess an audit database: classification, KPIs, findings and the maturity level."""
    from agentaudit import pipeline  # noqa: PLC0415

    # the command's options of the same names as AssessOptions' fields, none left out
    options = pipeline.AssessOptions.from_row(click.get_current_context().params)
    if (db_path is None) == (lake_dir is None):
        raise click.UsageError("give one of --db (an audit database) or --lake (a lake folder)")
    if engine == "spark" and lake_dir is None:
        raise click.UsageError(
            "--engine spark reads a lake: give --lake (write one with `agentaudit lake`)"
        )
    if spark_master and engine != "spark":
        raise click.UsageError("--spark-master goes with --engine spark")
    runner = None
    try:
        if engine == "spark":
            from agentaudit.spark import SparkRunner  # noqa: PLC0415

            source = runner = SparkRunner(lake_dir, spark_master)
        elif lake_dir is not None:
            from agentaudit import lake  # noqa: PLC0415

            source = lake.connect(lake_dir)  # in memory: its views are temporary anyway
        else:
            source = db_path
        if bundle_dir is not None:
            if read_only:
                raise click.UsageError("--bundle stores the views its evidence queries read")
            result = pipeline.assess_to_bundle(source, bundle_dir, options)
        else:
            result = assess(
                source,
                policy=policy,
                exceptions=exceptions,
                overrides=overrides,
                ai_apps=ai_apps,
                persist=not read_only,
                **options.thresholds(),
            )
    except AgentAuditError as exc:
        fail(exc)
    finally:
        if runner is not None:
            runner.close()
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        print_assessment(result)
        if bundle_dir is not None:
            console.print(f"bundle: {bundle_dir}", soft_wrap=True)


def print_assessment(result: Assessment) -> None:
    """The level, the criteria and the findings as terminal tables."""
    o = result.overall()
    ratio = "n/a" if o["ratio"] is None else f"{o['ratio']:.1f} : 1"
    console.print(
        f"[bold]Maturity level {result.level} ({result.level_name})[/bold]  "
        f"first failing: {result.first_failing_criterion or 'none'}  |  "
        f"{o['nhis']:,} NHIs ({o['ai_agents']:,} AI agents), {o['humans']:,} humans, "
        f"{o.get('external_humans', 0):,} external, {o['unresolved']:,} unresolved, "
        f"ratio {ratio}  |  window {result.window['start']} .. {result.window['end']}",
        soft_wrap=True,
    )
    table = Table(title="criteria")
    for col in ("id", "level", "criterion", "status", "value", "threshold", "detail"):
        table.add_column(col, overflow="fold")
    colours = {"pass": "green", "fail": "red", "not_evidenced": "yellow"}
    for c in result.criteria:
        table.add_row(
            c.id,
            str(c.level),
            c.title,
            Text(c.status, style=colours[c.status]),
            Text(json.dumps(c.value)),
            Text(json.dumps(c.threshold)),
            Text(c.detail),
        )
    console.print(table)
    findings = Table(title="findings")
    for col in ("check", "severity", "OWASP", "criterion", "count", "title"):
        findings.add_column(col)
    for f in result.findings:
        findings.add_row(
            f.check.id,
            f.check.severity,
            f.check.owasp,
            f.check.criterion,
            str(f.count),
            f.check.title,
        )
    console.print(findings)
    for gap in result.data_gaps:
        console.print(Text(f"data gap: {gap}"))


@main.command("synth")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--profile",
    type=click.Choice(list(PROFILES)),
    default=None,
    help="Governance preset that lands at maturity level 1..5.",
)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--humans", type=int, default=None, help="Employees in the HR roster.")
@click.option("--nhi-per-human", type=float, default=None, help="NHIs per employee.")
@click.option("--events", type=int, default=None, help="Events in the window, about.")
@click.option("--days", type=int, default=None, help="Length of the window in days.")
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="NAME=VALUE",
    help="Any other generator parameter (repeatable), e.g. --set anomalies=10.",
)
@click.option("--no-gzip", is_flag=True, help="Write the NDJSON logs uncompressed.")
def synth_cmd(
    out: Path,
    profile: str | None,
    seed: int,
    humans: int | None,
    nhi_per_human: float | None,
    events: int | None,
    days: int | None,
    sets: tuple[str, ...],
    no_gzip: bool,
) -> None:
    """Generate a synthetic enterprise's exports (OUT/exports) and its ground truth."""
    overrides: dict[str, object] = {"seed": seed}
    for name, value in (
        ("humans", humans),
        ("nhi_per_human", nhi_per_human),
        ("events", events),
        ("days", days),
    ):
        if value is not None:
            overrides[name] = value
    if no_gzip:
        overrides["gzip"] = False
    for item in sets:
        name, _, value = item.partition("=")
        overrides[name.strip()] = _parse_value(value)
    try:
        config = config_for(profile, **overrides)
    except (ValueError, TypeError) as exc:
        raise click.BadParameter(str(exc)) from exc
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f} / ~{task.total:,.0f} events"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task("generating", total=config.events)

        def on_file(name: str, n: int) -> None:
            progress.update(task, description=f"wrote {name}", advance=n)

        result = generate(out, config, progress=on_file)
    truth = result.truth
    console.print(
        f"wrote {len(result.files)} files, {result.total_events:,} events to {out}: "
        f"{truth['nhis']['active']} NHIs, {truth['humans']['roster_active']} active employees, "
        f"intended level {truth['maturity']['intended_level']} "
        f"(first failing: {truth['maturity']['first_failing_criterion']})",
        soft_wrap=True,
    )


def _parse_value(text: str) -> object:
    """A --set value as YAML reads it (numbers, booleans, strings)."""
    return yaml.safe_load(text)


@main.command("report")
@click.option(
    "--db",
    "db_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Audit database: assessed into OUT/bundle, then reported.",
)
@click.option(
    "--bundle",
    "bundle_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Assessment bundle (agentaudit assess --bundle): reported as it is, no database.",
)
@click.option("--client", required=True, help="Client name shown on the cover.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--assessor", default="", help="Who ran the assessment.")
@click.option("--policy", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--logo", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--window-start", default=None, help="ISO-8601; default: the first event.")
@click.option("--window-end", default=None, help="ISO-8601; default: the last event.")
@click.option("--pdf", is_flag=True, help="Also print the report to PDF (headless Chromium).")
@exceptions_option
@click.option(
    "--previous",
    type=click.Path(exists=True, path_type=Path),
    help="An earlier bundle or its assessment.json: adds 'since the previous assessment'.",
)
@overrides_option
@ai_apps_option
def report_cmd(
    db_path: Path | None,
    bundle_dir: Path | None,
    client: str,
    out_dir: Path,
    assessor: str,
    policy: Path | None,
    logo: Path | None,
    window_start: str | None,
    window_end: str | None,
    pdf: bool,
    exceptions: Path | None,
    previous: Path | None,
    overrides: Path | None,
    ai_apps: Path | None,
) -> None:
    """Write the executive assessment report (self-contained HTML, and PDF)."""
    from agentaudit import pipeline  # noqa: PLC0415

    if (db_path is None) == (bundle_dir is None):
        raise click.UsageError("give one of --db (assess, then report) or --bundle")
    assessed = (policy, exceptions, overrides, window_start, window_end, ai_apps)
    if bundle_dir is not None and any(x is not None for x in assessed):
        raise click.UsageError(
            "--policy, --exceptions, --overrides and the window are assessment inputs: "
            "a bundle was assessed with its own (see its manifest.json); assess again with them"
        )
    shown = pipeline.ReportOptions(assessor, pdf, logo, None, previous)
    try:
        if db_path is not None:
            options = pipeline.AssessOptions.from_row(click.get_current_context().params)
            result = pipeline.report(db_path, out_dir, client, options, shown).report
        else:
            result = pipeline.render_from_bundle(bundle_dir, out_dir, client, shown)
    except AgentAuditError as exc:
        fail(exc)
    assert result is not None
    timing = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    console.print(
        f"report: {result.html}" + (f"  pdf: {result.pdf}" if result.pdf else "") + f"  ({timing})",
        soft_wrap=True,
    )


@main.command("batch")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--workers", type=int, default=2, show_default=True)
@click.option("--pdf", is_flag=True, help="Also print each report to PDF.")
@scheduler_option("Run clients in local worker processes, or as Spark tasks (agentaudit[spark]).")
@spark_master_option
def batch_cmd(
    manifest: Path,
    out_dir: Path,
    workers: int,
    pdf: bool,
    scheduler: str,
    legacy_engine: str | None,
    spark_master: str | None,
) -> None:
    """Ingest, assess and report many clients (manifest: CSV or YAML with client, exports,
    and optionally each client's own policy, exceptions, overrides, ai_apps and window)."""
    from agentaudit.batch import batch  # noqa: PLC0415

    scheduler = legacy_engine or scheduler
    if spark_master and scheduler != "spark":
        raise click.UsageError("--spark-master goes with --scheduler spark")
    try:
        rows = batch(
            manifest,
            out_dir,
            workers=workers,
            pdf=pdf,
            scheduler=scheduler,
            spark_master=spark_master,
        )
    except AgentAuditError as exc:
        fail(exc)
    table = Table(title=f"batch {manifest}")
    for col in ("client", "level", "report", "error", "seconds"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            Text(r.client),
            str(r.level or "-"),
            Text(r.report),
            Text(r.error, style="red"),
            f"{r.seconds:.1f}",
        )
    console.print(table)
    console.print(f"portfolio: {out_dir / 'portfolio.html'} and portfolio.csv", soft_wrap=True)
    if all(r.error for r in rows):
        sys.exit(1)


@main.command("sql")
@click.option(
    "--db", "db_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.argument("query", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "markdown"]),
    default="table",
    show_default=True,
)
@click.option("--write", is_flag=True, help="Allow statements that change the database.")
def sql_cmd(db_path: Path, query: str | None, fmt: str, write: bool) -> None:
    """Run QUERY on the audit database, or open an interactive SQL prompt without one."""
    con = sqlshell.open_db(db_path, write)
    try:
        ok = _run_sql(con, query, fmt) if query is not None else _repl(con, fmt) is None
    finally:
        con.close()
    if not ok:
        sys.exit(1)


def _run_sql(con, query: str, fmt: str) -> bool:
    try:
        columns, rows = sqlshell.run(con, query)
    except duckdb.Error as exc:
        err_console.print(Text(str(exc), style="red"))
        return False
    if fmt == "table":
        table = Table(show_lines=False)
        for c in columns:
            table.add_column(c, overflow="fold")
        for r in rows:
            table.add_row(*[Text("" if v is None else str(v)) for v in r])
        console.print(table)
        console.print(f"{len(rows):,} row{'s' if len(rows) != 1 else ''}")
    else:
        click.echo(sqlshell.render(columns, rows, fmt), nl=False)
    return True


def _repl(con, fmt: str) -> None:
    """A prompt with history (~/.agentaudit_history); statements end with ';'."""
    import readline  # noqa: PLC0415

    history = Path.home() / ".agentaudit_history"
    with contextlib.suppress(OSError):
        readline.read_history_file(history)
    console.print("agentaudit SQL: end statements with ';', .tables lists them, .quit leaves")
    buffer = ""
    while True:
        try:
            line = input("sql> " if not buffer else "...> ")
        except (EOFError, KeyboardInterrupt):
            break
        if not buffer and line.strip() in (".quit", ".exit"):
            break
        if not buffer and line.strip() == ".tables":
            for name, kind, doc in sqlshell.schema(con):
                console.print(Text(f"{name:32} {kind:6} {doc}"))
            continue
        buffer += line + "\n"
        if buffer.strip().endswith(";"):
            _run_sql(con, buffer, fmt)
            buffer = ""
    with contextlib.suppress(OSError):
        readline.write_history_file(history)


@main.command("schema")
@click.option(
    "--db", "db_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def schema_cmd(db_path: Path) -> None:
    """List the database's tables and views, each with what it holds."""
    con = sqlshell.open_db(db_path, write=False)
    try:
        listing = sqlshell.schema(con)
    finally:
        con.close()
    table = Table(title=str(db_path))
    for c in ("name", "kind", "what it holds"):
        table.add_column(c, overflow="fold")
    for name, kind, doc in listing:
        table.add_row(name, kind, doc)
    console.print(table)


@main.command("export")
@click.option(
    "--db", "db_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--policy", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@exceptions_option
@overrides_option
def export_cmd(
    db_path: Path,
    out_dir: Path,
    policy: Path | None,
    exceptions: Path | None,
    overrides: Path | None,
) -> None:
    """Write the action plan (CSV, XLSX), the assessment JSON and the identity review file
    (identity_review.csv: edit `decision` with a reason, pass it back as --overrides)."""
    try:
        result = assess(db_path, policy=policy, exceptions=exceptions, overrides=overrides)
    except AgentAuditError as exc:
        fail(exc)
    paths = export(result, out_dir)
    for kind, path in paths.items():
        console.print(f"{kind:5} {path}")


@main.command("diff")
@click.argument("old", type=click.Path(exists=True, path_type=Path))
@click.argument("new", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def diff_cmd(old: Path, new: Path, fmt: str) -> None:
    """Compare two assessments (JSON files or bundles): level, criteria, KPIs, findings."""
    d = diff(load_assessment(old), load_assessment(new))
    if fmt == "json":
        click.echo(json.dumps(d, indent=2, default=str))
        return
    lvl = d["level"]
    console.print(
        f"level {lvl['old']} -> {lvl['new']} ({lvl['change']:+d}); first failing "
        f"{d['first_failing_criterion']['old']} -> "
        f"{d['first_failing_criterion']['new']}",
        soft_wrap=True,
    )
    table = Table(title="criteria that changed")
    for c in ("criterion", "old", "new"):
        table.add_column(c)
    for cid, ch in d["criteria"].items():
        table.add_row(
            cid,
            Text(f"{ch['old']['status']} {json.dumps(ch['old']['value'])}"),
            Text(f"{ch['new']['status']} {json.dumps(ch['new']['value'])}"),
        )
    console.print(table)
    f = d["findings"]
    console.print(
        f"findings: {len(f['new'])} new, {len(f['resolved'])} resolved, "
        f"{len(f['still_open'])} still open"
    )


@main.command("lab")
@click.option(
    "--db", "db_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out/lab"),
    show_default=True,
    help="Where the notebook is written.",
)
@click.option("--port", type=int, default=None)
@click.option("--dry-run", is_flag=True, help="Prepare the notebook and print the command only.")
def lab_cmd(db_path: Path, workdir: Path, port: int | None, dry_run: bool) -> None:
    """Open JupyterLab on the exploration notebook, connected to the database."""
    from agentaudit import explore  # noqa: PLC0415

    notebook = explore.prepare_lab(db_path, workdir)
    cmd = explore.lab_command(notebook, port)
    console.print(f"notebook: {notebook}", soft_wrap=True)
    if explore.running_as_root():
        err_console.print(
            "[yellow]warning:[/yellow] running as root: JupyterLab is started with --allow-root"
        )
    if dry_run:
        console.print(" ".join(cmd), soft_wrap=True)
        return
    sys.exit(explore.launch_lab(notebook, port))


@main.command("demo")
@click.option(
    "--data",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Folder of demo exports (default: the demo enterprise shipped with agentaudit).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Where the demo database is written.",
)
def demo_cmd(data: Path | None, out: Path) -> None:
    """Run agentaudit on the bundled demo enterprise: a fresh database in OUT, its assessment
    bundle and report."""
    from agentaudit import pipeline, resources  # noqa: PLC0415

    data = data or resources.demo_exports()
    out.mkdir(parents=True, exist_ok=True)
    db_path = out / "demo.duckdb"
    remove_database(db_path)
    result = run_ingest((data,), db_path, None, quiet=False)
    print_ingest_summary(result)
    if not result.anything_loaded:
        sys.exit(1)
    want_pdf = shutil.which("chromium") is not None
    try:
        done = pipeline.report(
            db_path,
            out,
            "Demo Enterprise (synthetic)",
            report_options=pipeline.ReportOptions("agentaudit demo", pdf=want_pdf),
        )
    except AgentAuditError as exc:
        fail(exc)
    print_assessment(done.assessment)
    rep = done.report
    assert rep is not None
    console.print(
        f"database: {db_path}  (query it with: agentaudit sql --db {db_path}, or in Python: "
        f"duckdb.connect({str(db_path)!r}, read_only=True))",
        soft_wrap=True,
    )
    console.print(f"bundle:   {done.bundle}", soft_wrap=True)
    console.print(
        f"report:   {rep.html}"
        + (f"  and {rep.pdf}" if rep.pdf else "  (install chromium for the PDF)"),
        soft_wrap=True,
    )


if __name__ == "__main__":
    main()
