"""What the executive report says, as HTML fragments and plotly figures built from an
Assessment. The notebook only calls these; every string from a log is escaped here."""

from __future__ import annotations

import html
import json
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from agentaudit.assess import Assessment, display_name, mask
from agentaudit.assess.checks import OWASP_NHI
from agentaudit.assess.maturity import DISTRIBUTION, LEVELS

CHART_WIDTH = 620  # px: charts print without clipping on A4 / Letter
SEVERITY_COLOURS = {"critical": "#7f1d1d", "high": "#b91c1c", "medium": "#d97706", "low": "#2563eb"}
STATUS_COLOURS = {"pass": "#15803d", "fail": "#b91c1c", "not_evidenced": "#a16207"}

# Published reference figures (docs/maturity-model.md of the specification), with sources.
BENCHMARKS = [
    ("NHI-to-human ratio, minimum", "80 : 1", "CyberArk research"),
    (
        "NHI-to-human ratio, average enterprise",
        "100 : 1",
        "ManageEngine 2026 Identity Security Outlook",
    ),
    (
        "NHI-to-human ratio, high sectors",
        "up to 500 : 1",
        "ManageEngine 2026 Identity Security Outlook",
    ),
    (
        "Teams relying on shared API keys for agent-to-agent authentication",
        "45.6%",
        "CSA State of AI Cybersecurity 2026",
    ),
    (
        "Organisations treating AI agents as identity-bearing entities",
        "21.9%",
        "CSA State of AI Cybersecurity 2026",
    ),
    (
        "Organisations with confirmed or suspected AI-agent incidents in the past year",
        "88%",
        "CSA State of AI Cybersecurity 2026",
    ),
    (
        "Agents found beyond those documented, first systematic audit",
        "30–40% more",
        "industry deployment reports (Okta, CrowdStrike, others)",
    ),
    ("Maturity distribution L1..L5", "46 / 32 / 14 / 6 / 2 %", "CSA 2026 data, approximate"),
]

ACTIONS = [
    (
        "Shadow agent discovery audit",
        ("D1", "D2", "D3"),
        "Inventory every agent, sanctioned and not: register each shadow NHI with an owner and a "
        "purpose, or decommission it.",
    ),
    (
        "Scoped identity framework",
        ("G1", "G2", "G3"),
        "Unique credentials per agent, automatic rotation, and an active human owner for each.",
    ),
    (
        "Runtime behavioural monitoring",
        ("M1", "M2", "M3", "F1", "F2", "F3"),
        "Baselines per agent, alerts on deviation, and automated revocation on anomalies.",
    ),
]


def esc(value: Any) -> str:
    """HTML-escape anything (log strings are attacker-controlled)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return html.escape(str(value), quote=True)


def pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def section(title: str, body: str, anchor: str) -> str:
    return f'<section class="aa-section" id="{esc(anchor)}"><h2>{esc(title)}</h2>{body}</section>'


def table(df: pd.DataFrame, columns: dict[str, str] | None = None, limit: int | None = None) -> str:
    """An escaped HTML table of a DataFrame (`columns`: column -> heading)."""
    if columns:
        df = df[list(columns)].rename(columns=columns)
    if limit is not None:
        df = df.head(limit)
    head = "".join(f"<th>{esc(c)}</th>" for c in df.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{esc(v)}</td>" for v in r) + "</tr>"
        for r in df.itertuples(index=False)
    )
    return f'<table class="aa-table"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


class Charts:
    """Turns figures into HTML, embedding plotly.js once (the report loads nothing)."""

    def __init__(self) -> None:
        self.embedded = False

    def html(self, fig: go.Figure, height: int = 360) -> str:
        fig.update_layout(
            width=CHART_WIDTH,
            height=height,
            margin=dict(l=60, r=30, t=50, b=50),
            font=dict(family="Helvetica, Arial, sans-serif", size=12),
            paper_bgcolor="white",
            plot_bgcolor="white",
        )
        out = fig.to_html(
            full_html=False,
            include_plotlyjs=not self.embedded,
            config={"displayModeBar": False, "responsive": False},
        )
        self.embedded = True
        return f'<div class="aa-chart">{out}</div>'


def cover(
    a: Assessment,
    client: str,
    assessor: str,
    files: pd.DataFrame,
    version: str,
    date: str,
    logo_html: str = "",
) -> str:
    sources = files[files.status == "loaded"].groupby("format").size()
    src = ", ".join(f"{esc(k)} ({v} file{'s' if v > 1 else ''})" for k, v in sources.items())
    return f"""<section class="aa-cover">{logo_html}
