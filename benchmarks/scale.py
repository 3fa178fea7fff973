"""agentaudit at scale, side by side with raw DuckDB, pandas and polars (run on demand).

For each size (default 100k, 1M and 10M events) it generates a synthetic enterprise with the
project's generator (kept under --work and reused), then measures, each step in a process of
its own so that peak memory (RSS) is that step's alone:

1. ingest of the Okta, Entra sign-in and CloudTrail files: agentaudit's normalised ingest vs
   the floor (a plain DuckDB `read_json` of the same files into an on-disk table, no
   normalisation), DuckDB keeping only each record's text (what `events.raw` costs by
   itself) and the notebook approaches (pandas `read_json` + `json_normalize`; polars
   `read_ndjson` + unnesting every struct);
2. the full ingest of every export, and `assess`, under a DuckDB memory limit;
3. the report (papermill notebook, nbconvert HTML, Chromium PDF) on each size and on the demo
   data, whose time is the fixed part;
4. a batch of 8 demo-size clients, sequential vs `agentaudit batch` in parallel.

    .venv/bin/python benchmarks/scale.py                          # 100k, 1M, 10M
    .venv/bin/python benchmarks/scale.py --sizes 100k --parts ingest,scale  # a quick look
    .venv/bin/python benchmarks/scale.py --parts scale  # re-run one part, keep the others
    .venv/bin/python benchmarks/scale.py --write benchmarks/RESULTS.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORMATS = {
    "okta": "okta/*.ndjson*",
    "entra_signin": "entra/signin_logs_*.ndjson*",
    "cloudtrail": "aws/cloudtrail/*.json*",
}
TARGETS = {
    "ingest_vs_duckdb": 2.0,  # agentaudit time / DuckDB read_json time, at most
    "pandas_vs_ingest": 20.0,  # pandas time / agentaudit time, at least
    "peak_mb": 4096,  # 10M events assessed
    "ingest_peak_mb": 3072,  # 10M events ingested (issue: under 3 GB)
    "report_vs_demo": 2.0,  # report time on the largest size / on the demo, at most
    "tree_vs_duckdb": 5.0,  # CloudTrail S3 tree: agentaudit time / one read_json, at most
    "tree_peak_mb": 1024,  # 2,000-file tree
    "tree_peak_mb_large": 1536,  # 100,000-file tree
    "enterprise_vs_floor": 1.5,  # whole enterprise: agentaudit ingest / one glob per format
    "assess_10m_s": 20.0,  # assess on 10M events, seconds
}


# --- steps, each run in a child process --------------------------------------------------------


def _peak_mb() -> float:
    """Peak RSS of this process (VmHWM: ru_maxrss would carry the parent's peak over fork)
    and of the processes it waited for (the report's kernel and browser)."""
    status = Path("/proc/self/status").read_text().splitlines()
    own = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def step_floor(files: list[str], db: str, table: str = "t") -> dict:
    """The best plain DuckDB a user would write: one `read_json` over all the files of a
    format into a table, no normalisation, records kept as read."""
    import duckdb  # noqa: PLC0415

    con = duckdb.connect(db)
    listed = "[" + ", ".join(f"'{f}'" for f in files) + "]"  # files, or one glob
    if all("CloudTrail" in f for f in files):
        # {"Records": [...]}: one row per record, each kept as JSON (read as structs instead,
        # DuckDB infers one schema over every file: 2.2x slower on a 2,000-file tree)
        sql = (
            "SELECT unnest(Records) AS record FROM read_json("
            f"{listed}, columns={{'Records': 'JSON[]'}}, maximum_object_size=2147483647)"
        )
    else:
        sql = f"SELECT * FROM read_json({listed}, format='newline_delimited', union_by_name=true)"
    con.execute(f"CREATE TABLE {table} AS {sql}")
    events = con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    con.close()
    return {"events": events}


# Every log an enterprise export holds, one glob per format (the whole-enterprise floor).
ALL_LOGS = {
    **FORMATS,
    "entra_audit": "entra/audit_logs_*.ndjson*",
    "github": "github/*.ndjson*",
}


def step_floor_all(exports: str, db: str) -> dict:
    """The whole-enterprise floor: one `read_json` glob per log format into its own table, in
    one process, as a DuckDB user loading the same exports would write it."""
    events = 0
    for n, pattern in enumerate(ALL_LOGS.values()):
        files = sorted(str(p) for p in Path(exports).glob(pattern))
        if files:
            events += step_floor(files, db, table=f"t{n}")["events"]
    return {"events": events}


def step_text(files: list[str], db: str) -> dict:
    """DuckDB keeping each NDJSON record's text, as read, in a zstd column like `events.raw`:
    what storing the records costs by itself, before any parsing or mapping."""
    import duckdb  # noqa: PLC0415

    con = duckdb.connect(db)
    con.execute("CREATE TABLE t (raw VARCHAR USING COMPRESSION zstd)")
    for f in files:
        con.execute(
            "INSERT INTO t SELECT json::VARCHAR "
            f"FROM read_json_objects('{f}', format='newline_delimited')"
        )
    events = con.sql("SELECT count(*) FROM t").fetchall()[0][0]
    con.close()
    return {"events": events}


def step_ingest(files: list[str], db: str) -> dict:
    """agentaudit's normalised ingest of the files (or folders) into a new database."""
    import agentaudit  # noqa: PLC0415

    result = agentaudit.ingest(files, db)
    return {"events": result.rows_loaded, "rejected": result.rows_rejected}


def step_pandas(files: list[str]) -> dict:
    """What a notebook would do: pandas read_json, then json_normalize the nested records."""
    import pandas as pd  # noqa: PLC0415

    frames = []
    for f in files:
        if "CloudTrail" in Path(f).name:
            records = pd.read_json(f, compression="infer", dtype=False)["Records"].tolist()
        else:
            records = pd.read_json(f, lines=True, compression="infer", dtype=False).to_dict(
                "records"
            )
        frames.append(pd.json_normalize(records))
    return {"events": int(sum(len(df) for df in frames))}


def step_polars(files: list[str]) -> dict:
    """What a polars user would write: read each export (gzip decompressed first, since
    polars' NDJSON reader takes plain text; CloudTrail's `{"Records": [...]}` exploded), then
    unnest every struct column into flat `parent.child` columns, as json_normalize does."""
    import gzip  # noqa: PLC0415
    import io  # noqa: PLC0415

    import polars as pl  # noqa: PLC0415

    def flat(df: pl.DataFrame) -> pl.DataFrame:
        while structs := [c for c, t in df.schema.items() if isinstance(t, pl.Struct)]:
            df = df.select(
                pl.all().exclude(structs),
                *(pl.col(c).struct.unnest().name.prefix(f"{c}.") for c in structs),
            )
        return df

    events = 0
    for f in files:
        data = Path(f).read_bytes()
        if f.endswith(".gz"):
            data = gzip.decompress(data)
        if "CloudTrail" in Path(f).name:
            df = pl.read_json(io.BytesIO(data), infer_schema_length=None)
            df = df.explode("Records").unnest("Records")
        else:
            df = pl.read_ndjson(io.BytesIO(data), infer_schema_length=None)
        events += len(flat(df))
    return {"events": events}


def step_assess(db: str) -> dict:
    """The full assessment, computed afresh (stored tables are forgotten first), beside one
    plain group-by scan of the events table."""
    import agentaudit  # noqa: PLC0415
    from agentaudit.assess import assess  # noqa: PLC0415

    con = agentaudit.connect(db)
    con.execute("DELETE FROM meta WHERE key = 'assessment_inputs'")  # no reuse: a fresh run
    t = time.perf_counter()
    con.sql(
        """SELECT actor_key, count(*), min(event_time), max(event_time),
                  count(DISTINCT credential_key), count(DISTINCT source_ip)
           FROM events GROUP BY actor_key"""
    ).fetchall()
    scan = time.perf_counter() - t
    t = time.perf_counter()
    result = assess(con)
    took = time.perf_counter() - t
    events = con.sql("SELECT count(*) FROM events").fetchall()[0][0]
    return {"events": events, "scan": scan, "assess": took, "level": result.level}


def step_report(db: str, out: str) -> dict:
    """`agentaudit report --db`: assess into the bundle, then notebook, HTML and PDF."""
    from agentaudit import pipeline  # noqa: PLC0415
    from agentaudit.report import chromium  # noqa: PLC0415

    try:
        chromium()
        pdf = True
    except Exception:  # noqa: BLE001 - no browser: HTML only
        pdf = False
    t = time.perf_counter()
    bundle = Path(out) / pipeline.BUNDLE_DIR
    pipeline.assess_to_bundle(db, bundle)
    phases = {"bundle": time.perf_counter() - t}
    options = pipeline.ReportOptions(pdf=pdf)
    phases.update(pipeline.render_from_bundle(bundle, out, "Benchmark Corp", options).seconds)
    return {"phases": phases}


def step_batch(manifest: str, out: str, workers: int) -> dict:
    from agentaudit.report import batch  # noqa: PLC0415

    rows = batch(manifest, out, workers=workers, pdf=True)
    return {"clients": len(rows), "failed": [r.client for r in rows if r.error]}


def step_lake(db: str, out: str) -> dict:
    """Write the database as a lake shard, then assess the lake and the database side by
    side (both computed afresh, nothing stored), one process."""
    import agentaudit  # noqa: PLC0415
    from agentaudit import lake  # noqa: PLC0415
    from agentaudit.assess import assess  # noqa: PLC0415

    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    shard = lake.write(db, out)
    write = time.perf_counter() - t
    size = sum(p.stat().st_size for p in shard.rglob("*") if p.is_file())
    t = time.perf_counter()
    from_lake = assess(lake.connect(out), persist=False)
    on_lake = time.perf_counter() - t
    con = agentaudit.connect(db, read_only=True)
    t = time.perf_counter()
    from_db = assess(con, persist=False)
    on_db = time.perf_counter() - t
    events = con.sql("SELECT count(*) FROM events").fetchall()[0][0]
    got, want = from_lake.to_dict(), from_db.to_dict()
    differ = sorted(k for k in want if k != "generated_at" and got.get(k) != want[k])
    return {
        "events": events,
        "write": write,
        "mb": size / 2**20,
        "assess_lake": on_lake,
        "assess_db": on_db,
        "same": not differ,
        "differ": differ,
    }


def step_spark(db: str, exports: str, work: str) -> dict:
    """The same database as a lake, assessed on DuckDB and on Spark (local[2]) side by side,
    one process; then the exports ingested by Spark tasks (`ingest --engine spark`) against
    the plain single-process ingest's figure from the scale part."""
    from agentaudit import lake  # noqa: PLC0415
    from agentaudit.assess import assess  # noqa: PLC0415
    from agentaudit.spark import SparkRunner, ingest_to_lake  # noqa: PLC0415

    folder = Path(work) / "spark-lake"
    shutil.rmtree(folder, ignore_errors=True)
    lake.write(db, folder)
    t = time.perf_counter()
    want = assess(lake.connect(folder), persist=False).to_dict()
    on_duckdb = time.perf_counter() - t
    t = time.perf_counter()
    runner = SparkRunner(folder)
    opened = time.perf_counter() - t
    t = time.perf_counter()
    got = assess(runner).to_dict()
    on_spark = time.perf_counter() - t
    differ = sorted(k for k in want if k != "generated_at" and got.get(k) != want[k])
    ingested = Path(work) / "spark-ingest"
    shutil.rmtree(ingested, ignore_errors=True)
    t = time.perf_counter()
    tasks = ingest_to_lake([exports], ingested)
    spark_ingest = time.perf_counter() - t
    return {
        "events": sum(t["rows_loaded"] for t in tasks),
        "assess_duckdb": on_duckdb,
        "spark_open": opened,
        "assess_spark": on_spark,
        "same": not differ,
        "differ": differ,
        "spark_ingest": spark_ingest,
        "tasks": len(tasks),
    }


STEPS = {
    "floor": step_floor,
    "floor_all": step_floor_all,
    "text": step_text,
    "ingest": step_ingest,
    "pandas": step_pandas,
    "polars": step_polars,
    "assess": step_assess,
    "report": step_report,
    "batch": step_batch,
    "lake": step_lake,
    "spark": step_spark,
}


def run_step(name: str, *args: object, memory_limit: str | None = None) -> dict:
    """Run one step in a new Python process; its seconds and peak RSS come back with it."""
    env = dict(os.environ)
    if memory_limit:
        env["AGENTAUDIT_MEMORY_LIMIT"] = memory_limit
    cmd = [sys.executable, __file__, "--step", name, json.dumps(args)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": " | ".join(tail), "seconds": seconds}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall"] = seconds
    return out


def _child(name: str, args_json: str) -> None:
    t = time.perf_counter()
    out = STEPS[name](*json.loads(args_json))
    out["seconds"] = time.perf_counter() - t
    out["peak_mb"] = _peak_mb()
    print(json.dumps(out))


# --- data --------------------------------------------------------------------------------------


def parse_size(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * scale)


def label(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1_000}k"


def dataset(work: Path, size: int) -> Path:
    """The generated exports for `size` events (generated once, then reused)."""
    from agentaudit.synth import config_for, generate  # noqa: PLC0415

    folder = work / f"data-{label(size)}"
    if not (folder / "truth.json").exists():
        shutil.rmtree(folder, ignore_errors=True)
        t = time.perf_counter()
        generate(folder, config_for("level3", humans=max(30, size // 2500), events=size))
        print(f"  generated {label(size)} in {time.perf_counter() - t:.0f} s", flush=True)
    return folder / "exports"


def s3_tree(work: Path, files: int, per_file: int = 30) -> Path:
    """CloudTrail as it sits in S3: `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`, one
    `.json.gz` per region every 5 minutes, built once from the 100k enterprise's records."""
    import gzip  # noqa: PLC0415
    from datetime import timedelta  # noqa: PLC0415

    root = work / f"tree-{files}"
    if (root / "done").exists():
        return root / "AWSLogs"
    shutil.rmtree(root, ignore_errors=True)
    records = []
    for f in sorted(dataset(work, 100_000).glob(FORMATS["cloudtrail"])):
        records += json.loads(gzip.decompress(f.read_bytes()))["Records"]
    start = datetime(2026, 7, 3, tzinfo=UTC)
    account = "111122223333"
    for i in range(files):
        region = ("eu-west-1", "us-east-1")[i % 2]
        at = start + timedelta(minutes=5 * (i // 2))
        folder = root / "AWSLogs" / account / "CloudTrail" / region / at.strftime("%Y/%m/%d")
        folder.mkdir(parents=True, exist_ok=True)
        chunk = [records[(i * per_file + k) % len(records)] for k in range(per_file)]
        name = f"{account}_CloudTrail_{region}_{at:%Y%m%dT%H%MZ}_{i:016x}.json.gz"
        body = json.dumps({"Records": chunk}, separators=(",", ":")).encode()
        (folder / name).write_bytes(gzip.compress(body, 6))
    (root / "done").write_text("")
    return root / "AWSLogs"


def fresh(path: Path) -> str:
    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)
    return str(path)


# --- the run -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", default="100k,1M,10M")
    parser.add_argument("--work", type=Path, default=Path("/tmp/agentaudit-bench"))
    parser.add_argument("--memory-limit", default="3GB", help="DuckDB memory limit per step")
    parser.add_argument("--pandas-max", default="1M", help="largest size pandas is run on")
    parser.add_argument(
        "--parts",
        default="ingest,tree,scale,batch",
        help="ingest (side by side), tree (CloudTrail S3 delivery trees), scale (full ingest,\n"
        "assess, report), assess / report (re-measured alone, on the databases scale\n"
        "left), lake (write and assess a lake of scale's databases), spark (assess that\n"
        "lake on Spark local[2] beside DuckDB; ingest by Spark tasks), batch;\n"
        "results of\n"
        "parts not run now are kept from the last run (--work/results.json)",
    )
    parser.add_argument(
        "--tree-files", default="2000,100000", help="sizes of the CloudTrail S3 trees (files)"
    )
    parser.add_argument("--write", type=Path, help="write the results as Markdown here")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="?", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.step:
        _child(opts.step, opts.args)
        return
    sizes = [parse_size(s) for s in opts.sizes.split(",")]
    parts = set(opts.parts.split(","))
    work = opts.work
    work.mkdir(parents=True, exist_ok=True)
    saved = work / "results.json"
    res: dict = json.loads(saved.read_text()) if saved.exists() else {}
    commit = _commit()

    if "scale" in parts:
        res["report"] = {"commit": commit, "rows": []}
        demo_db = fresh(work / "demo.duckdb")
        run_step("ingest", [str(ROOT / "data" / "demo" / "exports")], demo_db)
        res["report"]["rows"].append(_reports(work, demo_db, "demo", _count(demo_db)))
        res["scale"] = {"commit": commit, "rows": []}
    if "ingest" in parts:
        res["ingest"] = {"commit": commit, "rows": []}
    for size in sizes:
        print(f"\n== {label(size)} events", flush=True)
        exports = dataset(work, size)
        for fmt, pattern in FORMATS.items() if "ingest" in parts else ():
            files = sorted(str(p) for p in exports.glob(pattern))
            row = {"size": label(size), "format": fmt, "files": len(files)}
            row["duckdb"] = run_step("floor", files, fresh(work / "floor.duckdb"))
            if fmt != "cloudtrail":  # one document per file: its floor is a text parse already
                row["text"] = run_step("text", files, fresh(work / "floor.duckdb"))
            row["agentaudit"] = run_step("ingest", files, fresh(work / "part.duckdb"))
            if size <= parse_size(opts.pandas_max):
                row["pandas"] = run_step("pandas", files)
            row["polars"] = run_step("polars", files)
            res["ingest"]["rows"].append(row)
            _print_ingest(row)
            saved.write_text(json.dumps(res, indent=1), encoding="utf-8")
        if "scale" in parts:
            db = fresh(work / f"audit-{label(size)}.duckdb")
            floor = run_step("floor_all", str(exports), fresh(work / "floor.duckdb"))
            full = run_step("ingest", [str(exports)], db, memory_limit=opts.memory_limit)
            cold = run_step("report", db, str(work / f"report-{label(size)}"))
            assessed = run_step("assess", db, memory_limit=opts.memory_limit)
            res["scale"]["rows"].append(
                {"size": label(size), "floor": floor, "ingest": full, "assess": assessed}
            )
            _print_scale(res["scale"]["rows"][-1])
            row = {"dataset": label(size), "events": assessed.get("events"), "cold": cold}
            row.update(run_step("report", db, str(work / f"report-{label(size)}")))
            res["report"]["rows"].append(row)
            _print_report(row)
            saved.write_text(json.dumps(res, indent=1), encoding="utf-8")

    if "assess" in parts and "scale" not in parts:  # re-measure assess on scale's databases
        for row in res.get("scale", {}).get("rows", []):
            db = work / f"audit-{row['size']}.duckdb"
            if db.exists():
                row["assess"] = run_step("assess", str(db), memory_limit=opts.memory_limit)
                row["assess_commit"] = commit
                _print_scale(row)
        saved.write_text(json.dumps(res, indent=1), encoding="utf-8")

    if "report" in parts and "scale" not in parts:  # re-measure the reports alone
        before = {r["dataset"]: r for r in res.get("report", {}).get("rows", [])}
        res["report"] = {"commit": commit, "rows": []}
        demo_db = fresh(work / "demo.duckdb")
        run_step("ingest", [str(ROOT / "data" / "demo" / "exports")], demo_db)
        res["report"]["rows"].append(_reports(work, demo_db, "demo", _count(demo_db)))
        for size in sizes:
            db = work / f"audit-{label(size)}.duckdb"
            if not db.exists():
                continue
            row = {"dataset": label(size), "events": _count(str(db))}
            row["cold"] = before.get(label(size), {}).get("cold")  # needs a fresh database
            row.update(run_step("report", str(db), str(work / f"report-{label(size)}")))
            res["report"]["rows"].append(row)
            _print_report(row)
        saved.write_text(json.dumps(res, indent=1), encoding="utf-8")

    if "tree" in parts:
        res["tree"] = {"commit": commit, "rows": []}
        for n in (int(x) for x in opts.tree_files.split(",")):
            tree = s3_tree(work, n)
            glob = str(tree / "*" / "CloudTrail" / "**" / "*.json.gz")  # too many to list
            row = {"files": n}
            row["duckdb"] = run_step("floor", [glob], fresh(work / "floor.duckdb"))
            row["agentaudit"] = run_step("ingest", [str(tree)], fresh(work / "tree.duckdb"))
            res["tree"]["rows"].append(row)
            print(f"  tree of {n:,} files: DuckDB {_rate(row['duckdb'])}", flush=True)
            print(f"  {'':20} agentaudit {_rate(row['agentaudit'])}", flush=True)
            saved.write_text(json.dumps(res, indent=1), encoding="utf-8")

    if "lake" in parts:  # on the databases scale left
        res["lake"] = {"commit": commit, "rows": []}
        for size in sizes:
            db = work / f"audit-{label(size)}.duckdb"
            if not db.exists():
                continue
            step = run_step("lake", str(db), str(work / "lake"), memory_limit=opts.memory_limit)
            row = {"size": label(size), **step}
            res["lake"]["rows"].append(row)
            print(f"  lake {label(size)}: {row}", flush=True)
            saved.write_text(json.dumps(res, indent=1), encoding="utf-8")

    if "spark" in parts:  # on the databases and exports scale left
        kept = [
            r for r in res.get("spark", {}).get("rows", []) if r["size"] not in map(label, sizes)
        ]
        res["spark"] = {"commit": commit, "rows": kept}
        for size in sizes:
            db, exports = work / f"audit-{label(size)}.duckdb", work / f"data-{label(size)}"
            if not db.exists() or not exports.exists():
                continue
            step = run_step("spark", str(db), str(exports), str(work))
            row = {"size": label(size), **step}
            res["spark"]["rows"].append(row)
            res["spark"]["rows"].sort(key=lambda r: parse_size(r["size"]))
            print(f"  spark {label(size)}: {row}", flush=True)
            saved.write_text(json.dumps(res, indent=1), encoding="utf-8")

    if "batch" in parts:
        res["batch"] = {"commit": commit, "rows": []}
        manifest = batch_clients(work)
        for workers in (1, os.cpu_count() or 2):
            out = work / f"batch-{workers}"
            shutil.rmtree(out, ignore_errors=True)
            row = {"workers": workers, **run_step("batch", str(manifest), str(out), workers)}
            res["batch"]["rows"].append(row)
            print(f"batch of 8, {workers} worker(s): {row.get('wall', 0):.1f} s", flush=True)

    saved.write_text(json.dumps(res, indent=1), encoding="utf-8")
    text = markdown(res, opts)
    print("\n" + text)
    if opts.write:
        opts.write.write_text(text, encoding="utf-8")
        print(f"written to {opts.write}")


def _reports(work: Path, db: str, name: str, events: int) -> dict:
    """The report on a database before and after `assess` stored its tables."""
    cold = run_step("report", db, str(work / f"report-{name}"))
    run_step("assess", db)
    row = {"dataset": name, "events": events, "cold": cold}
    row.update(run_step("report", db, str(work / f"report-{name}")))
    _print_report(row)
    return row


def _commit() -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def _count(db: str) -> int:
    import duckdb  # noqa: PLC0415

    con = duckdb.connect(db, read_only=True)
    try:
        return con.sql("SELECT count(*) FROM events").fetchall()[0][0]
    finally:
        con.close()


def batch_clients(work: Path) -> Path:
    """Eight demo-size enterprises (different seeds) and their batch manifest."""
    from agentaudit.synth import DEMO, config_for, generate  # noqa: PLC0415

    lines = ["clients:"]
    for i in range(8):
        folder = work / "clients" / f"client{i + 1}"
        if not (folder / "truth.json").exists():
            params = {k: v for k, v in DEMO.items() if k != "profile"}
            generate(folder, config_for(DEMO["profile"], **{**params, "seed": 100 + i}))
        lines += [f"  - client: Client {i + 1}", f"    exports: {folder / 'exports'}"]
    manifest = work / "clients" / "manifest.yaml"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return manifest


# --- output ------------------------------------------------------------------------------------


def _rate(step: dict) -> str:
    if "error" in step:  # one line, no table separators
        if "memory_limit" in step["error"] or "Out of Memory" in step["error"]:
            return "failed: out of memory"
        first = next((x for x in step["error"].splitlines() if "Error" in x), step["error"])
        return "failed: " + " ".join(first.replace("|", "/").split())[:90]
    s = step["seconds"]
    return f"{s:.2f} s, {step['events'] / s:,.0f} ev/s, {step['peak_mb']:,.0f} MB"


def _ratio(a: dict, b: dict | None) -> float | None:
    if not b or "error" in a or "error" in b:
        return None
    return a["seconds"] / b["seconds"]


def _print_ingest(row: dict) -> None:
    print(f"  {row['format']:13} DuckDB {_rate(row['duckdb'])}", flush=True)
    if row.get("text"):
        print(f"  {'':13} DuckDB text only {_rate(row['text'])}", flush=True)
    print(f"  {'':13} agentaudit {_rate(row['agentaudit'])}", flush=True)
    if row.get("pandas"):
        print(f"  {'':13} pandas {_rate(row['pandas'])}", flush=True)
    if row.get("polars"):
        print(f"  {'':13} polars {_rate(row['polars'])}", flush=True)


def _print_scale(row: dict) -> None:
    i, a = row["ingest"], row["assess"]
    print(f"  floor (one read_json glob per format) {_rate(row['floor'])}", flush=True)
    print(f"  full ingest {_rate(i)} ({_fmt(_ratio(i, row['floor']))}x the floor)", flush=True)
    if "error" in a:
        print(f"  assess failed: {a['error']}", flush=True)
    else:
        print(f"  assess {a['assess']:.2f} s (scan {a['scan']:.2f} s), {a['peak_mb']:,.0f} MB")


def _print_report(row: dict) -> None:
    if "error" in row:
        print(f"  report on {row['dataset']} failed: {row['error']}", flush=True)
        return
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in row["phases"].items())
    print(f"  report on {row['dataset']}: {row['wall']:.1f} s ({phases})", flush=True)


def _fmt(x: float | None, spec: str = ".2f") -> str:
    return "—" if x is None else format(x, spec)


def markdown(res: dict, opts: argparse.Namespace) -> str:
    """The results as Markdown: machine, date and commit, then one table per measure."""
    import duckdb  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    def rows(part: str) -> list[dict]:
        return res.get(part, {}).get("rows", [])

    commits = ", ".join(
        f"{part} at {res[part]['commit'] or 'unknown'}"
        for part in ("ingest", "tree", "scale", "report", "batch", "lake", "spark")
        if part in res
    )
    assessed = {r.get("assess_commit") for r in rows("scale")} - {None}
    if assessed:
        commits += ", assess re-measured at " + ", ".join(sorted(assessed))
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    out = [
        "# Benchmark results",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; measured at commit: {commits}",
        f"- machine: {os.cpu_count()} cores ({cpu}), {mem_gb:.0f} GiB RAM, {platform.system()}",
        f"- Python {platform.python_version()}, DuckDB {duckdb.__version__}, "
        f"pandas {pd.__version__}",
        f"- DuckDB memory limit for the full ingest and the assessment: {opts.memory_limit}",
        "- command: `.venv/bin/python benchmarks/scale.py --write benchmarks/RESULTS.md`",
        "",
        "## 1. Ingest: agentaudit vs the DuckDB floor vs pandas and polars",
        "",
        "Same files, each approach in its own process; seconds, events per second, peak RSS.",
        f"Targets: agentaudit within {TARGETS['ingest_vs_duckdb']:.0f}x of DuckDB's read_json, "
        f"at least {TARGETS['pandas_vs_ingest']:.0f}x faster than pandas.",
        "",
        "*Text only*: DuckDB storing each record's text in a zstd column, as `events.raw` does,",
        "with nothing extracted: what keeping every record costs by itself (NDJSON files;",
        "CloudTrail's floor parses one whole document per file).",
        "*polars*: `read_ndjson` (CloudTrail: `read_json`, `Records` exploded) and every struct",
        "column unnested into flat columns, the polars user's json_normalize.",
        "",
        "| size | format | events | DuckDB read_json | DuckDB text only | agentaudit ingest"
        " | pandas + json_normalize | polars + unnest | agentaudit / DuckDB"
        " | text only / DuckDB | pandas / agentaudit | polars / agentaudit |",
        "|---|---|---:|---|---|---|---|---|---:|---:|---:|---:|",
    ]
    for r in rows("ingest"):
        ours = r["agentaudit"]
        pandas_cell = _rate(r["pandas"]) if r.get("pandas") else "not run (memory)"
        text = r.get("text")
        text_ratio = _ratio(text, r["duckdb"]) if text else None
        out.append(
            f"| {r['size']} | {r['format']} | {ours.get('events', 0):,} | {_rate(r['duckdb'])} | "
            f"{_rate(text) if text else '—'} | {_rate(ours)} | {pandas_cell} | "
            f"{_rate(r['polars']) if r.get('polars') else 'not run'} | "
            f"{_fmt(_ratio(ours, r['duckdb']))}x | {_fmt(text_ratio)}x | "
            f"{_fmt(_ratio(r['pandas'], ours) if r.get('pandas') else None, '.1f')}x | "
            f"{_fmt(_ratio(r['polars'], ours) if r.get('polars') else None)}x |"
        )
    out += [
        "",
        "## 1b. CloudTrail as delivered to S3: a tree of small files",
        "",
        "One `.json.gz` of 30 records per region every 5 minutes, under",
        "`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`. Floor: one DuckDB `read_json` over",
        "every file of the tree, `Records` unnested. Targets: within "
        f"{TARGETS['tree_vs_duckdb']:.0f}x of the floor; peak RSS under "
        f"{TARGETS['tree_peak_mb']:,} MB at 2,000 files and {TARGETS['tree_peak_mb_large']:,} MB "
        "at 100,000.",
        "",
        "| files | events | DuckDB read_json (all files) | agentaudit ingest"
        " | agentaudit / DuckDB |",
        "|---:|---:|---|---|---:|",
        *(
            f"| {r['files']:,} | {r['agentaudit'].get('events', 0):,} | {_rate(r['duckdb'])} | "
            f"{_rate(r['agentaudit'])} | {_fmt(_ratio(r['agentaudit'], r['duckdb']))}x |"
            for r in rows("tree")
        ),
        "",
        "## 2. Full ingest and assessment",
        "",
        "Every export of the enterprise; the floor reads the same logs with one DuckDB",
        "`read_json` glob per format (CloudTrail's `Records` as JSON), each into a table, in one",
        "process. `assess` beside one plain group-by scan of `events`.",
        "Growth: how much the time per event changes from one size to the next (1.0 = linear).",
        f"Targets: ingest within {TARGETS['enterprise_vs_floor']}x of the floor; `assess` at 10M",
        f"within {TARGETS['assess_10m_s']:.0f} s.",
        "",
        "| size | events | DuckDB floor | full ingest | ingest / floor | assess | plain scan"
        " | assess peak RSS | µs per event | growth |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    prev = None
    for r in rows("scale"):
        i, a = r["ingest"], r["assess"]
        floor = r.get("floor")
        lead = f"{_rate(floor) if floor else '—'} | {_rate(i)} | {_fmt(_ratio(i, floor))}x"
        if "error" in a:
            out.append(f"| {r['size']} | | {lead} | failed: {a['error'][:60]} | | | | |")
            continue
        per = a["assess"] / a["events"] * 1e6
        growth = per / prev if prev else None
        prev = per
        out.append(
            f"| {r['size']} | {a['events']:,} | {lead} | {a['assess']:.2f} s | "
            f"{a['scan']:.2f} s | {a['peak_mb']:,.0f} MB | {per:.2f} | {_fmt(growth)} |"
        )
    out += [
        "",
        "## 3. Report",
        "",
        "`agentaudit report --db`: the assessment bundle (assess, Parquet tables, evidence), the",
        "papermill notebook on the bundle, nbconvert HTML and Chromium PDF. *Stored*: after",
        "`agentaudit assess` stored its tables (the usual order: ingest, assess, report), which",
        "the bundle step reuses; *fresh*: on a database never assessed. The demo's time is the",
        "fixed part (kernel start, imports, nbconvert, Chromium).",
        "",
        "| data | events | bundle | notebook | HTML | PDF | total (process) | vs demo"
        " | fresh: total | peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    demo = rows("report")[0] if rows("report") else {}
    for r in rows("report"):
        if "error" in r:
            out.append(f"| {r['dataset']} | | failed: {r['error'][:80]} | | | | | | | |")
            continue
        ph = r["phases"]
        vs = r["wall"] / demo["wall"] if demo.get("wall") else None
        cold = r.get("cold") or {}
        out.append(
            f"| {r['dataset']} | {r.get('events') or 0:,} | {ph.get('bundle', 0):.1f} s | "
            f"{ph.get('notebook', 0):.1f} s | "
            f"{ph.get('html', 0):.1f} s | {ph.get('pdf', 0):.1f} s | {r['wall']:.1f} s | "
            f"{_fmt(vs)}x | {_fmt(cold.get('wall'), '.1f')} s | {r['peak_mb']:,.0f} MB |"
        )
    if rows("batch"):
        out += [
            "",
            "## 4. Batch of 8 demo-size clients (ingest, assess, HTML and PDF report each)",
            "",
            "| workers | wall time | per client | failed |",
            "|---:|---:|---:|---|",
        ]
        for r in rows("batch"):
            if "error" in r:
                out.append(f"| {r['workers']} | failed: {r['error'][:80]} | | |")
                continue
            out.append(
                f"| {r['workers']} | {r['wall']:.1f} s | {r['wall'] / 8:.1f} s | "
                f"{', '.join(r['failed']) or 'none'} |"
            )
    if rows("lake"):
        out += [
            "",
            "## 5. The canonical Parquet lake (docs/lake.md)",
            "",
            "`lake.write` of the scale part's database as one shard, then the assessment on the",
            "lake (events read in place from Parquet) and on the database, computed afresh, in",
            "one process; *same* says whether the two assessment JSONs are identical.",
            "",
            "| size | events | lake write | shard size | assess on the lake | assess on the"
            " database | lake / database | same |",
            "|---|---:|---|---:|---:|---:|---:|---|",
        ]
        for r in rows("lake"):
            if "error" in r:
                out.append(f"| {r['size']} | | failed: {r['error'][:80]} | | | | | |")
                continue
            rate = r["events"] / r["write"] if r["write"] else 0
            out.append(
                f"| {r['size']} | {r['events']:,} | {r['write']:.1f} s ({rate:,.0f} ev/s) | "
                f"{r['mb']:,.0f} MB | {r['assess_lake']:.1f} s | {r['assess_db']:.1f} s | "
                f"{r['assess_lake'] / r['assess_db']:.2f}x | "
                f"{'yes' if r['same'] else 'no: ' + ', '.join(r.get('differ', []))} |"
            )
    if rows("spark"):
        ingest = {r["size"]: r for r in rows("scale") if "error" not in r}
        out += [
            "",
            "## 6. The same assessment on Apache Spark (docs/scaling.md)",
            "",
            "The scale part's database as a lake, assessed by DuckDB and by Spark in local mode",
            "(`local[2]`, this machine's two cores, driver memory "
            f"{os.environ.get('AGENTAUDIT_SPARK_DRIVER_MEMORY', '2g')}), one process, side by",
            "side (DuckDB here without the memory limit); *same* says whether the two",
            "assessment JSONs are identical. Then the",
            "exports ingested by Spark tasks (each running agentaudit's DuckDB readers on its",
            "share of the files and writing a shard) beside the single-process ingest of the",
            "scale part.",
            "",
            "| size | events | assess, DuckDB | assess, Spark | Spark / DuckDB | Spark start |"
            " same | ingest, Spark tasks | ingest, one process |",
            "|---|---:|---:|---:|---:|---:|---|---:|---:|",
        ]
        for r in rows("spark"):
            if "error" in r:
                out.append(f"| {r['size']} | | failed: {r['error'][:80]} | | | | | | |")
                continue
            plain = ingest.get(r["size"], {}).get("ingest", {}).get("seconds")
            out.append(
                f"| {r['size']} | {r['events']:,} | {r['assess_duckdb']:.1f} s | "
                f"{r['assess_spark']:.1f} s | {r['assess_spark'] / r['assess_duckdb']:.1f}x | "
                f"{r['spark_open']:.1f} s | "
                f"{'yes' if r['same'] else 'no: ' + ', '.join(r.get('differ', []))} | "
                f"{r['spark_ingest']:.1f} s ({r['events'] / r['spark_ingest']:,.0f} ev/s, "
                f"{r['tasks']} tasks) | {_fmt(plain, '.1f')} s |"
            )
    out += ["", *targets(res)]
    return "\n".join(out) + "\n"


def targets(res: dict) -> list[str]:
    """Each target, the figure measured against it, and whether it is met."""

    def rows(part: str) -> list[dict]:
        return res.get(part, {}).get("rows", [])

    lines = ["## Targets", "", "| target | measured | met |", "|---|---|---|"]
    for r in rows("ingest"):
        ours = r["agentaudit"]
        ratio = _ratio(ours, r["duckdb"])
        if ratio is not None:
            ok = ratio <= TARGETS["ingest_vs_duckdb"]
            lines.append(
                f"| {r['size']} {r['format']}: ingest within "
                f"{TARGETS['ingest_vs_duckdb']:.0f}x of read_json | {ratio:.2f}x | "
                f"{'yes' if ok else 'no'} |"
            )
        pandas = _ratio(r["pandas"], ours) if r.get("pandas") else None
        if pandas is not None:
            ok = pandas >= TARGETS["pandas_vs_ingest"]
            lines.append(
                f"| {r['size']} {r['format']}: at least {TARGETS['pandas_vs_ingest']:.0f}x "
                f"faster than pandas | {pandas:.1f}x | {'yes' if ok else 'no'} |"
            )
    for r in rows("tree"):
        ratio = _ratio(r["agentaudit"], r["duckdb"])
        peak = r["agentaudit"].get("peak_mb")
        limit = TARGETS["tree_peak_mb"] if r["files"] <= 2000 else TARGETS["tree_peak_mb_large"]
        if ratio is not None:
            lines.append(
                f"| {r['files']:,}-file CloudTrail tree: within {TARGETS['tree_vs_duckdb']:.0f}x "
                f"of one read_json | {ratio:.2f}x | "
                f"{'yes' if ratio <= TARGETS['tree_vs_duckdb'] else 'no'} |"
            )
        if peak is not None:
            lines.append(
                f"| {r['files']:,}-file CloudTrail tree: peak RSS under {limit:,} MB | "
                f"{peak:,.0f} MB | {'yes' if peak < limit else 'no'} |"
            )
    for r in rows("scale"):
        ratio = _ratio(r["ingest"], r.get("floor"))
        if ratio is not None:
            ok = ratio <= TARGETS["enterprise_vs_floor"]
            lines.append(
                f"| {r['size']} enterprise: ingest within {TARGETS['enterprise_vs_floor']}x of "
                f"one read_json glob per format | {ratio:.2f}x | {'yes' if ok else 'no'} |"
            )
        if r["size"] != "10M":
            continue
        if "assess" in r["assess"]:
            ok = r["assess"]["assess"] <= TARGETS["assess_10m_s"]
            lines.append(
                f"| 10M assess within {TARGETS['assess_10m_s']:.0f} s | "
                f"{r['assess']['assess']:.2f} s | {'yes' if ok else 'no'} |"
            )
        for step in ("ingest", "assess"):
            peak = r[step].get("peak_mb")
            limit = TARGETS["ingest_peak_mb" if step == "ingest" else "peak_mb"]
            if peak is not None:
                ok = peak < limit
                lines.append(
                    f"| 10M {step}: peak RSS under {limit / 1024:.0f} GB | "
                    f"{peak:,.0f} MB | {'yes' if ok else 'no'} |"
                )
    reports = {r["dataset"]: r for r in rows("report") if "wall" in r}
    if "demo" in reports and "10M" in reports:
        ratio = reports["10M"]["wall"] / reports["demo"]["wall"]
        ok = ratio <= TARGETS["report_vs_demo"]
        lines.append(
            f"| report on 10M within {TARGETS['report_vs_demo']:.0f}x of the demo's | "
            f"{ratio:.2f}x | {'yes' if ok else 'no'} |"
        )
    return lines


if __name__ == "__main__":
    main()
