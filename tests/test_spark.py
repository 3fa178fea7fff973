"""Apache Spark as the engine: files ingested by Spark tasks into a lake, the same SQL
transpiled and run on Spark (local[2]), the same assessment as DuckDB's, and a batch whose
clients are Spark tasks. Skipped, saying why, without pyspark or a Java runtime."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import agentaudit
from agentaudit.assess import assess
from agentaudit.cli import main
from agentaudit.resources import demo_exports

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _spark_missing() -> str | None:
    try:
        import pyspark  # noqa: F401, PLC0415
    except ImportError:
        return "pyspark is not installed (pip install 'agentaudit[spark]')"
    from agentaudit.spark import java_missing  # noqa: PLC0415

    return java_missing()


needs_spark = pytest.mark.skipif(_spark_missing() is not None, reason=str(_spark_missing()))


def _contract(data: dict) -> dict:
    data = dict(data)
    data.pop("generated_at")
    return data


def _cli(*args: str) -> str:
    res = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output[-3000:]
    return res.output


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("spark") / "demo.duckdb"
    agentaudit.ingest([demo_exports()], db)
    return db


@needs_spark
def test_spark_ingests_and_assesses_the_demo_as_duckdb_does(demo_db, tmp_path):
    """`ingest --engine spark` deals the demo's files to two tasks, each writing a shard;
    `assess --engine spark` on that lake gives DuckDB's assessment of one database of every
    file (every count, list, value and level), and its bundle holds the same contract.

    With a risk acceptance: it is resolved after the views exist, and the metric views
    Spark runs must see it as DuckDB's do (Spark's views are created again once it is
    recorded)."""
    lake = tmp_path / "lake"
    out = _cli(
        "ingest", str(demo_exports()), "--lake", str(lake), "--scheduler", "spark",
        "--spark-tasks", "2",
    )  # fmt: skip
    assert "2 tasks" in out
    assert len(list(lake.glob("shard-*/_lake.json"))) == 2
    exceptions = tmp_path / "exceptions.yaml"
    exceptions.write_text(
        "exceptions:\n  - check: NHI-SHADOW\n    owner: ciso@example.com\n"
        "    expires: 2099-01-01\n    justification: pilot agents registered next quarter\n"
    )
    want = _contract(assess(demo_db, persist=False, exceptions=exceptions).to_dict())
    assert want["nhi_count"] > 50 and want["findings"]["NHI-SHADOW"]["count"] == 0
    assert want["exceptions"][0]["status"] == "active" and want["exceptions"][0]["matched"] > 0
    got = _cli(
        "assess", "--lake", str(lake), "--engine", "spark", "--exceptions", str(exceptions),
        "--bundle", str(tmp_path / "bundle"), "--format", "json",
    )  # fmt: skip
    assert _contract(json.loads(got)) == want
    bundled = json.loads((tmp_path / "bundle" / "assessment.json").read_text())
    assert _contract(bundled) == want
    manifest = json.loads((tmp_path / "bundle" / "manifest.json").read_text())
    loaded = agentaudit.connect(demo_db, read_only=True).sql("SELECT count(*) FROM files")
    assert len(manifest["inputs"]["files"]) == loaded.fetchall()[0][0]
    assert manifest["engine"]["name"] == "spark" and manifest["engine"]["master"] == "local[2]"


@needs_spark
def test_a_batch_runs_each_client_as_a_spark_task(tmp_path):
    manifest = tmp_path / "clients.csv"
    manifest.write_text(f"client,exports\nFixture Co,{FIXTURES}\nMissing Co,{tmp_path}/none\n")
    res = CliRunner().invoke(
        main, ["batch", str(manifest), "--out", str(tmp_path / "out"), "--scheduler", "spark"]
    )
    assert res.exit_code == 0, res.output[-3000:]
    portfolio = (tmp_path / "out" / "portfolio.csv").read_text()
    assert "Fixture Co" in portfolio and "Missing Co" in portfolio
    assert (tmp_path / "out" / "Fixture_Co" / "report.html").exists()


def test_the_spark_engine_reads_a_lake_and_writes_shards(tmp_path):
    res = CliRunner().invoke(main, ["assess", "--db", __file__, "--engine", "spark"])
    assert res.exit_code == 2 and "--lake" in res.output
    res = CliRunner().invoke(
        main, ["ingest", str(FIXTURES), "--db", str(tmp_path / "a.duckdb"), "--engine", "spark"]
    )
    assert res.exit_code == 2 and "--lake" in res.output


def test_without_java_the_spark_engine_says_what_to_install(monkeypatch):
    from agentaudit import spark  # noqa: PLC0415

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(spark.shutil, "which", lambda name: None)
    assert "Java" in (spark.java_missing() or "")
    if _spark_missing() is None or "pyspark" not in (_spark_missing() or ""):
        with pytest.raises(spark.SparkUnavailable, match="Java"):
            spark.session("local[1]")


def test_agentaudit_ships_to_executors_as_an_importable_wheel(tmp_path):
    """For a master other than local, the job carries agentaudit as its wheel (named .zip so
    Spark puts it on the executors' path): importing from it alone gives the package."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415
    import zipfile  # noqa: PLC0415

    from agentaudit import spark  # noqa: PLC0415

    shipped = spark.wheel()
    assert shipped.suffix == ".zip"
    names = zipfile.ZipFile(shipped).namelist()
    assert "agentaudit/spark.py" in names and "agentaudit/assess/metrics/00_window.sql" in names
    code = (
        f"import sys; sys.path.insert(0, {str(shipped)!r}); import agentaudit.assess.views as v; "
        "print(v.__file__); print(len(v.sql_files()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True
    ).stdout.split()
    assert out[0].startswith(str(shipped)) and int(out[1]) >= 15
    spark.discard_wheel()
    assert not shipped.exists()


def test_copies_of_one_file_go_to_one_task(tmp_path):
    """An ingest skips a file it already loaded; dealt to two Spark tasks, two copies would
    each load. Copies are left out before the files are dealt (the first path kept)."""
    from agentaudit.spark import _distinct  # noqa: PLC0415

    a = tmp_path / "a.json"
    a.write_text('{"x": 1}\n')
    (tmp_path / "copy of a.json").write_text('{"x": 1}\n')
    (tmp_path / "b.json").write_text('{"x": 2}\n')  # same size, other content
    kept = _distinct(sorted(tmp_path.iterdir()))
    assert [p.name for p in kept] == ["a.json", "b.json"]
