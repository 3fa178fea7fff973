"""The action plan for a client's ticketing: one row per finding instance, with a stable
fingerprint, written as CSV and XLSX (spreadsheet formulas neutralised) beside the JSON."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pandas as pd

from agentaudit.assess import Assessment, column, display_name, fingerprint, mask, records
from agentaudit.assess.review import REVIEW_COLUMNS

COLUMNS = (
    "fingerprint",
    "status",
    "check_id",
    "severity",
    "owasp",
    "criterion",
    "title",
    "name",
    "platform",
    "kind",
    "identity",
    "credential",
    "evidence",
    "remediation",
    "accepted_by",
    "accepted_until",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Stop a spreadsheet from reading a cell as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _text(value: Any) -> str:
    """A cell's text: empty for missing values (None, NaN, NaT)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)[:10] if hasattr(value, "isoformat") else str(value)


def action_plan(a: Assessment) -> list[dict[str, Any]]:
    """One row per offending row of every check; credential ids masked."""
    rows = []
    names = a.names([k for f in a.findings for k in column(f.rows, "identity_key")])
    for f in a.findings:
        c = f.check
        for r in sorted(
            records(f.rows), key=lambda r: (str(r["identity_key"]), str(r["credential_key"]))
        ):
            who = names.get(r["identity_key"], {})
            rows.append(
                {
                    "fingerprint": fingerprint(c.id, r["identity_key"], r["credential_key"]),
                    "check_id": c.id,
                    "severity": c.severity,
                    "owasp": c.owasp,
                    "criterion": c.criterion,
                    "title": c.title,
                    "name": who.get("name", r["identity_key"] or ""),
                    "platform": who.get("platform", ""),
                    "kind": who.get("kind", ""),
                    "identity": r["identity_key"],
                    "credential": mask(r["credential_key"]),
                    "evidence": r["evidence"],
                    "remediation": c.remediation,
                    "status": r.get("status") or "open",
                    "accepted_by": _text(r.get("accepted_by")),
                    "accepted_until": _text(r.get("accepted_until")),
                }
            )
    return rows


def identity_review(a: Assessment) -> list[dict[str, Any]]:
    """One row per identity for the consultant's review: the decision (the override where one
    applies), its confidence, the rule and the evidence behind it."""
    ci = sorted(
        records(a.tables["classified_identities"]),
        key=lambda r: (r["platform"], r["class"], r["identity_key"]),
    )
    rows = []
    for r in ci:
        evidence = [f"{r['event_count']} events"]
        if _text(r["last_activity"]):
            evidence.append(f"last active {_text(r['last_activity'])}")
        if r["any_interactive"]:
            evidence.append("interactive sign-ins")
        if _text(r["person"]):
            evidence.append(f"person {r['person']} ({r['person_rule']})")
        elif r["person_ambiguous"]:
            evidence.append("possible people: " + ", ".join(r["person_candidates"]))
        if _text(r["granted_by"]):
            evidence.append(f"granted by {r['granted_by']}")
        if _text(r["ai_rule"]):
            evidence.append(f"AI agent: {r['ai_rule']}")
        rows.append(
            {
                "identity_key": r["identity_key"],
                "name": display_name(r),
                "platform": r["platform"],
                "kind": r["kind"],
                "decision": r["class"],
                "confidence": r["confidence"],
                "rule": r["rule_reason"],
                "evidence": "; ".join(evidence),
                "reason": _text(r["override_reason"]),
                "reviewer": _text(r["override_reviewer"]),
            }
        )
    return rows


def export(a: Assessment, out_dir: str | Path) -> dict[str, Path]:
    """Write action_plan.csv, action_plan.xlsx, assessment.json and identity_review.csv
    into `out_dir`."""
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.styles import Font  # noqa: PLC0415

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = action_plan(a)
    paths = {
        "csv": out / "action_plan.csv",
        "xlsx": out / "action_plan.xlsx",
        "json": out / "assessment.json",
        "review": out / "identity_review.csv",
    }
    with open(paths["csv"], "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: neutralise(v) for k, v in r.items()})
    wb = Workbook()
    ws = wb.active
    ws.title = "action plan"
    ws.append(list(COLUMNS))
    for r in rows:
        ws.append([neutralise(r[k]) for k in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    wb.save(paths["xlsx"])
    with open(paths["review"], "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=REVIEW_COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in identity_review(a):
            w.writerow({k: neutralise(v) for k, v in r.items()})
    paths["json"].write_text(json.dumps(a.to_dict(), indent=2, default=str), encoding="utf-8")
    return paths
