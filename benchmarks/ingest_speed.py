"""Ingest speed of one generated Okta System Log file, side by side with the floor (a plain
DuckDB read_json of the same file into a table) and the usual notebook approach (pandas
read_json(lines=True) + json_normalize). Run on demand; prints events/s and the ratios.

    .venv/bin/python benchmarks/ingest_speed.py --events 200000
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

import agentaudit
from agentaudit.synth import config_for, generate


def okta_file(work: Path, events: int) -> Path:
    """One uncompressed NDJSON Okta file of about `events` events, from the generator."""
    generate(
        work / "e",
        config_for("level3", humans=max(20, events // 2500), events=int(events * 3.4), gzip=False),
    )
    files = sorted((work / "e" / "exports" / "okta").glob("*.ndjson"))
    out = work / "okta.ndjson"
    with open(out, "wb") as dst:
        for f in files:
            with open(f, "rb") as src:
                shutil.copyfileobj(src, dst)
    return out


def timed(label: str, fn) -> float:
    t = time.perf_counter()
    n = fn()
    s = time.perf_counter() - t
    print(f"{label:34} {s:8.2f} s  {n / s:12,.0f} events/s")
    return s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--skip-pandas", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = okta_file(work, args.events)
        (n,) = duckdb.sql(
            f"SELECT count(*) FROM read_csv('{path}', columns={{'l': 'VARCHAR'}}, "
            "delim='\x01', quote='', escape='', header=false)"
        ).fetchall()[0]
        print(f"file: {n:,} Okta events, {path.stat().st_size / 1e6:,.0f} MB")

        def floor() -> int:
            con = duckdb.connect(str(work / "raw.duckdb"))
            con.execute(
                f"CREATE OR REPLACE TABLE t AS SELECT * FROM read_json('{path}', "
                "format='newline_delimited')"
            )
            return con.sql("SELECT count(*) FROM t").fetchall()[0][0]

        def ours() -> int:
            return agentaudit.ingest([path], work / "audit.duckdb").rows_loaded

        def pandas_way() -> int:
            import json

            import pandas as pd

            with open(path, encoding="utf-8") as fh:
                records = [json.loads(line) for line in fh if line.strip()]
            return len(pd.json_normalize(records))

        raw = timed("DuckDB read_json (floor)", floor)
        mine = timed("agentaudit ingest (normalised)", ours)
        print(f"agentaudit / DuckDB floor: {mine / raw:.1f}x")
        if not args.skip_pandas:
            pan = timed("pandas read + json_normalize", pandas_way)
            print(f"pandas / agentaudit: {pan / mine:.1f}x")
    print(
        f"peak RSS (whole run): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB"
    )


if __name__ == "__main__":
    main()