<p class="aa-kicker">Non-human identity and agent-IAM assessment</p>
<h1>{esc(client)}</h1>
<table class="aa-facts">
<tr><th>Assessment window</th><td>{esc(a.window["start"])} to {esc(a.window["end"])}
 ({esc(a.window["days"])} days)</td></tr>
<tr><th>Data sources</th><td>{src or "none"}</td></tr>
<tr><th>Assessor</th><td>{esc(assessor)}</td></tr>
<tr><th>Report date</th><td>{esc(date)}</td></tr>
<tr><th>Tool</th><td>agentaudit {esc(version)}</td></tr>
</table>
<p class="aa-level">Agent-IAM maturity: <strong>level {a.level} — {esc(a.level_name)}</strong></p>
</section>"""


def _known_from(a: Assessment) -> str:
    """How the AI agents are known (docs/agents.md): the sentence the first question adds."""
    m = a.metrics.get("metric_native_agents", {})
    if not m.get("agents"):
        return ""
    return (
        f" Of the {m['agents']} AI agents, {m.get('platform', 0)} have an identity of their own "
        f"on an identity platform ({pct(m.get('native_share'))}; 21.9% of organisations treat "
        f"agents as identity-bearing entities), {m.get('inventory', 0)} are known only from the "
        f"inventory and {m.get('signature', 0)} only from their behaviour or name (user agent, "
        "model calls, the AI app catalogue)."
    )


def executive_summary(a: Assessment) -> str:
    t = a.tables
    o = a.overall()
    inv = a.metrics["metric_inventory_coverage"]
    shared = a.metrics["metric_shared_credentials"]
    rev = a.metrics["metric_revocations"]
    q1 = (
        f"{inv.get('shadow', 0)} NHIs active in the logs are missing from the inventory "
        f"(inventory coverage {pct(inv.get('coverage'))}); "
        f"{o['ai_agents']} of the {o['nhis']} active NHIs are AI agents."
        if inv.get("evidenced")
        else f"No agent inventory was supplied: none of the {o['nhis']} NHIs found in the logs "
        "can be named as sanctioned."
    ) + _known_from(a)
    q2 = (
        f"{shared.get('shared', 0)} of {shared.get('credentials', 0)} live NHI credentials "
        f"({pct(shared.get('shared_share'))}) are shared between identities or workloads; "
        f"{len(t['nhi_human_use'])} NHIs are also used interactively by people."
    )
    med = rev.get("median_minutes")
    q3 = (
        f"{rev.get('automated_revocations', 0)} of {rev.get('revocations', 0)} NHI credential "
        "revocations in the window were automated; the median time from detection to "
        f"revocation was {'not measurable' if med is None else f'{med:.0f} minutes'}."
    )
    nxt = (
        f"The next level is blocked by <strong>{esc(a.first_failing_criterion)}</strong> "
        f"({esc(a.criterion(a.first_failing_criterion).title)}: "
        f"{esc(a.criterion(a.first_failing_criterion).detail)})."
        if a.first_failing_criterion
        else "Every criterion passes."
    )
    return section(
        "Executive summary",
        f"""
