"""Consultant workflow: ad-hoc SQL, the schema listing, the action-plan export and the diff
between two assessments."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import agentaudit
from agentaudit.assess import assess
from agentaudit.cli import main
from agentaudit.diff import diff
from agentaudit.export import action_plan, export, fingerprint, neutralise
from agentaudit.synth import config_for, generate

SMALL = dict(humans=15, nhi_per_human=2.0, events=4000)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Two clients' databases from generator runs with different profiles."""
    base = tmp_path_factory.mktemp("workflow")
    dbs = {}
    for profile in ("level1", "level5"):
        generate(base / profile, config_for(profile, seed=13, **SMALL))
        dbs[profile] = base / f"{profile}.duckdb"
        agentaudit.ingest([base / profile / "exports"], dbs[profile])
        assess(dbs[profile])
    return base, dbs


def test_sql_formats_and_read_only_refusal(two_runs):
    _, dbs = two_runs
    db = str(dbs["level1"])
    runner = CliRunner()
    res = runner.invoke(
        main,
        [
            "sql",
            "--db",
            db,
            "--format",
            "csv",
            "SELECT platform, count(*) AS n FROM nhis GROUP BY 1 ORDER BY 1",
        ],
    )
    assert res.exit_code == 0
    rows = list(csv.reader(res.output.splitlines()))
    assert rows[0] == ["platform", "n"] and {r[0] for r in rows[1:]} == {
        "aws",
        "entra",
        "github",
        "okta",
    }
    res = runner.invoke(
        main, ["sql", "--db", db, "--format", "json", "SELECT count(*) AS n FROM shadow_agents"]
    )
    assert json.loads(res.output)[0]["n"] > 0
    res = runner.invoke(main, ["sql", "--db", db, "--format", "markdown", "SELECT 1 AS a"])
    assert res.output.splitlines()[:3] == ["| a |", "|---|", "| 1 |"]
    res = runner.invoke(main, ["sql", "--db", db, "DELETE FROM events"])
    assert res.exit_code == 1 and "read-only" in res.output
    res = runner.invoke(main, ["sql", "--db", db, "SELEC 1"])
    assert res.exit_code == 1 and 'syntax error at or near "SELEC"' in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(main, ["sql", "--db", db, "--write", "CREATE TABLE notes (x INT)"])
    assert res.exit_code == 0


def test_interactive_prompt_runs_statements(two_runs):
    _, dbs = two_runs
    res = CliRunner().invoke(
        main, ["sql", "--db", str(dbs["level5"])], input="SELECT 40 +\n2 AS answer;\n.quit\n"
    )
    assert res.exit_code == 0 and "42" in res.output


def test_schema_lists_tables_and_views_with_descriptions(two_runs):
    _, dbs = two_runs
    res = CliRunner().invoke(main, ["schema", "--db", str(dbs["level1"])])
    assert res.exit_code == 0
    for name in ("events", "identities", "shadow_agents", "anomalies", "metric_nhi_ratio"):
        assert name in res.output


def test_export_neutralises_formulas_and_keeps_fingerprints_stable(two_runs, tmp_path):
    _, dbs = two_runs
    a = assess(dbs["level1"])
    first = {r["fingerprint"] for r in action_plan(a)}
    again = {r["fingerprint"] for r in action_plan(assess(dbs["level1"]))}
    assert first == again and len(first) == len(action_plan(a))
    assert fingerprint("X", "okta:a", None) != fingerprint("X", "okta:b", None)
    hostile = '=HYPERLINK("http://x","y")'
    assert neutralise(hostile) == "'" + hostile
    rows = a.findings[0].rows
    rows.loc[len(rows)] = {
        "identity_key": hostile,
        "credential_key": None,
        "evidence": hostile,
        "status": "open",
    }
    paths = export(a, tmp_path / "x")
    text = paths["csv"].read_text()
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    ws = load_workbook(paths["xlsx"]).active
    values = [c.value for row in ws.iter_rows() for c in row if c.value]
    assert "'" + hostile in values and hostile not in values
    assert json.loads(paths["json"].read_text())["level"] == a.level


