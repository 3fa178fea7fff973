"""Assessment time at scale, beside a plain DuckDB scan of the same events table.

Generates (or reuses) a synthetic enterprise of about --events events, ingests it, then times
`assess()` against the floor: one full scan of `events` computing per-actor counts and times.

    .venv/bin/python benchmarks/assess_speed.py --events 1000000 --humans 400 --work /tmp/bench
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import agentaudit
from agentaudit.assess import assess
from agentaudit.synth import config_for, generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--humans", type=int, default=400)
    parser.add_argument("--work", type=Path, default=Path("/tmp/agentaudit-bench"))
    parser.add_argument("--memory-limit", default="4GB")
    args = parser.parse_args()
    folder = args.work / f"e{args.events}"
    db = args.work / f"e{args.events}.duckdb"
    if not db.exists():
        t = time.perf_counter()
        generate(folder, config_for("level3", humans=args.humans, events=args.events))
        print(f"generate : {time.perf_counter() - t:8.1f} s")
        t = time.perf_counter()
        con = agentaudit.connect(db)
        con.execute(f"SET memory_limit = '{args.memory_limit}'")
        agentaudit.ingest([folder / "exports"], con)
        con.close()
        print(f"ingest   : {time.perf_counter() - t:8.1f} s")
    con = agentaudit.connect(db)
    con.execute(f"SET memory_limit = '{args.memory_limit}'")
    (n,) = con.sql("SELECT count(*) FROM events").fetchall()[0]
    t = time.perf_counter()
    con.sql("""SELECT actor_key, count(*), min(event_time), max(event_time),
                      count(DISTINCT credential_key), count(DISTINCT source_ip)
               FROM events GROUP BY actor_key""").fetchall()
    scan = time.perf_counter() - t
    t = time.perf_counter()
    result = assess(con)
    took = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"events   : {n:,}")
    print(f"scan     : {scan:8.2f} s  (plain DuckDB group-by over events)")
    print(f"assess   : {took:8.2f} s  ({n / took:,.0f} events/s; {took / scan:.1f}x the scan)")
    print(f"level    : {result.level}, first failing {result.first_failing_criterion}")
    print(f"peak RSS : {peak:,.0f} MB")


if __name__ == "__main__":
    main()