<p class="aa-lead">The organisation is at <strong>level {a.level} ({esc(a.level_name)})</strong>
of 5 on the agent-IAM maturity model. {nxt}</p>
<ol class="aa-questions">
<li><h3>Can you name every AI agent operating in your environment?</h3><p>{esc(q1)}</p></li>
<li><h3>Does every agent have its own identity, or are agents sharing credentials?</h3>
<p>{esc(q2)}</p></li>
<li><h3>If an agent misbehaved right now, how quickly could you revoke its access?</h3>
<p>{esc(q3)}</p></li>
</ol>""",
        "summary",
    )


def maturity_charts(a: Assessment, charts: Charts) -> str:
    gauge = go.Figure(
        go.Indicator(
            mode="gauge+number",
            value=a.level,
            number={"suffix": " / 5"},
            title={"text": f"Maturity level: {a.level_name}"},
            gauge={
                "axis": {"range": [0, 5], "tickvals": [1, 2, 3, 4, 5]},
                "bar": {"color": "#1e3a8a"},
                "steps": [
                    {"range": [i - 1, i], "color": c}
                    for i, c in zip(
                        range(1, 6),
                        ["#fee2e2", "#ffedd5", "#fef9c3", "#dcfce7", "#bbf7d0"],
                        strict=True,
                    )
                ],
            },
        )
    )
    levels = [f"L{i} {LEVELS[i]}" for i in range(1, 6)]
    dist = go.Figure(
        go.Bar(
            x=levels,
            y=[100 * DISTRIBUTION[i] for i in range(1, 6)],
            marker_color=["#1e3a8a" if i == a.level else "#cbd5e1" for i in range(1, 6)],
            text=[f"{100 * DISTRIBUTION[i]:.0f}%" for i in range(1, 6)],
            textposition="outside",
        )
    )
    dist.update_layout(
        title="Where enterprises stand (CSA 2026); this client highlighted",
        yaxis_title="share of enterprises (%)",
        yaxis_range=[0, 55],
    )
    return section(
        "Maturity level",
        charts.html(gauge, 300)
        + charts.html(dist, 340)
        + "<p class='aa-note'>Source: CSA State of AI Cybersecurity 2026 "
        "(approximate distribution).</p>",
        "maturity",
    )


def kpis(a: Assessment, charts: Charts) -> str:
    o = a.overall()
    m = a.metrics
    native = m.get("metric_native_agents", {})
    ratio = o["ratio"]
    fig = go.Figure(
        go.Bar(
            y=[
                "This client",
                "Minimum (CyberArk)",
                "Average (ManageEngine)",
                "High sectors (ManageEngine)",
            ],
            x=[ratio or 0, 80, 100, 500],
            orientation="h",
            marker_color=["#1e3a8a", "#94a3b8", "#94a3b8", "#94a3b8"],
            text=[
                f"{ratio:.1f} : 1" if ratio is not None else "n/a",
                "80 : 1",
                "100 : 1",
                "500 : 1",
            ],
            textposition="outside",
        )
    )
    fig.update_layout(
        title="NHIs per human",
        xaxis_type="log",
        xaxis_title="NHIs per human",
        xaxis_range=[-0.5, 3.3],
        margin=dict(r=80),
    )
    inv = m["metric_inventory_coverage"]
    shadow_pct = (inv.get("shadow") or 0) / inv["inventoried"] if inv.get("inventoried") else None
    rows = pd.DataFrame(
        [
            (
                "NHI-to-human ratio",
                (f"{ratio:.1f} : 1" if ratio is not None else "n/a")
                + (f" ({o['unresolved']} unresolved beside it)" if o["unresolved"] else ""),
                "80 : 1 to 500 : 1",
                "CyberArk; ManageEngine 2026",
            ),
            (
                "AI agents among NHIs",
                f"{o['ai_agents']} of {o['nhis']}",
                "—",
                "",
            ),
            (
                "AI agents with a platform-native identity",
                f"{pct(native.get('native_share'))} ({native.get('platform', 0)} of "
                f"{native.get('agents', 0)})",
                "21.9% of organisations treat agents as identities",
                "CSA 2026",
            ),
            (
                "Shared NHI credentials",
                pct(m["metric_shared_credentials"].get("shared_share")),
                "45.6% of teams rely on shared API keys",
                "CSA 2026",
            ),
            (
                f"Stale NHI secrets (> {a.policy['rotation_days']} days)",
                stale_secrets(m["metric_rotation"]),
                "—",
                "",
            ),
            ("Owner coverage", pct(m["metric_owner_coverage"].get("owner_share")), "—", ""),
            (
                "Shadow agents beyond the inventory",
                pct(shadow_pct),
                "30–40% more than documented",
                "Okta, CrowdStrike, others",
            ),
        ],
        columns=["KPI", "This client", "Published figure", "Source"],
    )
    return section(
        "Headline KPIs against published benchmarks", charts.html(fig, 300) + table(rows), "kpis"
    )


def stale_secrets(rotation: dict[str, Any]) -> str:
    """The stale-secret KPI: a share of the dated secrets, and never a share of none."""
    undated = rotation.get("undated") or 0
    if not rotation.get("dated"):
        return f"not measurable: {undated} of {undated} undated" if undated else "n/a"
    share = pct((rotation.get("stale") or 0) / rotation["dated"])
    return f"{share} ({undated} undated)" if undated else share


def issuance_row(a: Assessment) -> str:
    """The discovery audit's figure beside D1 and D2: the share of NHIs, credentials and grants
    issued through self-service outside IT (shown against the policy, not scored)."""
    m = a.metrics.get("metric_issuance", {})
    limit = a.policy.get("self_service_issuance_share_max")
    grants = a.tables["ai_app_grants"]
    by_employees = int((grants["consent_type"] == "user").sum()) if len(grants) else 0
    detail = (
        f"{m.get('self_service', 0)} of {m.get('issued', 0)} issued in the window outside IT's "
        f"admins and automation; {by_employees} AI app grant(s) by employees"
        if m.get("issued")
        else "no issuance event in the logs"
    )
    return (
        "<tr class='aa-context'><td>D·</td><td>L2</td><td>Issuance outside IT (beside D1/D2, "
        "not scored)</td><td><span class='aa-status' style='background:#64748b'>context"
        f"</span></td><td>{esc(pct(m.get('self_service_share')))}</td>"
        f"<td>{esc(_fmt_value({'max': limit}))}</td><td>{esc(detail)}</td></tr>"
    )


def criteria_table(a: Assessment) -> str:
    rows = []
    for c in a.criteria:
        colour = STATUS_COLOURS[c.status]
        rows.append(
            f"<tr><td>{esc(c.id)}</td><td>L{c.level}</td><td>{esc(c.title)}</td>"
            f"<td><span class='aa-status' style='background:{colour}'>"
            f"{esc(c.status.replace('_', ' '))}</span></td>"
            f"<td>{esc(_fmt_value(c.value))}</td><td>{esc(_fmt_value(c.threshold))}</td>"
            f"<td>{esc(c.detail)}</td></tr>"
        )
        if c.id == "D2":
            rows.append(issuance_row(a))
    blocking = [c for c in a.criteria if c.level == a.level + 1 and c.status != "pass"]
    nxt = (
        ""
        if a.level == 5
        else "<h3>What stands between the client and level "
        + str(a.level + 1)
        + "</h3><ul>"
        + "".join(
            f"<li><strong>{esc(c.id)} {esc(c.title)}</strong>: {esc(c.detail)}"
            + (f" — request: {esc(c.data_needed)}" if c.status == "not_evidenced" else "")
            + "</li>"
            for c in blocking
        )
        + "</ul>"
    )
    cols = "".join(f'<col style="width:{w}%">' for w in (5, 6, 16, 10, 17, 14, 32))
    return section(
        "Maturity criteria",
        f"""<table class="aa-table aa-criteria"><colgroup>{cols}</colgroup>
