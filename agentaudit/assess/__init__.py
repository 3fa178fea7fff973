"""The assessment: from an ingested audit database to the maturity level, with evidence.

`assess(db)` installs the SQL views (see `views.py` and `metrics/*.sql`), reads the metric
views, evaluates the criteria (`maturity.py`), runs the checks (`checks/`) and returns an
`Assessment` whose tables are pandas DataFrames and whose `to_dict()` is the JSON contract
documented in docs/assessment-json.md.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from agentaudit import __version__
from agentaudit.assess import maturity
from agentaudit.assess.acceptances import RiskAcceptance, load_exceptions, today
from agentaudit.assess.checks import OWASP_NHI, Check, all_checks
from agentaudit.assess.policy import load_policy
from agentaudit.assess.review import check_overrides, check_unchanged, load_overrides
from agentaudit.assess.runner import DuckDBRunner, Runner
from agentaudit.db import connect

JSON_SCHEMA_VERSION = 1
DISCOVERY_MONTHS = 6  # the playbook's discovery audit looks back 6 to 12 months

METRIC_VIEWS = (
    "metric_inventory_coverage",
    "metric_reviews",
    "metric_rotation",
    "metric_shared_credentials",
    "metric_privileged",
    "metric_owner_coverage",
    "metric_monitoring",
    "metric_dormant",
    "metric_alerts",
    "metric_revocations",
    "metric_audit_trail",
    "metric_lifecycle",
    "metric_issuance",
    "metric_native_agents",
)

# The tables an Assessment carries, each the content of the view of the same name.
TABLES = (
    "nhis",
    "classified_identities",
    "shadow_agents",
    "orphaned_nhis",
    "dormant_nhis",
    "shared_credentials",
    "credential_ages",
    "privileged_nhis",
    "nhi_human_use",
    "nhi_alerts",
    "nhi_revocations",
    "lifecycle_revocations",
    "log_gaps",
    "anomalies",
    "nhi_baselines",
    "metric_nhi_ratio",
    "people",
    "credential_issuance",
    "ai_app_grants",
    "ai_agents",
    "agent_reconciliation",
    "agent_delegations",
)


def fingerprint(check_id: str, identity_key: Any, credential_key: Any) -> str:
    """A stable id for a finding instance: same check, identity and credential, same id."""
    text = "\x1f".join(str(x or "") for x in (check_id, identity_key, credential_key))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def display_name(row: Any) -> str:
    """The name a person reads for an identity: its display name, else its name or id."""
    for col in ("display_name", "name", "native_id", "identity_key"):
        v = row.get(col) if hasattr(row, "get") else getattr(row, col, None)
        if isinstance(v, str) and v:
            return v
    return ""


def mask(value: Any) -> Any:
    """Mask all but the last 4 characters of a credential id or key."""
    if value is None:
        return None
    text = str(value)
    prefix, sep, ident = text.rpartition(":") if ":" in text else ("", "", text)
    masked = "****" + ident[-4:] if len(ident) > 4 else "****"
    return f"{prefix}{sep}{masked}"


Frame = Any  # a pandas or a polars DataFrame (`assess(frames=...)`)
FRAMES = ("pandas", "polars")


def _frame(rel: duckdb.DuckDBPyRelation, frames: str) -> Frame:
    """A query's result as the requested kind of DataFrame."""
    return rel.pl() if frames == "polars" else rel.df()


def records(df: Frame) -> list[dict[str, Any]]:
    """A pandas or polars frame's rows as dicts, missing values as None."""
    if hasattr(df, "to_dicts"):  # polars
        return df.to_dicts()
    # Missing values replaced column-wise (a value-by-value check took 6 s on 10M events' tables)
    return df.astype(object).where(df.notna(), None).to_dict("records")


def column(df: Frame, name: str) -> list[Any]:
    """One column of a pandas or polars frame as a list (missing values as None)."""
    if hasattr(df, "to_dicts"):
        return df.get_column(name).to_list() if name in df.columns else []
    return [None if _isna(v) else v for v in df[name]] if name in df.columns else []


