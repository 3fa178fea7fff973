"""The portfolio of a batch: one row per client (level, first failing criterion, NHI-to-human
ratio, shadow agents, shared credentials, top findings, report link), the clients' maturity
distribution beside the published one, and the clients that failed with why. Written by
`agentaudit batch` as portfolio.csv and a self-contained portfolio.html."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from agentaudit.assess.maturity import DISTRIBUTION, LEVELS
from agentaudit.export import neutralise
from agentaudit.report.content import Charts, esc

COLUMNS = (
    "client",
    "level",
    "level_name",
    "first_failing_criterion",
    "nhi_count",
    "human_count",
    "nhi_to_human_ratio",
    "shadow_agents",
    "shared_credentials",
    "top_findings",
    "report",
    "error",
)
SEVERITY_ORDER = ("critical", "high", "medium", "low")


def rows(results: Sequence[Any], out_dir: str | Path) -> list[dict[str, Any]]:
    """One row per client of a batch, read from each client's assessment bundle."""
    out = []
    for r in results:
        row: dict[str, Any] = dict.fromkeys(COLUMNS, "")
        row.update(client=r.client, error=r.error)
        contract = Path(r.bundle) / "assessment.json" if r.bundle else None
        if contract and contract.exists():
            a = json.loads(contract.read_text(encoding="utf-8"))
            findings = sorted(
                ((k, f) for k, f in a["findings"].items() if f["count"]),
                key=lambda kf: (SEVERITY_ORDER.index(kf[1]["severity"]), -kf[1]["count"], kf[0]),
            )
            row.update(
                level=a["level"],
                level_name=a["level_name"],
                first_failing_criterion=a["first_failing_criterion"] or "",
                nhi_count=a["nhi_count"],
                human_count=a["human_count"],
                nhi_to_human_ratio=a["nhi_to_human_ratio"],
                shadow_agents=len(a["shadow_agents"]),
                shared_credentials=len(a["shared_credentials"]),
                top_findings="; ".join(
                    f"{k} ({f['severity']}): {f['count']}" for k, f in findings[:3]
                ),
            )
        if r.report:
            row["report"] = os.path.relpath(r.report, out_dir)
        out.append(row)
    return out


def write(results: Sequence[Any], out_dir: str | Path) -> tuple[Path, Path]:
    """Write portfolio.csv and portfolio.html into `out_dir`; return their paths."""
    out = Path(out_dir)
    table_rows = rows(results, out)
    csv_path = out / "portfolio.csv"
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for row in table_rows:  # client names are the consultant's, errors quote inputs
            writer.writerow({k: neutralise(v) for k, v in row.items()})
    html_path = out / "portfolio.html"
    html_path.write_text(_html(table_rows), encoding="utf-8")
    return csv_path, html_path


def _html(table_rows: list[dict[str, Any]]) -> str:
    assessed = [r for r in table_rows if r["level"] != ""]
    failed = [r for r in table_rows if r["error"]]
    levels = range(1, 6)
    share = [
        100 * sum(r["level"] == i for r in assessed) / len(assessed) if assessed else 0
        for i in levels
    ]
    fig = go.Figure(
        [
            go.Bar(
                name=f"these clients ({len(assessed)})",
                x=[f"L{i} {LEVELS[i]}" for i in levels],
                y=share,
                marker_color="#1e3a8a",
            ),
            go.Bar(
                name="enterprises (CSA 2026, approximate)",
                x=[f"L{i} {LEVELS[i]}" for i in levels],
                y=[100 * DISTRIBUTION[i] for i in levels],
                marker_color="#cbd5e1",
            ),
        ]
    )
    fig.update_layout(barmode="group", yaxis_title="share of clients (%)", title="Maturity")
    body = [f"<h1>Portfolio: {len(table_rows)} client(s)</h1>", Charts().html(fig, 360)]
    links = []
    for r in table_rows:
        shown = {k: r[k] for k in COLUMNS if k not in ("report", "error", "level_name")}
        shown["report"] = (
            f'<a href="{esc(r["report"])}">{esc(r["report"])}</a>' if r["report"] else ""
        )
        links.append(shown)
    body.append("<h2>Clients</h2>" + _table_with_links(links))
    if failed:
        body.append(
            "<h2>Clients that failed</h2><ul>"
            + "".join(
                f"<li><strong>{esc(r['client'])}</strong>: {esc(r['error'])}</li>" for r in failed
            )
            + "</ul>"
        )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>agentaudit portfolio</title>"
        "<style>body{font-family:Helvetica,Arial,sans-serif;margin:24px;color:#0f172a}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #cbd5e1;"
        "padding:4px 8px;text-align:left}th{background:#f1f5f9}</style></head><body>"
        + "".join(body)
        + "</body></html>\n"
    )


def _table_with_links(rows_: list[dict[str, Any]]) -> str:
    """An HTML table whose cells are escaped, except the report link built above."""
    if not rows_:
        return "<p>none</p>"
    head = "".join(f"<th>{esc(c.replace('_', ' '))}</th>" for c in rows_[0])
    body = "".join(
        "<tr>"
        + "".join(f"<td>{v if k == 'report' else esc(v)}</td>" for k, v in r.items())
        + "</tr>"
        for r in rows_
    )
    return f'<table class="aa-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


__all__ = ["COLUMNS", "rows", "write"]