<thead><tr><th>id</th>
<th>level</th><th>criterion</th><th>status</th><th>measured</th><th>threshold</th>
<th>evidence</th></tr></thead><tbody>{"".join(rows)}</tbody></table>{nxt}""",
        "criteria",
    )


def _fmt_value(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, dict):
        return "; ".join(f"{k.replace('_', ' ')} {_fmt_value(x)}" for k, x in v.items())
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def findings(a: Assessment, charts: Charts, examples: int = 3) -> str:
    active = [f for f in a.findings if f.count or f.accepted]
    counts = pd.DataFrame(
        [(f.check.id, f.check.severity, f.count) for f in active],
        columns=["check", "severity", "count"],
    )
    body = ""
    if not counts.empty:
        fig = go.Figure(
            [
                go.Bar(
                    x=counts[counts.severity == s]["count"],
                    y=counts[counts.severity == s]["check"],
                    name=s,
                    orientation="h",
                    marker_color=SEVERITY_COLOURS[s],
                )
                for s in SEVERITY_COLOURS
                if (counts.severity == s).any()
            ]
        )
        fig.update_layout(
            title="Findings by check and severity",
            barmode="stack",
            xaxis_title="offending rows",
            yaxis_autorange="reversed",
        )
        body += charts.html(fig, 120 + 28 * len(counts))
    names = a.names([k for f in active for k in f.rows.identity_key])
    for f in active:
        rows = f.rows.copy()
        rows["credential_key"] = rows["credential_key"].map(mask)
        who = rows.identity_key.map(lambda k: names.get(k, {"name": k}))
        rows["who"] = who.map(lambda n: n.get("name") or "")
        rows["kind"] = who.map(lambda n: n.get("kind") or "")
        body += f"""<div class="aa-finding aa-{esc(f.check.severity)}">
<h3>{esc(f.check.title)} <span class="aa-badge">{esc(f.check.severity)}</span>
<span class="aa-badge">{esc(f.check.owasp)} {esc(OWASP_NHI[f.check.owasp])}</span>
<span class="aa-badge">criterion {esc(f.check.criterion)}</span></h3>
<p><strong>{f.count}</strong> open instance{"s" if f.count != 1 else ""}{
            f", {f.accepted} accepted as risk exceptions" if f.accepted else ""
        } ({esc(f.check.id)}).
{esc(f.check.rationale)}</p>
{
            table(
                rows.sort_values("status", ascending=False),
                {
                    "who": "identity",
                    "kind": "kind",
                    "credential_key": "credential",
                    "evidence": "evidence",
                    "status": "status",
                    "identity_key": "key",
                },
                limit=examples,
            )
        }