def test_diff_between_two_profiles(two_runs, tmp_path):
    _, dbs = two_runs
    old, new = assess(dbs["level1"]).to_dict(), assess(dbs["level5"]).to_dict()
    d = diff(json.loads(json.dumps(old, default=str)), json.loads(json.dumps(new, default=str)))
    assert d["level"]["old"] < d["level"]["new"]
    assert d["first_failing_criterion"]["old"] == "D1"
    assert "D1" in d["criteria"]
    assert d["findings"]["resolved"] and not set(d["findings"]["new"]) & set(
        d["findings"]["resolved"]
    )
    (tmp_path / "o.json").write_text(json.dumps(old, default=str))
    (tmp_path / "n.json").write_text(json.dumps(new, default=str))
    res = CliRunner().invoke(main, ["diff", str(tmp_path / "o.json"), str(tmp_path / "n.json")])
    assert res.exit_code == 0 and "level" in res.output and "resolved" in res.output
    same = diff(
        json.loads((tmp_path / "o.json").read_text()), json.loads((tmp_path / "o.json").read_text())
    )
    assert same["findings"]["new"] == [] and same["findings"]["resolved"] == []


def test_explore_notebook_runs_under_papermill_and_nbval(two_runs, tmp_path):
    from conftest import run_notebook_with_nbval

    from agentaudit import resources

    NOTEBOOK = resources.notebook("explore.ipynb")  # noqa: N806

    _, dbs = two_runs
    run_notebook_with_nbval(NOTEBOOK, {"db_path": str(dbs["level1"].resolve())}, tmp_path)


def test_lab_prepares_the_notebook_for_the_database(two_runs, tmp_path):
    _, dbs = two_runs
    res = CliRunner().invoke(
        main, ["lab", "--db", str(dbs["level5"]), "--workdir", str(tmp_path), "--dry-run"]
    )
    assert res.exit_code == 0 and "jupyterlab" in res.output
    nb = json.loads((tmp_path / "explore.ipynb").read_text())
    assert str(dbs["level5"].resolve()) in json.dumps(nb)


def test_exceptions_accept_findings_without_hiding_them(two_runs, tmp_path):
    from datetime import date

    from agentaudit.errors import InputError

    _, dbs = two_runs
    base = assess(dbs["level1"])
    shadow = next(f for f in base.findings if f.check.id == "NHI-SHADOW")
    one = shadow.rows.iloc[0]
    exc = tmp_path / "exceptions.yaml"
    exc.write_text(f"""exceptions:
  - check: NHI-SHADOW
    fingerprint: {fingerprint("NHI-SHADOW", one.identity_key, None)}
    justification: vendor-run integration, tracked elsewhere
    owner: ciso@example.com
    expires: 2099-12-31
  - check: NHI-DORMANT
    justification: quarterly jobs
    owner: ops@example.com
    expires: 2099-12-31
  - check: NHI-OVERPRIVILEGED
    justification: lapsed
    owner: ops@example.com
    expires: 2026-01-01
""")
    a = assess(dbs["level1"], exceptions=exc, as_of=date(2026, 6, 1))
    got = {f.check.id: f for f in a.findings}
    assert got["NHI-SHADOW"].accepted == 1 and got["NHI-SHADOW"].count == shadow.count - 1
    accepted = got["NHI-SHADOW"].rows[got["NHI-SHADOW"].rows.status == "accepted"]
    assert list(accepted.identity_key) == [one.identity_key]  # still listed, marked accepted
    assert got["NHI-DORMANT"].count == 0 and got["NHI-DORMANT"].accepted > 0
    # accepted instances no longer count against the criteria
    before = base.metrics["metric_inventory_coverage"]["shadow"]
    assert a.metrics["metric_inventory_coverage"]["shadow"] == before - 1
    assert a.metrics["metric_dormant"]["dormant"] == 0
    # the expired exception stops applying, and the assessment says so
    assert got["NHI-OVERPRIVILEGED"].accepted == 0
    assert (
        a.criterion("G1").value["privileged_share"]
        == base.criterion("G1").value["privileged_share"]
        > 0
    )
    assert any("expired on 2026-01-01" in g for g in a.data_gaps)
    assert [e.status for e in a.exceptions] == ["active", "active", "expired"]
    plan = action_plan(a)
    assert sum(r["status"] == "accepted" for r in plan) == 1 + got["NHI-DORMANT"].accepted
    bad = tmp_path / "bad.yaml"
    bad.write_text("exceptions:\n  - check: NHI-SHADOW\n    owner: x@y.z\n    expires: soon\n")
    with pytest.raises(InputError, match="record 1: missing justification"):
        assess(dbs["level1"], exceptions=bad)
    bad.write_text(
        "exceptions:\n  - check: NOPE\n    justification: j\n    owner: o\n"
        "    expires: 2099-01-01\n"
    )
    with pytest.raises(InputError, match="unknown check 'NOPE'"):
        assess(dbs["level1"], exceptions=bad)
    bad.write_text(
        "exceptions:\n  - check: NHI-SHADOW\n    justification: j\n    owner: o\n"
        "    expires: someday\n"
    )
    with pytest.raises(InputError, match="expires must be a date"):
        assess(dbs["level1"], exceptions=bad)


