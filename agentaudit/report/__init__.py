"""The executive report: the parameterised notebook run by papermill (in process), converted
to one self-contained HTML file with our nbconvert template, and printed to PDF by headless
Chromium. `render_report()` does one client; `batch()` many, in parallel processes."""

from __future__ import annotations

import base64
import mimetypes
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from agentaudit import __version__, bundle, resources
from agentaudit.assess import Assessment
from agentaudit.errors import BundleError, NotebookError, ReportError
from agentaudit.report.content import Charts

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")


@dataclass
class ReportContext:
    """What the notebook needs: the assessment, the files loaded, the evidence queries and
    chart embedding state, all read from an assessment bundle."""

    assessment: Assessment
    files: pd.DataFrame
    version: str
    date: str
    logo_html: str = ""
    charts: Charts = field(default_factory=Charts)
    previous: dict[str, Any] | None = None
    evidence: dict[str, str] = field(default_factory=dict)


def context(
    bundle_path: str,
    *,
    logo: str | None = None,
    report_date: str | None = None,
    previous: str | None = None,
) -> ReportContext:
    """Read the assessment bundle and gather what the report shows (no database, no
    assessment: the bundle holds it)."""
    if not bundle_path:
        raise BundleError("no assessment bundle given (bundle_path)")
    a, files, manifest = bundle.read(bundle_path)
    return ReportContext(
        a,
        files,
        manifest.get("tool_version", __version__),
        report_date or datetime.now(UTC).strftime("%Y-%m-%d"),
        _logo(logo),
        previous=read_previous(previous) if previous else None,
        evidence=manifest.get("evidence", {}),
    )


def read_previous(path: str | Path) -> dict[str, Any]:
    """An earlier assessment's JSON contract: a bundle folder, or an assessment.json."""
    from agentaudit.diff import load  # noqa: PLC0415

    return load(path)


def _logo(path: str | None) -> str:
    if not path:
        return ""
    mime = mimetypes.guess_type(path)[0] or "image/png"
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return f'<img class="aa-logo" alt="logo" src="data:{mime};base64,{data}">'


@dataclass
class ReportResult:
    html: Path
    pdf: Path | None
    seconds: dict[str, float]


def kernel_manager_class() -> type:
    """The kernel manager papermill runs the notebook with: its channels encrypted (CurveZMQ)
    where jupyter_client and pyzmq support it. The notebook's outputs carry strings from client
    logs, and a kernel's plain TCP sockets can be read by any other user of the machine."""
    import zmq  # noqa: PLC0415
    from jupyter_client.manager import AsyncKernelManager  # noqa: PLC0415
    from traitlets import default  # noqa: PLC0415

    if "transport_encryption" not in AsyncKernelManager.class_trait_names() or not zmq.has("curve"):
        return AsyncKernelManager

    class EncryptedKernelManager(AsyncKernelManager):
        @default("transport_encryption")
        def _encrypt_when_the_kernel_can(self) -> str:
            return "auto"  # provision keys when the kernelspec declares Curve support

    return EncryptedKernelManager


def render_report(
    bundle_path: str | Path,
    out_dir: str | Path,
    client: str,
    *,
    assessor: str = "",
    pdf: bool = False,
    logo: str | Path | None = None,
    report_date: str | None = None,
    previous: str | Path | None = None,
) -> ReportResult:
    """Run the assessment notebook on a bundle and write `<out>/report.html` (and PDF).
    Only presentation is chosen here; every figure comes from the bundle."""
    import nbformat  # noqa: PLC0415  (heavy imports only when a report is made)
    import papermill  # noqa: PLC0415
    from nbconvert import HTMLExporter  # noqa: PLC0415

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    if not (Path(bundle_path) / "manifest.json").exists():
        raise BundleError(
            f"{bundle_path} is not an assessment bundle: write one with "
            "`agentaudit assess --db DB --bundle DIR`"
        )
    params = {
        "bundle_path": str(Path(bundle_path).resolve()),
        "client": client,
        "assessor": assessor,
        "report_date": report_date,
        "logo_path": str(Path(logo).resolve()) if logo else None,
        "previous_path": str(Path(previous).resolve()) if previous else None,
    }
    executed = out / "assessment.ipynb"
    t = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(resources.notebook("assessment.ipynb")),
            str(executed),
            parameters=params,
            kernel_name="python3",
            kernel_manager_class=kernel_manager_class(),
            progress_bar=False,
            cwd=str(out),
        )
    except papermill.PapermillExecutionError as exc:
        raise NotebookError(
            f"the report notebook failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue} "
            f"(the executed notebook is kept at {executed})"
        ) from exc
    seconds["notebook"] = time.perf_counter() - t
    t = time.perf_counter()
    exporter = HTMLExporter(
        template_name="agentaudit", extra_template_basedirs=[str(resources.templates())]
    )
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(
        nbformat.read(executed, as_version=4),
        resources={"metadata": {"name": f"{client} — agent-IAM assessment"}},
    )
    html_path = out / "report.html"
    html_path.write_text(body, encoding="utf-8")
    executed.unlink()
    seconds["html"] = time.perf_counter() - t
    pdf_path = None
    if pdf:
        t = time.perf_counter()
        pdf_path = print_pdf(html_path, out / "report.pdf")
        seconds["pdf"] = time.perf_counter() - t
    return ReportResult(html_path, pdf_path, seconds)


def chromium() -> str:
    """The headless browser used for PDF (Debian package `chromium`)."""
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ReportError("no Chromium found for PDF output: install the `chromium` package")


def browser_args(profile: str) -> list[str]:
    return [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=15000",
    ]


def print_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Print the report to PDF with headless Chromium (print CSS, charts rendered)."""
    flags = ["--no-pdf-header-footer", f"--print-to-pdf={pdf_path}"]
    return _chromium(html_path, pdf_path, flags, "print")


def screenshot(html_path: Path, png_path: Path, width: int = 1000, height: int = 3000) -> Path:
    """A PNG of the report as a browser shows it (for checking what a reader sees)."""
    flags = ["--hide-scrollbars", f"--window-size={width},{height}", f"--screenshot={png_path}"]
    return _chromium(html_path, png_path, flags, "screenshot")


def _chromium(html_path: Path, out_path: Path, flags: list[str], verb: str) -> Path:
    """Run headless Chromium on the report with `flags`; `out_path` is what it must write."""
    with tempfile.TemporaryDirectory() as profile:
        cmd = browser_args(profile) + flags + [html_path.resolve().as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    if proc.returncode != 0 or not out_path.exists():
        raise ReportError(f"Chromium could not {verb} {html_path}: {proc.stderr[-500:]}")
    return out_path


__all__ = [
    "ReportContext",
    "ReportResult",
    "context",
    "kernel_manager_class",
    "print_pdf",
    "render_report",
    "screenshot",
]