<p class="aa-remediation"><strong>Remediation:</strong> {esc(f.check.remediation)}</p></div>"""
    if not active:
        body += "<p>No check found an offending row.</p>"
    return section("Findings", body, "findings")


def anomalies(a: Assessment, charts: Charts) -> str:
    an = a.tables["anomalies"]
    if an.empty:
        return section(
            "Behavioural anomalies",
            "<p>No NHI broke its behavioural baseline in the window.</p>",
            "anomalies",
        )
    alerted = set(a.tables["nhi_alerts"].identity_key)
    an = an.assign(alerted=an.identity_key.isin(alerted).map({True: "yes", False: "no"}))
    fig = go.Figure(
        [
            go.Scatter(
                x=an[an.kind == k].day,
                y=an[an.kind == k].score,
                mode="markers",
                name=k.replace("_", " "),
                marker=dict(size=11),
                text=an[an.kind == k].name.map(esc),
                hoverinfo="text+x+y",
            )
            for k in sorted(an.kind.unique())
        ]
    )
    fig.update_layout(
        title="Anomalies: how far above its own baseline each NHI went",
        yaxis_title="score (events / usual daily median)",
        xaxis_title="day",
    )
    return section(
        "Behavioural anomalies: what monitoring should have caught",
        charts.html(fig, 330)
        + table(
            an.sort_values("day"),
            {
                "day": "day",
                "name": "NHI",
                "kind": "anomaly",
                "events": "events",
                "reason": "why it breaks the baseline",
                "alerted": "alerted",
            },
        ),
        "anomalies",
    )


def _discovery_gap(a: Assessment) -> str | None:
    """The discovery audit's own figure for roadmap step 1: issuance outside IT above the
    policy's share (not a scored criterion, so the criteria alone would call the step done)."""
    m = a.metrics.get("metric_issuance", {})
    share, limit = m.get("self_service_share"), a.policy.get("self_service_issuance_share_max")
    if share is None or limit is None or share <= limit:
        return None
    return (
        f"{m.get('self_service', 0)} of {m.get('issued', 0)} NHIs, credentials and grants were "
        f"issued through self-service outside IT ({pct(share)}; policy: at most {pct(limit)})"
    )


def _identity_gap(a: Assessment) -> str | None:
    """Roadmap step 2's own figures: AI agents without an identity of their own, agents acting
    for people who left, people whose delegation reaches many agents."""
    m = a.metrics.get("metric_native_agents", {})
    if not m.get("agents"):
        return None
    notes = []
    if m.get("platform", 0) < m["agents"]:
        notes.append(
            f"{m['agents'] - m.get('platform', 0)} of {m['agents']} AI agents have no identity "
            f"of their own on an identity platform ({pct(m.get('native_share'))} do; "
            "21.9% of organisations treat agents as identities)"
        )
    if m.get("acting_for_leavers"):
        notes.append(f"{_n(m['acting_for_leavers'], 'agent')} acted for people who have left")
    if m.get("people_over_delegated"):
        notes.append(
            f"{_n(m['people_over_delegated'], 'person')} delegate to more than "
            f"{a.policy.get('delegation_agents_max')} agents"
        )
    return "; ".join(notes) or None


def roadmap(a: Assessment) -> str:
    failing = {c.id for c in a.criteria if c.status != "pass"}
    extra = {
        "Shadow agent discovery audit": _discovery_gap(a),
        "Scoped identity framework": _identity_gap(a),
    }
    items = []
    for title, crit, text in ACTIONS:  # the list numbers them
        mine = [c for c in a.criteria if c.id in crit and c.id in failing]
        notes = [f"{c.id}: {c.detail}" for c in mine] + ([extra[title]] if extra.get(title) else [])
        status = "in place — keep it" if not notes else "; ".join(notes)
        items.append(
            f"<li><h3>{esc(title)}</h3><p>{esc(text)}</p>"
            f"<p class='aa-note'>For this client: {esc(status)}</p></li>"
        )
    return section(
        "Remediation roadmap", f"<ol class='aa-roadmap'>{''.join(items)}</ol>", "roadmap"
    )