@dataclass
class Finding:
    """A check's result: its metadata and the offending rows."""

    check: Check
    rows: Frame

    @property
    def count(self) -> int:
        """Open instances (accepted ones are listed but not counted)."""
        status = column(self.rows, "status")
        return sum(s == "open" for s in status) if status else len(self.rows)

    @property
    def accepted(self) -> int:
        return sum(s == "accepted" for s in column(self.rows, "status"))


@dataclass
class Assessment:
    """Everything the assessment found; tables are DataFrames (pandas, or polars with
    `assess(frames="polars")`), `to_dict()` is the contract."""

    level: int
    first_failing_criterion: str | None
    criteria: list[maturity.Criterion]
    window: dict[str, Any]
    metrics: dict[str, dict[str, Any]]
    tables: dict[str, Frame]
    findings: list[Finding]
    policy: dict[str, Any]
    data_gaps: list[str] = field(default_factory=list)
    exceptions: list[RiskAcceptance] = field(default_factory=list)
    generated_at: str = field(
        default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )

    @property
    def level_name(self) -> str:
        return maturity.LEVELS[self.level]

    @property
    def ratio(self) -> Frame:
        return self.tables["metric_nhi_ratio"]

    def criterion(self, cid: str) -> maturity.Criterion:
        return next(c for c in self.criteria if c.id == cid)

    def overall(self) -> dict[str, Any]:
        r = next((r for r in records(self.ratio) if r["platform"] == "all"), None)
        if r is None:
            return {"nhis": 0, "ai_agents": 0, "humans": 0, "ratio": None, "unresolved": 0}

        def num(v: Any) -> float | None:
            return None if v is None else float(v)

        return {
            "nhis": int(r["nhis"]),
            "ai_agents": int(r["ai_agents"]),
            "humans": int(r["humans"]),
            "ratio": num(r["ratio"]),
            "humans_from": r["humans_from"],
            "unresolved": int(r["unresolved"]),
            "external_humans": int(r["external_humans"]),
            "ratio_low": num(r["ratio_low"]),
            "ratio_high": num(r["ratio_high"]),
        }

    def names(self, keys: Any) -> dict[str, dict[str, Any]]:
        """How a person reads each identity key: its display name, platform and kind."""
        wanted = {k for k in keys if isinstance(k, str)}
        ci = self.tables["classified_identities"]
        cols = ("identity_key", "display_name", "name", "native_id", "platform", "kind")
        out = {}
        for row in zip(*(column(ci, c) for c in cols), strict=True):
            r = dict(zip(cols, row, strict=True))
            k = r["identity_key"]
            if k in wanted and k not in out:
                out[k] = {"name": display_name(r), "platform": r["platform"], "kind": r["kind"]}
        return dict(sorted(out.items()))

    def issuance_summary(self) -> dict[str, Any]:
        """Issuance in the window: counts by platform, by channel and by inventory listing."""
        ledger = self.tables["credential_issuance"]
        m = self.metrics.get("metric_issuance", {})

        def count(key: str) -> dict[str, int]:
            out: dict[str, int] = {}
            for v in column(ledger, key):
                out[str(v)] = out.get(str(v), 0) + 1
            return dict(sorted(out.items()))

        listed = [bool(v) for v in column(ledger, "in_inventory")]
        return {
            "issued": len(listed),
            "by_platform": count("platform"),
            "by_channel": count("channel"),
            "by_created": count("created"),
            "inventoried": sum(listed),
            "not_inventoried": len(listed) - sum(listed),
            "never_used": m.get("never_used", 0),
            "months_covered": None
            if m.get("months_covered") is None
            else round(float(m["months_covered"]), 1),
        }

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON contract (docs/assessment-json.md); credential ids masked."""
        o = self.overall()
        t = self.tables

        def keys(table: str) -> list[str]:
            return sorted(column(t[table], "identity_key"))

        classified = records(t["classified_identities"])
        return {
            "schema_version": JSON_SCHEMA_VERSION,
            "tool_version": __version__,
            "generated_at": self.generated_at,
            "window": self.window,
            "level": self.level,
            "level_name": self.level_name,
            "first_failing_criterion": self.first_failing_criterion,
            "criteria": {c.id: c.to_dict() for c in self.criteria},
            "nhi_count": o["nhis"],
            "human_count": o["humans"],
            "humans_from": o.get("humans_from"),
            "ai_agent_count": o["ai_agents"],
            "nhi_to_human_ratio": None if o["ratio"] is None else round(o["ratio"], 4),
            "unresolved_count": o["unresolved"],
            "external_human_count": o.get("external_humans", 0),
            "nhi_to_human_ratio_bounds": {
                "low": None if o.get("ratio_low") is None else round(o["ratio_low"], 4),
                "high": None if o.get("ratio_high") is None else round(o["ratio_high"], 4),
            },
            "ratio_by_platform": {
                r["platform"]: {
                    "nhis": int(r["nhis"]),
                    "ratio": None if r["ratio"] is None else round(float(r["ratio"]), 4),
                }
                for r in records(self.ratio)
                if r["platform"] != "all"
            },
            "shared_credentials": [
                {
                    "credential_id": mask(r["credential_id"] or r["credential_key"]),
                    "identity_key": r["identity_key"],
                    "reasons": list(r["reasons"]),
                }
                for r in records(t["shared_credentials"])
            ],
            "shadow_agents": keys("shadow_agents"),
            "orphaned_nhis": keys("orphaned_nhis"),
            "dormant_nhis": keys("dormant_nhis"),
            "stale_credentials": sorted(
                mask(r["credential_key"]) for r in records(t["credential_ages"]) if r["stale"]
            ),
            "anomalies": [
                {
                    "identity_key": r["identity_key"],
                    "kind": r["kind"],
                    "day": pd.Timestamp(r["day"]).strftime("%Y-%m-%d"),
                    "events": int(r["events"]),
                    "score": round(float(r["score"]), 2),
                    "reason": r["reason"],
                }
                for r in sorted(
                    records(t["anomalies"]),
                    key=lambda r: (pd.Timestamp(r["day"]), r["identity_key"]),
                )
            ],
            "findings": {
                f.check.id: {
                    "title": f.check.title,
                    "count": f.count,
                    "severity": f.check.severity,
                    "owasp": f.check.owasp,
                    "owasp_title": OWASP_NHI[f.check.owasp],
                    "criterion": f.check.criterion,
                }
                for f in self.findings
            },
            "finding_fingerprints": sorted(
                fingerprint(f.check.id, r["identity_key"], r["credential_key"])
                for f in self.findings
                for r in records(f.rows)
            ),
            "exceptions": [e.to_dict() for e in self.exceptions],
            "overrides": [
                {
                    "identity_key": r["identity_key"],
                    "decision": r["class"],
                    "rules_decided": r["rule_class"],
                    "reason": r["override_reason"],
                    "reviewer": r["override_reviewer"],
                }
                for r in sorted(classified, key=lambda r: r["identity_key"])
                if r["overridden"]
            ],
            "names": self.names(
                column(t["shadow_agents"], "identity_key")
                + column(t["orphaned_nhis"], "identity_key")
                + column(t["dormant_nhis"], "identity_key")
                + column(t["shared_credentials"], "identity_key")
                + column(t["anomalies"], "identity_key")
                + [k for f in self.findings for k in column(f.rows, "identity_key")]
            ),
            "ai_app_grants": [
                {
                    "app": r["app"] or r["catalogue_app"],
                    "app_id": r["app_id"],
                    "platform": r["platform"],
                    "granted_by": r["granted_by_person"] or r["granted_by_name"] or r["granted_by"],
                    "consent_type": r["consent_type"],
                    "scopes": list(r["scopes"]) if r["scopes"] is not None else [],
                    "granted_at": _iso(r["granted_at"]),
                    "in_inventory": bool(r["in_inventory"]),
                }
                for r in sorted(
                    records(t["ai_app_grants"]),
                    key=lambda r: (pd.Timestamp(r["granted_at"]), str(r["app"])),
                )
            ],
            "credential_issuance_summary": self.issuance_summary(),
            "ai_agents": [
                {
                    "identity_key": r["identity_key"],
                    "name": r["name"],
                    "platform": r["platform"],
                    "known_from": r["known_from"],
                    "parent": r["parent"],
                    "sponsor": r["sponsor"],
                    "in_registry": bool(r["in_registry"]),
                    "in_inventory": bool(r["in_inventory"]),
                    "acted_in_logs": bool(r["acted_in_logs"]),
                }
                for r in sorted(records(t["ai_agents"]), key=lambda r: r["identity_key"])
            ],
            "agent_delegations": [
                {
                    "agent": r["agent_key"],
                    "person": r["person"],
                    "person_active": bool(r["person_active"]),
                    "events": int(r["events"]),
                    "first_at": _iso(r["first_at"]),
                    "last_at": _iso(r["last_at"]),
                }
                for r in sorted(
                    records(t["agent_delegations"]),
                    key=lambda r: (r["agent_key"], str(r["person"])),
                )
            ],
            "data_gaps": self.data_gaps,
            "policy": {k: v for k, v in self.policy.items()},
        }


def assess(
    db: str | Path | duckdb.DuckDBPyConnection | Runner,
    *,
    policy: str | Path | None = None,
    exceptions: str | Path | None = None,
    overrides: str | Path | None = None,
    ai_apps: str | Path | None = None,
    as_of: date | None = None,
    persist: bool = True,
    frames: str = "pandas",
    **thresholds: Any,
) -> Assessment:
    """Assess an audit database (a path or an open connection), or what a `Runner` holds
    (`agentaudit.spark.SparkRunner`: a lake on Apache Spark).

    `frames` is the kind of DataFrame the tables and findings come as: `pandas`, or
    `polars`, handed over from DuckDB's Arrow results without a pandas copy.
    `persist` stores the views in the database so analysts can query them; a read-only
    connection gets temporary views instead. `thresholds` replace policy thresholds.
    `exceptions` is a risk-acceptance file; expiry is judged at `as_of` (default: today).
    `overrides` is the consultant's reviewed classification (`identity_review.csv`).
    `ai_apps` replaces the AI app catalogue (assess/ai_apps.csv, same columns).
    """
    if frames not in FRAMES:
        raise ValueError(f"frames must be one of {', '.join(FRAMES)}, not {frames!r}")
    rules = load_policy(policy, **thresholds)
    accepted = load_exceptions(exceptions, {c.id for c in all_checks()}) if exceptions else []
    reviewed = load_overrides(overrides) if overrides else []
    own = isinstance(db, str | Path)
    if isinstance(db, Runner):
        runner = db
    else:
        con = connect(db, read_only=not persist) if own else db
        runner = DuckDBRunner(con, persist=persist)
    try:
        known = _known_identities(runner) if reviewed else set()
        changes = check_overrides(overrides, reviewed, known) if reviewed else []
        runner.install(rules, overrides=changes, ai_apps=ai_apps)
        if reviewed:
            decided = runner.sql("SELECT identity_key, rule_class FROM classified_identities")
            check_unchanged(overrides, reviewed, dict(decided.fetchall()))
        _apply_exceptions(runner, accepted, as_of or today())
        return _build(runner, rules, accepted, frames)
    finally:
        if own:
            runner.connection.close()


def _known_identities(runner: Runner) -> set[str]:
    """Every identity key the classification can hold (seen, or inventoried and never seen)."""
    keys = runner.sql(
        """SELECT identity_key FROM identities
           UNION SELECT platform || ':' || platform_id FROM inventory"""
    ).fetchall()
    return {k for (k,) in keys}


def _row(runner: Runner, view: str) -> dict[str, Any]:
    return first_row(runner.sql(f"SELECT * FROM {view}").df())


def first_row(df: Frame) -> dict[str, Any]:
    """The first row of a one-row metric view (pandas or polars) as plain Python values."""
    rows = records(df)
    if not rows:
        return {}
    out = {}
    for k, v in rows[0].items():
        v = v.item() if hasattr(v, "item") else v
        if isinstance(v, float) and v.is_integer() and not k.endswith(_FRACTIONAL):
            v = int(v)  # a count that pandas widened to float
        out[k] = v
    return out


_FRACTIONAL = ("share", "minutes", "hours", "ratio", "coverage", "days")


def _isna(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _apply_exceptions(runner: Runner, accepted: list[RiskAcceptance], as_of: date) -> None:
    """Resolve each exception to the finding rows it covers and record it in aa_exceptions."""
    if not accepted:
        return
    checks = {c.id: c for c in all_checks()}
    resolved: list[list[Any]] = []
    for e in accepted:
        rows = runner.sql(checks[e.check].sql).fetchall()
        keys: list[tuple[Any, Any]]
        if e.fingerprint:
            keys = [(r[0], r[1]) for r in rows if fingerprint(e.check, r[0], r[1]) == e.fingerprint]
        elif e.identity:
            keys = [(e.identity, None)] if any(r[0] == e.identity for r in rows) else []
        else:
            keys = [(None, None)]
        e.matched = len(rows) if not (e.fingerprint or e.identity) else len(keys)
        e.status = "unmatched" if not keys else "expired" if e.expires < as_of else "active"
        resolved += [
            [e.check, k[0], k[1], e.owner, e.expires, e.justification, e.status == "active"]
            for k in keys
        ]
    if resolved:
        runner.accept(resolved)


def _build(
    runner: Runner,
    rules: dict[str, Any],
    accepted: list[RiskAcceptance] | None = None,
    frames: str = "pandas",
) -> Assessment:
    metrics = {v: _row(runner, v) for v in METRIC_VIEWS}
    level, first, evaluated = maturity.evaluate(metrics, rules)
    tables = {t: _frame(runner.sql(f"SELECT * FROM {t}"), frames) for t in TABLES}
    findings = [
        Finding(c.for_policy(rules), _frame(runner.sql(_with_status(c)), frames))
        for c in all_checks()
    ]
    w = _row(runner, "assessment_window")
    window = {
        "start": _iso(w.get("start_at")),
        "end": _iso(w.get("end_at")),
        "days": None if w.get("days") is None else round(float(w["days"]), 2),
    }
    gaps = [
        f"{c.id} not evidenced: request {c.data_needed}"
        for c in evaluated
        if c.status == "not_evidenced"
    ]
    undated = metrics["metric_rotation"].get("undated") or 0
    if undated:
        gaps.append(f"{undated} live NHI secrets carry no creation or rotation date in any export")
    months = metrics["metric_issuance"].get("months_covered")
    if months is not None and months < DISCOVERY_MONTHS:
        gaps.append(
            f"the logs cover {months:.1f} months; the discovery audit looks back 6 to 12: "
            "request the CloudTrail trail in S3 (event history keeps 90 days), Entra audit "
            "logs from the Log Analytics workspace or its archive (the portal keeps 30 days), "
            "Okta's System Log from the SIEM (Okta keeps 90 days) and GitHub's audit-log "
            "stream (the audit log keeps 180 days)"
        )
    for e in accepted or []:
        if e.status == "expired":
            gaps.append(
                f"exception {e.number} ({e.check}, {e.scope}) expired on "
                f"{e.expires.isoformat()} and no longer applies"
            )
        elif e.status == "unmatched":
            gaps.append(f"exception {e.number} ({e.check}, {e.scope}) matches no finding")
    return Assessment(
        level, first, evaluated, window, metrics, tables, findings, rules, gaps, accepted or []
    )


def _with_status(check: Check) -> str:
    """A check's rows, each `open` or `accepted` (with who accepted it and until when)."""
    return f"""
        SELECT r.*, CASE WHEN x.check_id IS NOT NULL THEN 'accepted' ELSE 'open' END AS status,
               x.owner AS accepted_by, x.expires AS accepted_until
        FROM ({check.sql}) r
        LEFT JOIN (SELECT * FROM aa_exceptions WHERE active AND check_id = '{check.id}') x
          ON (x.identity_key IS NULL OR x.identity_key = r.identity_key)
         AND (x.credential_key IS NULL OR x.credential_key = r.credential_key)"""


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


__all__ = [
    "FRAMES",
    "METRIC_VIEWS",
    "TABLES",
    "Assessment",
    "Finding",
    "assess",
    "column",
    "display_name",
    "first_row",
    "mask",
    "records",
]
