"""The agent-IAM maturity criteria D1…F3, evaluated from the metric views.

A criterion is `pass`, `fail` or `not_evidenced` (the data that would evidence it was not
supplied: the export to request is named). The level is the highest L whose criteria of
levels 2..L all pass; every organisation is at least level 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

LEVELS = {1: "Ad-hoc", 2: "Discovery", 3: "Governance", 4: "Detection", 5: "Full governance"}
DISTRIBUTION = {1: 0.46, 2: 0.32, 3: 0.14, 4: 0.06, 5: 0.02}  # CSA 2026, approximate

Metrics = dict[str, dict[str, Any]]


@dataclass
class Criterion:
    """One criterion's definition and, once evaluated, its result."""

    id: str
    level: int
    title: str
    measured_as: str
    evidence_view: str
    data_needed: str
    evaluate: Callable[[Metrics, dict[str, Any]], tuple[str, Any, Any, str]] = field(repr=False)
    # (`measured_as` is a template over the policy: `{review_days}`, filled when evaluated)
    status: str = ""
    value: Any = None
    threshold: Any = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "title": self.title,
            "status": self.status,
            "value": self.value,
            "threshold": self.threshold,
            "detail": self.detail,
            "measured_as": self.measured_as,
            "evidence_view": self.evidence_view,
            "data_needed": self.data_needed if self.status == "not_evidenced" else None,
        }


def _r(x: Any) -> Any:
    return round(float(x), 4) if x is not None else None


# A criterion whose denominator is empty has no verdict: no NHI, no measure.
_NO_NHIS = "no active NHI in the exports to measure"


def _share(ok: bool, value: Any) -> str:
    return "pass" if ok else "fail"


@dataclass(frozen=True)
class ShareRule:
    """The shape most criteria share: one share from one metric view against one policy
    threshold. `detail` and the two guards' texts are templates over the view's row and the
    policy (`{seen_and_listed} of {seen} ...`, `{review_days}`)."""

    view: str
    value: str  # the column holding the share
    threshold: str  # the policy key it is held against
    direction: str  # min: the share must reach it; max: it must not exceed it
    detail: str
    missing: str  # detail when the view is not evidenced (the data is not supplied)
    denominator: str  # column that must be non-zero for a verdict
    empty: str = _NO_NHIS  # detail when the denominator is zero
    extra: tuple[tuple[str, str], ...] = ()  # more (threshold name, policy key) pairs shown

    def __call__(self, m: Metrics, p: dict) -> tuple:
        row = m[self.view]
        t = {self.direction: p[self.threshold], **{k: p[key] for k, key in self.extra}}
        words = {**p, **row}
        if not row["evidenced"]:
            return "not_evidenced", None, t, self.missing.format_map(words)
        if not row[self.denominator]:
            return "not_evidenced", None, t, self.empty.format_map(words)
        v = row[self.value] or 0.0
        ok = v >= p[self.threshold] if self.direction == "min" else v <= p[self.threshold]
        return _share(ok, v), _r(v), t, self.detail.format_map(words)


_d1 = ShareRule(
    "metric_inventory_coverage",
    "coverage",
    "inventory_coverage_min",
    "min",
    "{seen_and_listed} of {seen} NHIs seen in the exports are inventoried",
    missing="no inventory supplied",
    denominator="seen",
)
_d3 = ShareRule(
    "metric_reviews",
    "reviewed_share",
    "reviewed_share_min",
    "min",
    "{reviewed} of {inventoried} inventoried agents reviewed in the last {review_days} days",
    missing="the inventory gives no review dates",
    denominator="inventoried",
    empty="the inventory lists no agent",
    extra=(("days", "review_days"),),
)
_g2 = ShareRule(
    "metric_rotation",
    "rotated_share",
    "rotated_share_min",
    "min",
    "{fresh} of {dated} dated NHI secrets rotated in the last {rotation_days} days; "
    "{undated} undated (a data gap)",
    missing="no export dates any NHI secret",
    denominator="dated",
    empty="not measurable: {undated} of {undated} undated",
    extra=(("days", "rotation_days"),),
)
_g3 = ShareRule(
    "metric_owner_coverage",
    "owner_share",
    "owner_share_min",
    "min",
    "{owned} of {nhis} active NHIs owned by an active employee",
    missing="owners need both the inventory and the HR roster",
    denominator="nhis",
)
_m1 = ShareRule(
    "metric_monitoring",
    "monitored_share",
    "monitored_share_min",
    "min",
    "{visible} of {nhis} active NHIs visible in the logs",
    missing="no logs supplied",
    denominator="nhis",
)
_m3 = ShareRule(
    "metric_alerts",
    "automated_share",
    "automated_alert_share_min",
    "min",
    "{automated_alerts} of {alert_count} NHI alerts raised by automation",
    missing="no alert names an NHI, so none can be automated",
    denominator="alert_count",
    empty="no alert names an NHI, so none can be automated",
)