def _n(count: int, noun: str) -> str:
    """`1 account`, `2 accounts`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


CHANNEL_COLOURS = {"automation": "#1e3a8a", "admin": "#64748b", "self_service": "#d97706"}


def discovery(a: Assessment, charts: Charts) -> str:
    """The playbook's shadow agent discovery audit: issuance by month and channel, the AI apps
    employees connected, credentials issued and never used, and the answer to 'Can you name
    every AI agent?'."""
    ledger = a.tables["credential_issuance"]
    grants = a.tables["ai_app_grants"]
    m = a.metrics.get("metric_issuance", {})
    months = m.get("months_covered")
    o = a.overall()
    agents = a.tables["classified_identities"]
    agents = agents[(agents["class"] == "nhi") & agents["is_ai_agent"].fillna(False)]
    listed = int(agents["in_inventory"].fillna(False).sum())
    employee_grants = grants[grants["consent_type"] == "user"] if len(grants) else grants
    share = m.get("self_service_share")
    limit = a.policy.get("self_service_issuance_share_max")
    answer = (
        f"<p><strong>Can you name every AI agent?</strong> The exports show {o['ai_agents']} AI "
        f"agents; the inventory names {listed} of them. Employees connected "
        f"{len(employee_grants)} AI app grant(s) themselves. Of {m.get('issued', 0)} NHIs, "
        f"credentials and grants issued in the window, {m.get('self_service', 0)} "
        f"({pct(share)}) came through self-service outside IT (policy: at most {pct(limit)}); "
        f"{m.get('never_used', 0)} credential(s) were issued and never used.</p>"
    )
    cover = (
        f"<p class='aa-note'>The logs cover {months:.1f} months; the playbook looks back 6 to 12"
        + (" — request a longer export (see the data gaps)." if months < 6 else ".")
        + "</p>"
        if months is not None
        else ""
    )
    body = answer + cover
    if len(ledger):
        by_month = (
            ledger.assign(month=pd.to_datetime(ledger["issued_at"], utc=True).dt.strftime("%Y-%m"))
            .groupby(["month", "channel"])
            .size()
            .unstack(fill_value=0)
        )
        fig = go.Figure(
            [
                go.Bar(
                    name=ch.replace("_", " "),
                    x=list(by_month.index),
                    y=list(by_month[ch]),
                    marker_color=CHANNEL_COLOURS.get(ch, "#94a3b8"),
                )
                for ch in by_month.columns
            ]
        )
        fig.update_layout(
            barmode="stack",
            title="NHIs, credentials and grants issued, by month and channel",
            xaxis_type="category",
        )
        body += charts.html(fig, 320)
    if len(employee_grants):
        rows = employee_grants.assign(
            scopes=employee_grants["scopes"].map(
                lambda v: (
                    " ".join(map(str, v))
                    if hasattr(v, "__iter__") and not isinstance(v, str)
                    else ""
                )
            ),
            by=employee_grants["granted_by_person"].fillna(employee_grants["granted_by_name"]),
            when=pd.to_datetime(employee_grants["granted_at"], utc=True).dt.strftime("%Y-%m-%d"),
        )
        body += "<h3>AI apps employees connected themselves</h3>" + table(
            rows,
            {
                "app": "app",
                "catalogue_app": "recognised as",
                "scopes": "scopes",
                "by": "consented by",
                "when": "when",
                "in_inventory": "inventoried",
            },
            limit=30,
        )
    unused = (
        ledger[ledger["first_used_at"].isna() & ~ledger["created"].isin(["oauth_grant", "user"])]
        if len(ledger)
        else ledger
    )
    if len(unused):
        shown = unused.assign(
            when=pd.to_datetime(unused["issued_at"], utc=True).dt.strftime("%Y-%m-%d"),
            what=unused["for_name"].fillna(unused["for_id"]),
            credential=unused["credential_created"].map(
                lambda v: mask(v) if isinstance(v, str) and v else ""
            ),
        )
        body += "<h3>Issued and never used since</h3>" + table(
            shown,
            {
                "when": "issued",
                "created": "what",
                "what": "for",
                "credential": "credential",
                "issuer_name": "by",
                "channel": "channel",
            },
            limit=30,
        )
    return section("Shadow agent discovery audit", body, "discovery")


