"""The executive report: the notebook under papermill and nbval, an offline self-contained
HTML, a real browser's screenshot and PDF, escaping of hostile strings, and batch runs."""

from __future__ import annotations

import asyncio
import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import run_notebook_with_nbval

import agentaudit
from agentaudit import pipeline, resources
from agentaudit.batch import batch
from agentaudit.cli import main
from agentaudit.report import kernel_manager_class, screenshot
from agentaudit.synth import config_for, generate

NOTEBOOK = resources.notebook("assessment.ipynb")
HOSTILE_ID = "<img src=x onerror=alert(1)>"
HOSTILE_NAME = "<script>alert('agent')</script>"
needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None, reason="no chromium")


def hostile_okta(path: Path) -> Path:
    rec = {
        "uuid": "h1",
        "published": "2026-10-20T10:00:00Z",
        "eventType": "app.oauth2.as.token.grant.access_token",
        "actor": {
            "id": HOSTILE_ID,
            "type": "PublicClientApp",
            "alternateId": HOSTILE_ID,
            "displayName": HOSTILE_NAME,
        },
        "client": {
            "userAgent": {"rawUserAgent": HOSTILE_NAME, "browser": "UNKNOWN"},
            "ipAddress": "10.9.9.9",
        },
        "outcome": {"result": "SUCCESS"},
        "target": [],
    }
    path.write_text(json.dumps(rec) + "\n")
    return path


@pytest.fixture(scope="module")
def enterprise(tmp_path_factory):
    """A small generated enterprise plus one NHI whose names are hostile HTML."""
    base = tmp_path_factory.mktemp("report")
    generate(base / "e", config_for("level2", seed=21, humans=15, nhi_per_human=2.0, events=4000))
    hostile_okta(base / "e" / "exports" / "okta" / "hostile.ndjson")
    db = base / "audit.duckdb"
    agentaudit.ingest([base / "e" / "exports"], db)
    return base, db


@pytest.fixture(scope="module")
def report(enterprise):
    base, db = enterprise
    return pipeline.report(
        db,
        base / "out",
        "Acme & <Co>",
        report_options=pipeline.ReportOptions(
            assessor="Jane Auditor", pdf=shutil.which("chromium") is not None
        ),
    ).report


def test_notebook_runs_under_papermill_and_validates_with_nbval(enterprise, report, tmp_path):
    base, _ = enterprise
    bundle = base / "out" / pipeline.BUNDLE_DIR
    run_notebook_with_nbval(
        NOTEBOOK, {"bundle_path": str(bundle.resolve()), "client": "Nbval Co"}, tmp_path
    )


def test_the_report_kernel_talks_over_encrypted_channels():
    import zmq
    from jupyter_client.manager import AsyncKernelManager

    manager_class = kernel_manager_class()
    if manager_class is AsyncKernelManager:
        pytest.skip(f"no CurveZMQ here (pyzmq curve support: {zmq.has('curve')})")

    async def connection_info() -> dict:
        km = manager_class(kernel_name="python3")
        await km.start_kernel()
        try:
            return km.get_connection_info()
        finally:
            await km.shutdown_kernel(now=True)

    info = asyncio.run(connection_info())
    assert info.get("curve_publickey") and info.get("curve_secretkey")


def test_notebook_is_thin_with_one_parameters_cell():
    nb = json.loads(NOTEBOOK.read_text())
    tagged = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "SELECT" not in code.upper() and "def " not in code  # logic lives in the package
    # It reads an assessment bundle: it never opens the database, never assesses.
    assert "duckdb" not in code.lower() and "assess(" not in code
    params = "".join(tagged[0]["source"])
    assert "bundle_path" in params and "db_path" not in params


def test_html_is_self_contained_and_complete(report):
    text = report.html.read_text(encoding="utf-8")
    markup = re.sub(r"<script[^>]*>.*?</script>", "", text, flags=re.DOTALL)  # plotly.js itself
    assert not re.search(r"""(src|href)\s*=\s*["']?https?://""", markup)
    assert not re.search(r"@import\s+(url\()?['\"]?https?://", markup)
    assert "<script src=" not in text
    assert not re.search(r"cdnjs|jsdelivr|unpkg|require\.min\.js|mermaid", markup)
    assert "Acme &amp; &lt;Co&gt;" in text
    assert "level 2" in text
    for cid in ("D1", "D2", "D3", "G1", "G2", "G3", "M1", "M2", "M3", "F1", "F2", "F3"):
        assert f"<td>{cid}</td>" in text, cid
    assert text.count('class="plotly-graph-div"') >= 5
    assert text.count("plotly.js v") == 1  # the library embedded once
    for title in (
        "Executive summary",
        "Maturity level",
        "Headline KPIs",
        "Maturity criteria",
        "Findings",
        "Behavioural anomalies",
        "Remediation roadmap",
        "Appendix",
    ):
        assert title in text, title