def _d2(m: Metrics, p: dict) -> tuple:
    row = m["metric_inventory_coverage"]
    if not row["evidenced"]:
        return "not_evidenced", None, {"max": p["shadow_share_max"]}, "no inventory supplied"
    if not row["inventoried"] and not row["shadow"]:
        return "not_evidenced", None, {"max": p["shadow_share_max"]}, _NO_NHIS
    v = row["shadow_share"] if row["shadow_share"] is not None else 1.0
    return (
        _share(v <= p["shadow_share_max"], v),
        _r(v),
        {"max": p["shadow_share_max"]},
        f"{row['shadow']} shadow NHIs against {row['inventoried']} inventoried",
    )


def _g1(m: Metrics, p: dict) -> tuple:
    shared, priv = m["metric_shared_credentials"], m["metric_privileged"]
    t = {
        "shared_max": p["shared_credential_share_max"],
        "privileged_max": p["privileged_share_max"],
    }
    if not shared["evidenced"] or not priv["evidenced"]:
        return "not_evidenced", None, t, "no NHI credentials or no inventory privileges"
    if not priv["nhis"]:
        return "not_evidenced", None, t, _NO_NHIS
    s = shared["shared_share"] or 0.0
    q = priv["privileged_share"] or 0.0
    ok = s <= p["shared_credential_share_max"] and q <= p["privileged_share_max"]
    return (
        ("pass" if ok else "fail"),
        {"shared_share": _r(s), "privileged_share": _r(q)},
        t,
        f"{shared['shared']} of {shared['credentials']} live NHI credentials shared; "
        f"{priv['privileged']} of {priv['nhis']} NHIs hold admin or wildcard privileges",
    )


def _m2(m: Metrics, p: dict) -> tuple:
    row = m["metric_alerts"]
    t = {"min_alerts": p["nhi_alerts_min"], "min_sources": 1}
    if not row["evidenced"]:
        return "not_evidenced", None, t, "no alerts export supplied"
    ok = row["alert_count"] >= p["nhi_alerts_min"] and row["sources"] >= 1
    return (
        ("pass" if ok else "fail"),
        {"nhi_alerts": row["alert_count"], "sources": row["sources"]},
        t,
        f"{row['alert_count']} alerts name an NHI, from {row['sources']} source(s)",
    )


def _f1(m: Metrics, p: dict) -> tuple:
    row = m["metric_revocations"]
    t = {
        "min_automated": p["automated_revocations_min"],
        "max_median_minutes": p["revocation_minutes_max"],
    }
    if not row["evidenced"]:
        return "not_evidenced", None, t, "no alerts or revocation events supplied"
    med = row["median_minutes"]
    ok = (
        row["automated_revocations"] >= p["automated_revocations_min"]
        and med is not None
        and med <= p["revocation_minutes_max"]
    )
    return (
        ("pass" if ok else "fail"),
        {"automated_revocations": row["automated_revocations"], "median_minutes": _r(med)},
        t,
        f"{row['automated_revocations']} of {row['revocations']} NHI credential revocations "
        f"by automation; median detection to revocation "
        f"{'n/a' if med is None else f'{med:.1f} min'}",
    )


def _f2(m: Metrics, p: dict) -> tuple:
    row = m["metric_audit_trail"]
    t = {"min": p["attributable_share_min"], "max_gap_hours": p["log_gap_hours_max"]}
    if not row["evidenced"]:
        return "not_evidenced", None, t, "no NHI events in the logs"
    v = row["attributable_share"] or 0.0
    gap = row["longest_gap_hours"] or 0.0
    ok = v >= p["attributable_share_min"] and gap <= p["log_gap_hours_max"]
    return (
        ("pass" if ok else "fail"),
        {"attributable_share": _r(v), "longest_gap_hours": _r(gap)},
        t,
        f"{row['attributable']} of {row['nhi_events']} NHI events attributable to one "
        f"identity and unshared credential; longest log gap {gap:.1f} h",
    )