def identities(a: Assessment) -> str:
    """Who is who: identities by class and platform, the people behind the accounts, the
    accounts no person explains, and the consultant's overrides."""
    ci = a.tables["classified_identities"]
    ci = ci[ci.is_active]
    o = a.overall()
    labels = {
        "human": "people",
        "external_human": "external people",
        "nhi": "NHIs",
        "unresolved": "unresolved",
        "other": "other",
    }
    counts = (
        ci.groupby(["platform", "class"]).size().unstack(fill_value=0).reset_index()
        if not ci.empty
        else pd.DataFrame(columns=["platform"])
    ).rename(columns=labels)
    people = a.tables["people"]
    linked = people[people.identity_key.notna() & people.person.notna()]
    per_platform = (
        linked.groupby("platform").person.nunique().rename("people with an account").reset_index()
    )
    no_person = people[people.person.isna()]
    no_account = people[people.identity_key.isna() & people.active_employee.fillna(False)]
    bounds = ""
    if o["unresolved"]:
        low, high = o.get("ratio_low"), o.get("ratio_high")
        bounds = (
            f"<p>{o['unresolved']} identities are unresolved: the exports do not show whether a "
            "person or a workload uses them, so they count on neither side. Were they all "
            f"people, the ratio would be {'n/a' if low is None else f'{low:.1f} : 1'}; all "
            f"NHIs, {'n/a' if high is None else f'{high:.1f} : 1'}. Review them in "
            "identity_review.csv.</p>"
        )
    reviewed = ci[ci.overridden]
    body = (
        f"<p>{o['nhis']} NHIs, {o['humans']} people ({esc(o.get('humans_from') or '')}), "
        f"{o.get('external_humans', 0)} external people (guests, partners) and "
        f"{o['unresolved']} unresolved identities are active in the window.</p>"
        + bounds
        + "<h3>Identities by platform and class</h3>"
        + table(counts)
        + "<h3>People with accounts, per platform</h3>"
        + table(per_platform)
        + f"<p>{_n(no_account.person.nunique(), 'active employee')} with no account in the "
        f"exports; {_n(len(no_person), 'person-like account')} linked to no one in the HR "
        "roster.</p>"
        + table(
            no_person.assign(key=no_person.identity_key),
            {
                "account_name": "account",
                "platform": "platform",
                "class": "class",
                "status": "why",
                "key": "key",
            },
            limit=15,
        )
    )
    if not reviewed.empty:
        body += "<h3>Classification changed by the consultant's review</h3>" + table(
            reviewed.assign(who=reviewed.apply(display_name, axis=1)),
            {
                "who": "identity",
                "platform": "platform",
                "class": "decision",
                "rule_class": "the rules said",
                "override_reason": "reason",
                "override_reviewer": "reviewer",
            },
        )
    return section("Identities and the people behind them", body, "identities")


KNOWN_FROM = {
    "platform": "identity platform",
    "inventory": "client inventory only",
    "signature": "behaviour or name only",
}


def agent_identities(a: Assessment) -> str:
    """AI agents by how they are known, reconciled across the platform's registry, the client's
    inventory and the logs, grouped under their blueprint with their sponsor; the people agents
    act for (docs/agents.md)."""
    agents = a.tables["agent_reconciliation"]
    chains = a.tables["agent_delegations"]
    if not len(agents):
        return section(
            "Agent identities",
            "<p>No AI agent was found in the exports.</p>",
            "agents",
        )
    flags = ["in_registry", "in_inventory", "acted_in_logs"]
    agents = agents.assign(**{f: agents[f].fillna(False).astype(bool) for f in flags})
    counts = agents["known_from"].map(KNOWN_FROM).value_counts()
    body = "<p>" + "; ".join(f"{esc(k)}: {int(v)}" for k, v in counts.items()) + ".</p>"
    shown = agents.assign(
        known=agents["known_from"].map(KNOWN_FROM),
        blueprint=agents["parent_name"].fillna(agents["parent"]),
        sources=agents.apply(
            lambda r: ", ".join(
                name
                for name, flag in (
                    ("registry", r["in_registry"]),
                    ("inventory", r["in_inventory"]),
                    ("logs", r["acted_in_logs"]),
                )
                if bool(flag)
            ),
            axis=1,
        ),
    ).sort_values(["known_from", "blueprint", "name"], na_position="last")
    body += table(
        shown,
        {
            "name": "agent",
            "platform": "platform",
            "known": "known from",
            "blueprint": "blueprint",
            "sponsor": "sponsor / owner",
            "sources": "seen in",
            "status": "reconciliation",
        },
        limit=60,
    )
    if len(chains):
        chains = chains.assign(
            in_roster=chains["in_roster"].fillna(False).astype(bool),
            person_active=chains["person_active"].fillna(False).astype(bool),
        )
        left = chains[chains["in_roster"] & ~chains["person_active"]]
        body += (
            f"<h3>Agents acting for people</h3><p>{_n(len(chains), 'chain')} in the logs; "
            f"{_n(int(left['agent_key'].nunique()), 'agent')} acted for people who have left."
            "</p>"
        )
        body += table(
            chains.sort_values(["person_active", "agent_name"]),
            {
                "agent_name": "agent",
                "person": "acts for",
                "person_status": "employment",
                "events": "events",
                "last_at": "last",
            },
            limit=40,
        )
    return section("Agent identities", body, "agents")


