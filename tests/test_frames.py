"""`assess(frames="polars")`: the same tables and findings as pandas, straight from Arrow."""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

import agentaudit
from agentaudit.assess import TABLES, assess

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo" / "exports"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("frames") / "demo.duckdb"
    agentaudit.ingest([DEMO], db)
    assess(db)
    return db


def _value(v):
    """One cell, as Python compares it whichever library produced it."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, np.generic):
        return _value(v.item())
    if isinstance(v, pd.Timestamp):
        return _value(v.to_pydatetime())
    if isinstance(v, date) and not isinstance(v, datetime):
        return datetime(v.year, v.month, v.day)
    if isinstance(v, datetime) and v.tzinfo is not None:
        return v.timestamp()
    if isinstance(v, pd.Timedelta):
        return v.to_pytimedelta()
    if isinstance(v, list | tuple | np.ndarray | pl.Series):
        return tuple(_value(x) for x in v)
    return v


def _rows(df) -> list[tuple]:
    if isinstance(df, pl.DataFrame):
        rows = df.rows()
    else:
        rows = list(df.itertuples(index=False, name=None))
    return sorted((tuple(_value(v) for v in r) for r in rows), key=repr)


def test_polars_tables_and_findings_equal_the_pandas_ones(demo):
    as_pandas = assess(demo, persist=False)
    as_polars = assess(demo, persist=False, frames="polars")
    for name in TABLES:
        p, q = as_pandas.tables[name], as_polars.tables[name]
        assert isinstance(q, pl.DataFrame), name
        assert list(q.columns) == list(p.columns), name
        assert len(q) == len(p), name
        assert _rows(q) == _rows(p), name
    assert len(as_polars.tables["classified_identities"]) > 100
    for f, g in zip(as_pandas.findings, as_polars.findings, strict=True):
        assert isinstance(g.rows, pl.DataFrame) and f.check.id == g.check.id
        assert _rows(g.rows) == _rows(f.rows), f.check.id
        assert (g.count, g.accepted) == (f.count, f.accepted)
    a, b = as_pandas.to_dict(), as_polars.to_dict()
    a.pop("generated_at"), b.pop("generated_at")
    assert a == b


def test_unknown_frame_kind_is_refused(demo):
    with pytest.raises(ValueError, match="frames must be one of pandas, polars"):
        assess(demo, persist=False, frames="arrow")


def test_session_gaps_split_each_identitys_events_at_silences(demo, tmp_path):
    from datetime import UTC, timedelta

    from agentaudit import explore

    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    minutes = {"a": [0, 10, 25, 120, 130, 400], "b": [0, 5]}
    lf = pl.LazyFrame(
        [
            {"actor_key": k, "platform": "okta", "event_time": t0 + timedelta(minutes=m)}
            for k, ms in minutes.items()
            for m in ms
        ]
    )
    got = {r["actor_key"]: r for r in explore.session_gaps(lf, gap="30m").collect().to_dicts()}
    assert (got["a"]["events"], got["a"]["sessions"]) == (6, 3)
    assert got["a"]["longest_silence"] == timedelta(minutes=270)
    assert (got["b"]["events"], got["b"]["sessions"]) == (2, 1)
    # and on the demo, over the events exported to Parquet
    con = explore.connect(demo)
    parquet = explore.events_parquet(con, tmp_path / "events.parquet")
    gaps = explore.session_gaps(parquet).collect()
    total = con.execute("SELECT count(*), count(DISTINCT actor_key) FROM events").fetchall()[0]
    assert (gaps["events"].sum(), len(gaps)) == total
    con.close()
    with pytest.raises(ValueError, match="gap must look like"):
        explore.session_gaps(lf, gap="half an hour")