def test_report_has_a_section_on_changes_since_the_previous_assessment(two_runs, tmp_path):
    from agentaudit import pipeline

    _, dbs = two_runs
    previous = tmp_path / "before.json"
    previous.write_text(json.dumps(assess(dbs["level1"]).to_dict(), default=str))
    res = CliRunner().invoke(
        main,
        [
            "report",
            "--db",
            str(dbs["level5"]),
            "--client",
            "Acme",
            "--out",
            str(tmp_path / "r"),
            "--previous",
            str(previous),
        ],
    )
    assert res.exit_code == 0, res.output
    text = (tmp_path / "r" / "report.html").read_text()
    assert "Since the previous assessment" in text and "Level 1 → <strong>" in text
    plain = pipeline.report(dbs["level5"], tmp_path / "plain", "Acme").report
    assert "Since the previous assessment" not in plain.html.read_text()
    # An earlier bundle is as good as its assessment.json.
    res = CliRunner().invoke(
        main,
        ["report", "--bundle", str(tmp_path / "plain" / "bundle"), "--client", "Acme"]
        + ["--out", str(tmp_path / "again"), "--previous", str(tmp_path / "r" / "bundle")],
    )
    assert res.exit_code == 0, res.output
    assert "Since the previous assessment" in (tmp_path / "again" / "report.html").read_text()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _execute_on_kernel(port: int, token: str, kernel_id: str, cells: list[str]) -> list[dict]:
    """Run each cell on a server's kernel over its websocket channel, as JupyterLab does;
    return each cell's execute_reply content."""
    import asyncio
    import uuid

    from tornado.websocket import websocket_connect

    async def run() -> list[dict]:
        url = f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels?token={token}"
        ws = await websocket_connect(url)
        replies = []
        for code in cells:
            msg_id = uuid.uuid4().hex
            await ws.write_message(
                json.dumps(
                    {
                        "header": {
                            "msg_id": msg_id,
                            "msg_type": "execute_request",
                            "username": "test",
                            "session": uuid.uuid4().hex,
                            "version": "5.3",
                        },
                        "parent_header": {},
                        "metadata": {},
                        "channel": "shell",
                        "content": {"code": code, "silent": False, "allow_stdin": False},
                    }
                )
            )
            while True:
                msg = json.loads(await asyncio.wait_for(ws.read_message(), 300))
                if (
                    msg.get("msg_type") == "execute_reply"
                    and msg["parent_header"].get("msg_id") == msg_id
                ):
                    replies.append(msg["content"])
                    break
        ws.close()
        return replies

    return asyncio.run(run())


def test_lab_serves_the_notebook_and_its_cells_run_on_a_kernel(two_runs, tmp_path):
    """`agentaudit lab` with its default --workdir, started as a user starts it: the server
    answers, the notebook opens through the REST API with the database filled in, and every
    code cell runs on a kernel without error."""
    import os
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    _, dbs = two_runs
    port, token = _free_port(), "agentaudit-test-token"
    env = dict(os.environ, JUPYTER_TOKEN=token, BROWSER="true")
    exe = Path(sys.executable).parent / "agentaudit"
    server = subprocess.Popen(
        [str(exe), "lab", "--db", str(dbs["level5"]), "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}/api"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{base}/contents/explore.ipynb?token={token}") as r:
                    model = json.loads(r.read())
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()[-2000:]
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not answer")
        cells = [
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in model["content"]["cells"]
            if c["cell_type"] == "code"
        ]
        assert str(dbs["level5"].resolve()) in "\n".join(cells)
        request = urllib.request.Request(
            f"{base}/sessions?token={token}",
            data=json.dumps(
                {"path": "explore.ipynb", "type": "notebook", "kernel": {"name": "python3"}}
            ).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request) as r:
            kernel_id = json.loads(r.read())["kernel"]["id"]
        replies = _execute_on_kernel(port, token, kernel_id, cells)
        failed = [
            (c[:80], r.get("evalue"))
            for c, r in zip(cells, replies, strict=True)
            if r["status"] != "ok"
        ]
        assert not failed
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert (tmp_path / "out" / "lab" / "explore.ipynb").exists()