def test_discovery_audit_answers_from_the_generated_consents(enterprise, report):
    """The shadow agent discovery section names each AI app an employee connected, with the
    person who consented and its scopes, and answers the leadership question with figures."""
    base, _ = enterprise
    truth = json.loads((base / "e" / "truth.json").read_text())
    text = report.html.read_text(encoding="utf-8")
    section = text[text.index("Shadow agent discovery audit") :]
    employee_ai = [c for c in truth["consents"] if c["ai"] and c["consent_type"] == "user"]
    assert employee_ai
    for c in employee_ai:
        assert html.escape(c["app"]) in section and c["granted_by"] in section, c
        assert " ".join(c["scopes"]) in section, c
    assert f"Employees connected {len(employee_ai)} AI app grant(s) themselves" in section
    assert "Can you name every AI agent?" in section


def test_hostile_strings_from_logs_render_as_text(report):
    text = report.html.read_text(encoding="utf-8")
    assert HOSTILE_ID not in text and HOSTILE_NAME not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "<script>alert" not in text


@needs_chromium
def test_browser_renders_the_report_and_prints_a_pdf(report, tmp_path):
    png = screenshot(report.html, tmp_path / "shot.png", height=2000)
    assert png.stat().st_size > 60_000  # text and charts, not a blank page
    assert report.pdf is not None and report.pdf.stat().st_size > 50_000
    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", str(report.pdf), str(tmp_path / "p")], check=True
    )
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) >= 8  # cover plus one page or more per section
    words = subprocess.run(
        ["pdftotext", str(report.pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    order = [
        words.find(t)
        for t in (
            "Executive summary",
            "Maturity level",
            "Maturity criteria",
            "Remediation roadmap",
            "Appendix",
        )
    ]
    assert all(i >= 0 for i in order) and order == sorted(order)


def test_batch_goes_past_a_broken_client(enterprise, tmp_path):
    base, _ = enterprise
    good = tmp_path / "good"
    generate(good, config_for("level4", seed=3, humans=10, nhi_per_human=2.0, events=2000))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "notes.txt").write_text("not an export\n")
    manifest = tmp_path / "clients.yaml"
    manifest.write_text(f"""clients:
  - client: Alpha
    exports: {base / "e" / "exports"}
  - client: Broken Ltd
    exports: broken
  - client: Gamma
    exports: good/exports
""")
    rows = batch(manifest, tmp_path / "reports", workers=2)
    by = {r.client: r for r in rows}
    assert by["Alpha"].level == 2 and Path(by["Alpha"].report).exists()
    assert by["Gamma"].level >= 1 and Path(by["Gamma"].report).exists()
    assert by["Broken Ltd"].level is None and "nothing could be loaded" in by["Broken Ltd"].error
    # The portfolio: one row per client from its bundle, the failed client with why.
    import csv

    with open(tmp_path / "reports" / "portfolio.csv", newline="") as fh:
        portfolio = {r["client"]: r for r in csv.DictReader(fh)}
    alpha = json.loads((Path(by["Alpha"].bundle) / "assessment.json").read_text())
    assert portfolio["Alpha"]["level"] == "2"
    assert portfolio["Alpha"]["shadow_agents"] == str(len(alpha["shadow_agents"]))
    assert portfolio["Alpha"]["first_failing_criterion"] == alpha["first_failing_criterion"]
    assert portfolio["Alpha"]["report"] == "Alpha/report.html"
    assert (
        portfolio["Broken Ltd"]["level"] == ""
        and "nothing could be loaded" in (portfolio["Broken Ltd"]["error"])
    )
    page = (tmp_path / "reports" / "portfolio.html").read_text()
    assert "Clients that failed" in page and 'href="Gamma/report.html"' in page
    assert "CSA 2026" in page and "<script src=" not in page
    res = CliRunner().invoke(
        main, ["batch", str(manifest), "--out", str(tmp_path / "cli"), "--workers", "1"]
    )
    assert res.exit_code == 0 and "Broken Ltd" in res.output and "portfolio" in res.output