def evidence_table(a: Assessment, evidence: dict[str, str]) -> str:
    """Each figure's source: the view or check behind it and the bundle's SQL file that
    reproduces it from the audit database."""
    from agentaudit.assess import views  # noqa: PLC0415

    measures = {d.name: d.measures for d in views.catalogue()}
    measures.update({f.check.id: f.check.title for f in a.findings})
    rows = pd.DataFrame(
        [
            {"figure": name, "what it measures": measures.get(name, ""), "query": path}
            for name, path in evidence.items()
        ],
        columns=["figure", "what it measures", "query"],
    )
    return table(rows)


def appendix(a: Assessment, files: pd.DataFrame, evidence: dict[str, str] | None = None) -> str:
    cov = files.assign(path=files.path.map(lambda p: str(p).rsplit("/", 1)[-1]))
    proof = (
        "<h3>Evidence: the query behind each figure</h3><p>Each file is in the assessment "
        "bundle handed over with this report; it runs in plain DuckDB on the audit database "
        "(<code>duckdb audit.duckdb &lt; bundle/evidence/…sql</code>).</p>"
        + evidence_table(a, evidence)
        if evidence
        else ""
    )
    gaps = "".join(f"<li>{esc(g)}</li>" for g in a.data_gaps) or "<li>none</li>"
    bench = pd.DataFrame(BENCHMARKS, columns=["figure", "value", "source"])
    return section(
        "Appendix: data coverage, methodology, data to request",
        f"""
<h3>Files loaded</h3>{
            table(
                cov,
                {
                    "path": "file",
                    "format": "format",
                    "status": "status",
                    "rows_read": "read",
                    "rows_loaded": "loaded",
                    "rows_rejected": "rejected",
                },
            )
        }
<p>Window: {esc(a.window["start"])} to {esc(a.window["end"])}. Every age and "in the last N days"
is measured at the end of the window, so the same data assessed again gives the same result.</p>
<h3>Data gaps and the data still to request</h3><ul>{gaps}</ul>
<h3>Methodology</h3>
<p>Every identity is classified person, external person, non-human or unresolved by the
first rule its evidence meets (inventory listing, vendor actor type and first-party apps,
federation such as AWS Identity Center or SAML, the HR roster, interactive sign-ins and MFA,
credential use), with a confidence; "matches no employee" alone never makes an NHI, and the
consultant's review file overrides a decision with a reason. AI agents are recognised by their
inventory kind, agent-framework or model-provider user agents and calls. Metrics are SQL over
the canonical tables; each criterion's figure can be reproduced from the named view in the
audit database. Thresholds are the maturity model's defaults unless a policy file overrides
them.</p>
<h3>Published figures used for benchmarking</h3>{table(bench)}{proof}""",
        "appendix",
    )


def changes(a: Assessment, previous: dict[str, Any] | None) -> str:
    """What changed since a previous assessment (its JSON), or nothing without one."""
    if not previous:
        return ""
    from agentaudit.diff import diff  # noqa: PLC0415

    current = json.loads(json.dumps(a.to_dict(), default=str))
    d = diff(previous, current)
    lvl = d["level"]
    crit = "".join(
        f"<tr><td>{esc(cid)}</td><td>{esc(ch['old']['status'])} "
        f"({esc(_fmt_value(ch['old']['value']))})</td><td>{esc(ch['new']['status'])} "
        f"({esc(_fmt_value(ch['new']['value']))})</td></tr>"
        for cid, ch in d["criteria"].items()
    )
    f = d["findings"]
    kpis = "".join(
        f"<li>{esc(k.replace('_', ' '))}: {esc(v['old'])} → {esc(v['new'])}</li>"
        for k, v in d["kpis"].items()
    )
    return section(
        "Since the previous assessment",
        f"""
<p>Level {lvl["old"]} → <strong>{lvl["new"]}</strong> ({lvl["change"]:+d}); first failing
criterion {esc(d["first_failing_criterion"]["old"])} →
{esc(d["first_failing_criterion"]["new"])}. Findings: {len(f["new"])} new,
{len(f["resolved"])} resolved, {len(f["still_open"])} still open.</p>
<ul>{kpis}</ul>
<table class="aa-table"><thead><tr><th>criterion</th><th>before</th><th>now</th></tr></thead>
<tbody>{crit}</tbody></table>""",
        "changes",
    )