def _f3(m: Metrics, p: dict) -> tuple:
    life, dormant = m["metric_lifecycle"], m["metric_dormant"]
    t = {"min_revoked": p["lifecycle_revoked_share_min"], "max_dormant": p["dormant_share_max"]}
    if not dormant["nhis"]:
        return "not_evidenced", None, t, _NO_NHIS
    revoked = life["revoked_share"] if life["nhis"] else None
    d = dormant["dormant_share"] or 0.0
    ok = (revoked is None or revoked >= p["lifecycle_revoked_share_min"]) and d <= p[
        "dormant_share_max"
    ]
    lead = (
        f"{life['revoked']} of {life['nhis']} NHIs whose owner left or that were "
        f"decommissioned had their credentials revoked within {p['lifecycle_revoke_days']} "
        "days"
        if life["nhis"]
        else "no NHI lost its owner or was decommissioned"
    )
    return (
        ("pass" if ok else "fail"),
        {"revoked_share": _r(revoked), "dormant_share": _r(d)},
        t,
        f"{lead}; {dormant['dormant']} of {dormant['nhis']} active NHIs dormant",
    )


def criteria() -> list[Criterion]:
    """Fresh, unevaluated criteria in the model's order."""
    c = Criterion
    return [
        c(
            "D1",
            2,
            "Agent inventory exists",
            "share of NHIs seen in the logs and credential exports that the inventory lists",
            "inventory_agents",
            "agent_inventory.csv",
            _d1,
        ),
        c(
            "D2",
            2,
            "Shadow agents tracked",
            "shadow NHIs as a share of inventoried NHIs",
            "shadow_agents",
            "agent_inventory.csv",
            _d2,
        ),
        c(
            "D3",
            2,
            "Manual access review",
            "share of inventoried NHIs reviewed in the last {review_days} days",
            "inventory_agents",
            "agent_inventory.csv with last_reviewed_at",
            _d3,
        ),
        c(
            "G1",
            3,
            "Scoped credentials",
            "share of live NHI credentials that are shared; share "
            "of NHIs holding admin or wildcard privileges",
            "shared_credentials",
            "agent_inventory.csv (privileges) and credential or sign-in logs",
            _g1,
        ),
        c(
            "G2",
            3,
            "Credential rotation",
            "share of dated NHI secrets created or rotated in the last {rotation_days} days",
            "credential_ages",
            "AWS credential report; Entra audit logs; Okta System Log",
            _g2,
        ),
        c(
            "G3",
            3,
            "Human owner assigned",
            "share of NHIs whose owner is an active employee",
            "orphaned_nhis",
            "agent_inventory.csv (owner_email) and hr_roster.csv",
            _g3,
        ),
        c(
            "M1",
            4,
            "Behavioural monitoring",
            "share of active NHIs visible in the logs",
            "nhis",
            "identity-provider and cloud audit logs",
            _m1,
        ),
        c(
            "M2",
            4,
            "Anomaly detection",
            "alerts naming an NHI in the window, and their sources",
            "nhi_alerts",
            "alerts.csv",
            _m2,
        ),
        c(
            "M3",
            4,
            "Automated alerts",
            "share of NHI alerts raised by automation",
            "nhi_alerts",
            "alerts.csv (automated)",
            _m3,
        ),
        c(
            "F1",
            5,
            "Auto-revocation",
            "revocations of NHI credentials by automation; median "
            "time from detection to revocation",
            "nhi_revocations",
            "alerts.csv (action, action_at, action_by) or revocation events",
            _f1,
        ),
        c(
            "F2",
            5,
            "Complete audit trail",
            "share of NHI events attributable to one identity "
            "and one unshared credential; longest gap in any source's log",
            "log_gaps",
            "complete logs for the window",
            _f2,
        ),
        c(
            "F3",
            5,
            "Lifecycle management",
            "NHIs whose owner left or that were decommissioned "
            "with credentials revoked within {lifecycle_revoke_days} days; NHIs dormant "
            "for {dormant_days} days",
            "lifecycle_revocations",
            "hr_roster.csv (termination dates), agent_inventory.csv (decommissioned_at)",
            _f3,
        ),
    ]


def evaluate(metrics: Metrics, policy: dict[str, Any]) -> tuple[int, str | None, list[Criterion]]:
    """Evaluate every criterion; return the level, the first criterion not passing, and all."""
    evaluated = criteria()
    for crit in evaluated:
        crit.measured_as = crit.measured_as.format_map(policy)  # thresholds in force
        crit.status, crit.value, crit.threshold, crit.detail = crit.evaluate(metrics, policy)
    first = next((c.id for c in evaluated if c.status != "pass"), None)
    level = 1
    for lvl in (2, 3, 4, 5):
        if all(c.status == "pass" for c in evaluated if 2 <= c.level <= lvl):
            level = lvl
        else:
            break
    return level, first, evaluated
