"""Vectorised activity: every account's events in a span of days, plus the planted ones.

Events are numpy columns (time, account, action, ip, user agent, credential, outcome,
interactive) so that tens of millions are generated without a Python loop per event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa

from agentaudit.synth.population import BROWSER_UAS, Account, Population

US = 1_000_000
DAY = 86_400

# The actions each kind of account performs, with weights.
ACTIONS: dict[str, list[tuple[str, float]]] = {
    "okta_user": [
        ("user.session.start", 0.55),
        ("user.authentication.sso", 0.4),
        ("user.account.update_password", 0.05),
    ],
    "okta_client": [
        ("app.oauth2.as.token.grant.access_token", 0.9),
        ("app.oauth2.as.token.grant.refresh_token", 0.1),
    ],
    "okta_svc": [
        ("user.lifecycle.create", 0.2),
        ("group.user_membership.add", 0.4),
        ("user.account.update_profile", 0.4),
    ],
    "entra_user": [("Sign-in activity", 1.0)],
    "entra_sp": [("Sign-in activity", 1.0)],
    "entra_mi": [("Sign-in activity", 1.0)],
    "entra_sync": [("Update user", 0.9), ("Add user", 0.1)],
    "aws_human": [("ConsoleLogin", 0.2), ("DescribeInstances", 0.4), ("ListBuckets", 0.4)],
    "aws_user": [
        ("GetObject", 0.4),
        ("PutObject", 0.3),
        ("SendMessage", 0.2),
        ("GetSecretValue", 0.1),
    ],
    "aws_role": [
        ("GetCallerIdentity", 0.1),
        ("DescribeInstances", 0.3),
        ("PutObject", 0.3),
        ("Decrypt", 0.3),
    ],
    "aws_role_ai": [("InvokeModel", 0.7), ("GetObject", 0.2), ("Retrieve", 0.1)],
    # a GitHub Actions workflow exchanges its OIDC token for the role, then deploys
    "aws_role_oidc": [
        ("AssumeRoleWithWebIdentity", 0.2),
        ("GetCallerIdentity", 0.1),
        ("PutObject", 0.4),
        ("DescribeInstances", 0.3),
    ],
    "aws_sso": [("DescribeInstances", 0.5), ("ListBuckets", 0.3), ("GetCallerIdentity", 0.2)],
    "entra_guest": [("Sign-in activity", 1.0)],
    # an OAuth app acting with the token a member granted it (the member is the actor)
    "github_oauth": [
        ("issue_comment.create", 0.4),
        ("pull_request_review.submit", 0.3),
        ("git.clone", 0.3),
    ],
    "github_user": [
        ("git.push", 0.35),
        ("git.clone", 0.35),
        ("pull_request.merge", 0.2),
        ("repo.create", 0.1),
    ],
    "github_bot": [
        ("git.clone", 0.4),
        ("workflows.created_workflow_run", 0.4),
        ("pull_request.create", 0.2),
    ],
    "github_machine": [("git.clone", 0.5), ("git.push", 0.3), ("repo.download_zip", 0.2)],
    "okta_auto": [("app.oauth2.as.token.grant.access_token", 1.0)],
    "okta_agent": [("app.oauth2.as.token.grant.access_token", 1.0)],
    "entra_auto": [("Sign-in activity", 1.0)],
    "entra_agent": [("Sign-in activity", 1.0)],
    "entra_blueprint": [("Sign-in activity", 1.0)],
    "aws_auto": [("GetCallerIdentity", 1.0)],
}

SOURCES = {
    "okta": ("okta_user", "okta_client", "okta_svc", "okta_auto", "okta_agent"),
    "entra_signin": (
        "entra_user",
        "entra_guest",
        "entra_sp",
        "entra_mi",
        "entra_auto",
        "entra_agent",
        "entra_blueprint",
    ),
    "entra_audit": ("entra_sync",),
    "cloudtrail": ("aws_human", "aws_sso", "aws_user", "aws_role", "aws_auto"),
    "github": ("github_user", "github_bot", "github_machine", "github_oauth"),
}


def action_key(a: Account) -> str:
    """Which action table an account draws from."""
    if a.kind == "aws_role" and a.ai:
        return "aws_role_ai"
    if a.kind == "aws_role" and a.extra.get("runtime") == "oidc":
        return "aws_role_oidc"
    return a.kind


@dataclass
class Events:
    """A batch of events as parallel columns."""

    ts: np.ndarray  # int64 microseconds since epoch
    acct: np.ndarray  # int32
    action: np.ndarray  # object (str)
    ip: np.ndarray  # object
    ua: np.ndarray  # object
    cred: np.ndarray  # int32, -1: none named
    ok: np.ndarray  # bool
    interactive: np.ndarray  # int8: 1 true, 0 false, -1 unknown
    target: np.ndarray  # int32, -1: the account itself (lifecycle events name a target)
    grant: np.ndarray  # int32, -1: none (consent flow events name their grant)

    @staticmethod
    def empty() -> Events:
        return Events(
            np.zeros(0, np.int64),
            np.zeros(0, np.int32),
            np.zeros(0, object),
            np.zeros(0, object),
            np.zeros(0, object),
            np.zeros(0, np.int32),
            np.zeros(0, bool),
            np.zeros(0, np.int8),
            np.zeros(0, np.int32),
            np.zeros(0, np.int32),
        )

    @staticmethod
    def concat(parts: list[Events]) -> Events:
        parts = [p for p in parts if len(p.ts)]
        if not parts:
            return Events.empty()
        cols = {f: np.concatenate([getattr(p, f) for p in parts]) for f in Events.__annotations__}
        return Events(**cols)

    def sorted(self) -> Events:
        order = np.lexsort((self.acct, self.ts))
        return Events(**{f: getattr(self, f)[order] for f in Events.__annotations__})

    def where(self, mask: np.ndarray) -> Events:
        return Events(**{f: getattr(self, f)[mask] for f in Events.__annotations__})

    def to_arrow(self) -> pa.Table:
        return pa.table(
            {
                "seq": np.arange(len(self.ts), dtype=np.int64),
                "ts": pa.array(self.ts, pa.timestamp("us", tz="UTC")),
                "acct": self.acct,
                "action": pa.array(self.action, pa.string()),
                "ip": pa.array(self.ip, pa.string()),
                "ua": pa.array(self.ua, pa.string()),
                "cred": self.cred,
                "ok": self.ok,
                "interactive": self.interactive,
                "target": self.target,
                "grant": self.grant,
            }
        )


def _epoch_us(dt: datetime) -> int:
    return int(dt.timestamp()) * US


def base_events(
    pop: Population, source: str, day0: int, n_days: int, rng: np.random.Generator
) -> Events:
    """The ordinary activity of every account of a source over days [day0, day0 + n_days)."""
    accts = [a for a in pop.accounts if a.kind in SOURCES[source] and a.rate > 0]
    if not accts:
        return Events.empty()
    start_us = _epoch_us(pop.start) + day0 * DAY * US
    rate = np.array([a.rate for a in accts])
    prof = np.array([{"human": 0, "business": 1, "cron": 2}[a.profile] for a in accts])
    act_from = np.array([_epoch_us(a.active_from) for a in accts])
    act_to = np.array([_epoch_us(a.active_to) for a in accts])
    day_start = start_us + np.arange(n_days, dtype=np.int64) * DAY * US
    weekday = ((day_start // (DAY * US)) + 3) % 7  # 1970-01-01 was a Thursday (3)
    weekend = weekday >= 5
    factor = np.where(weekend[None, :], np.array([0.15, 0.05, 1.0])[prof][:, None], 1.0)
    lo = np.maximum(act_from[:, None], day_start[None, :])
    hi = np.minimum(act_to[:, None], day_start[None, :] + DAY * US)
    frac = np.clip((hi - lo) / (DAY * US), 0, 1)
    counts = rng.poisson(rate[:, None] * factor * frac)
    a_idx = np.repeat(np.repeat(np.arange(len(accts)), n_days), counts.ravel())
    d_idx = np.repeat(np.tile(np.arange(n_days), len(accts)), counts.ravel())
    n = len(a_idx)
    p = prof[a_idx]
    hours = np.where(
        p == 2,
        rng.uniform(0, 24, n),
        np.where(
            p == 1,
            rng.uniform(8, 18, n),
            np.where(
                rng.random(n) < 0.9,
                np.clip(rng.normal(13, 2.5, n), 6, 22.99),
                rng.uniform(0, 24, n),
            ),
        ),
    )
    ts = day_start[d_idx] + (hours * 3600 * US).astype(np.int64)
    keep = (ts >= act_from[a_idx]) & (ts < act_to[a_idx])
    a_idx, ts = a_idx[keep], ts[keep]
    n = len(ts)
    acct_ids = np.array([a.idx for a in accts], dtype=np.int32)[a_idx]
    actions = np.empty(n, object)
    for k, acct_list in _group(accts, a_idx).items():
        table = ACTIONS[k]
        names = np.array([t[0] for t in table], object)
        w = np.array([t[1] for t in table])
        actions[acct_list] = names[rng.choice(len(names), len(acct_list), p=w / w.sum())]
    ips = np.array([a.ip for a in accts], object)[a_idx]
    uas = np.array([a.ua for a in accts], object)[a_idx]
    # several workloads share one key: spread its events over their user agents and networks
    for j, a in enumerate(accts):
        if a.workloads:
            sel = np.flatnonzero(a_idx == j)
            pick = rng.integers(0, len(a.workloads), len(sel))
            uas[sel] = np.array([w[0] for w in a.workloads], object)[pick]
            ips[sel] = np.array([w[1] for w in a.workloads], object)[pick]
    human = np.array([a.is_human for a in accts])[a_idx]
    ok = rng.random(n) >= np.where(human, 0.04, 0.015)
    interactive = np.where(human, 1, 0).astype(np.int8)
    cred = _current_cred(pop, acct_ids, ts)
    none = np.full(n, -1, np.int32)
    return Events(ts, acct_ids, actions, ips, uas, cred, ok, interactive, none, none.copy())


def _group(accts: list, a_idx: np.ndarray) -> dict[str, np.ndarray]:
    keys = np.array([action_key(a) for a in accts], object)[a_idx]
    return {k: np.flatnonzero(keys == k) for k in np.unique(keys)} if len(keys) else {}


def _current_cred(pop: Population, acct_ids: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """The credential each event used: the replaced key before a rotation, the new one after."""
    out = np.full(len(acct_ids), -1, np.int32)
    for a in {int(x) for x in np.unique(acct_ids)}:
        creds = pop.accounts[a].creds
        if not creds:
            continue
        sel = acct_ids == a
        current = creds[-1]
        c = pop.creds[current]
        if c.rotates_from is not None and c.created_at is not None:
            before = sel & (ts < _epoch_us(c.created_at))
            out[before] = c.rotates_from
            out[sel & ~before] = current
        else:
            out[sel] = current
    return out


def planted_events(
    pop: Population, source: str, lo: datetime, hi: datetime, rng: np.random.Generator
) -> Events:
    """Anomalies and human use of NHI accounts that fall in [lo, hi) for this source."""
    parts = []
    kinds = SOURCES[source]
    for an in pop.anomalies:
        a = pop.accounts[an.account]
        if a.kind not in kinds or not (lo <= an.start < hi):
            continue
        if an.kind == "volume_spike":
            n = int(max(120, 12 * a.rate))
            offs = rng.uniform(0, 10 * 3600, n)
        else:
            n = an.events
            offs = (
                rng.uniform(0, 1.5 * 3600, n)
                if an.kind == "off_hours"
                else rng.uniform(0, 6 * 3600, n)
            )
        ts = np.sort(_epoch_us(an.start) + (offs * US).astype(np.int64))
        ev = _rows(pop, a.idx, ts, rng, ip=an.ip or None)
        ev.ok = ts < _epoch_us(a.active_to)  # after the revocation, attempts are refused
        parts.append(ev)
    for a in pop.accounts:
        if not a.human_use or a.kind not in kinds:
            continue
        days = np.arange((lo - pop.start).days, min((hi - pop.start).days, pop.config.days))
        weekdays = [d for d in days if (pop.start + timedelta(days=int(d))).weekday() < 5]
        chosen = [d for d in weekdays if rng.random() < 0.25]
        if not chosen:
            continue
        ts = np.array(
            [
                _epoch_us(pop.start + timedelta(days=int(d), hours=float(rng.uniform(9, 17))))
                for d in chosen
            ],
            np.int64,
        )
        ts = ts[(ts < _epoch_us(a.active_to)) & (ts < _epoch_us(hi))]
        person_ua = BROWSER_UAS[a.idx % len(BROWSER_UAS)]
        ev = _rows(pop, a.idx, ts, rng, ua=person_ua, ip="203.0.113.200", interactive=1)
        if a.kind == "aws_user":
            ev.action[:] = "ConsoleLogin"
            ev.cred[:] = -1  # a console sign-in uses the password, not the access key
        elif a.kind == "okta_svc":
            ev.action[:] = "user.session.start"
            ev.cred[:] = -1
        else:  # a person at github.com as the machine user
            ev.action[:] = "repo.update"
            ev.cred[:] = -1
        parts.append(ev)
    if source == "github":
        parts += _github_grants(pop, lo, hi, rng)
    return Events.concat(parts)


def _github_grants(
    pop: Population, lo: datetime, hi: datetime, rng: np.random.Generator
) -> list[Events]:
    """Members installing GitHub Apps on repositories and authorising OAuth apps: events of
    the app (the member is the actor the log names), as the audit log records them."""
    parts = []
    for a in pop.accounts:
        when: list[tuple[datetime, str]] = []
        if a.kind == "github_bot" and not a.dormant and a.rate > 0:
            at = pop.start + timedelta(days=a.idx % max(pop.config.days - 1, 1), hours=10)
            when.append((at, "integration_installation.repositories_added"))
        elif a.kind == "github_oauth" and a.active_from and a.active_from > pop.start:
            at = a.active_from - timedelta(minutes=10)
            when += [
                (at, "oauth_authorization.create"),
                (at + timedelta(seconds=2), "oauth_access.create"),
            ]
        when = [(t, name) for t, name in when if lo <= t < hi and t < a.active_to]
        if not when:
            continue
        ts = np.array([_epoch_us(t) for t, _ in when], np.int64)
        ev = _rows(pop, a.idx, ts, rng)
        ev.action[:] = [name for _, name in when]
        ev.cred[:] = -1
        parts.append(ev)
    return parts


def _rows(
    pop: Population,
    acct: int,
    ts: np.ndarray,
    rng: np.random.Generator,
    ip: str | None = None,
    ua: str | None = None,
    interactive: int = 0,
) -> Events:
    a = pop.accounts[acct]
    n = len(ts)
    table = ACTIONS[action_key(a)]
    names = np.array([t[0] for t in table], object)
    w = np.array([t[1] for t in table])
    acct_ids = np.full(n, acct, np.int32)
    return Events(
        ts.astype(np.int64),
        acct_ids,
        names[rng.choice(len(names), n, p=w / w.sum())],
        np.full(n, ip or a.ip, object),
        np.full(n, a.ua if ua is None else ua, object),
        _current_cred(pop, acct_ids, ts),
        np.ones(n, bool),
        np.full(n, interactive, np.int8),
        np.full(n, -1, np.int32),
        np.full(n, -1, np.int32),
    )


def lifecycle_events(pop: Population, source: str, lo: datetime, hi: datetime) -> Events:
    """Credential creation (rotation) and revocation, logged by the platform that holds it."""
    platform = {"okta": "okta", "entra_audit": "entra", "cloudtrail": "aws"}.get(source)
    if platform is None:
        return Events.empty()
    by_kind = {a.kind: a.idx for a in pop.accounts if a.kind.endswith("_auto")}
    admin = {
        "aws": pop.security_admin,
        "entra": _human_on(pop, "entra"),
        "okta": _human_on(pop, "okta"),
    }[platform]
    rows: list[tuple[int, int, str, int, int]] = []  # ts, target acct, action, cred, actor
    for ci, c in enumerate(pop.creds):
        a = pop.accounts[c.account]
        if a.platform != platform or c.void:
            continue
        if c.rotates_from is not None and c.created_at and lo <= c.created_at < hi:
            rows.append((_epoch_us(c.created_at), a.idx, "create", ci, admin))
    for ci, when, why in pop.revocations:
        a = pop.accounts[pop.creds[ci].account]
        if a.platform != platform or not (lo <= when < hi):
            continue
        actor = admin
        if why == "alert":
            alert = next(al for al in pop.alerts if al.account == a.idx)
            if alert.action_by == "automation":
                actor = by_kind[f"{platform}_auto"]
        rows.append((_epoch_us(when), a.idx, "revoke", ci, actor))
    if not rows:
        return Events.empty()
    ts, target, kind, cred, actor = (np.array(x) for x in zip(*rows, strict=True))
    names = {
        "aws": {"create": "CreateAccessKey", "revoke": "DeleteAccessKey"},
        "entra": {
            "create": "Add service principal credentials",
            "revoke": "Remove service principal credentials",
        },
        "okta": {"create": "system.api_token.create", "revoke": "system.api_token.revoke"},
    }
    action = np.array([names[platform][k] for k in kind], object)
    actors = np.array(actor, np.int32)
    ip = np.array([pop.accounts[x].ip for x in actors], object)
    ua = np.array([pop.accounts[x].ua for x in actors], object)
    n = len(ts)
    return Events(
        ts.astype(np.int64),
        actors,
        action,
        ip,
        ua,
        cred.astype(np.int32),
        np.ones(n, bool),
        np.zeros(n, np.int8),
        target.astype(np.int32),
        np.full(n, -1, np.int32),
    )


def consent_events(pop: Population, source: str, lo: datetime, hi: datetime) -> Events:
    """Consent flows in [lo, hi), as Entra's audit log writes each: the app's service
    principal created (by its first consent), the delegated permission grant, the consent;
    one correlation id, a few milliseconds apart, initiated by the consenting person. In the
    sign-in log, the employee's sign-ins to the app they consented to."""
    if source not in ("entra_audit", "entra_signin"):
        return Events.empty()
    rows: list[tuple[int, int, str, int]] = []  # ts, grantor, action, grant
    for gi, g in enumerate(pop.grants):
        t = _epoch_us(g.at)
        if source == "entra_signin":
            # the person who consented signs in to the app: the sign-in the consent prompt
            # was part of, then again the next two days
            for day in range(3):
                at = g.at + timedelta(days=day, seconds=1)
                if lo <= at < hi and at < pop.end:
                    rows.append((_epoch_us(at), g.grantor, "Sign-in activity", gi))
            continue
        if not (lo <= g.at < hi):
            continue
        if g.new_sp:
            rows.append((t, g.grantor, "Add service principal", gi))
        rows.append((t + 120_000, g.grantor, "Add delegated permission grant", gi))
        rows.append((t + 130_000, g.grantor, "Consent to application", gi))
    if not rows:
        return Events.empty()
    ts, acct, action, grant = (np.array(x) for x in zip(*rows, strict=True))
    n = len(ts)
    return Events(
        ts.astype(np.int64),
        acct.astype(np.int32),
        action.astype(object),
        np.array([pop.accounts[x].ip for x in acct], object),
        np.array([pop.accounts[x].ua for x in acct], object),
        np.full(n, -1, np.int32),
        np.ones(n, bool),
        np.full(n, 1 if source == "entra_signin" else 0, np.int8),
        np.full(n, -1, np.int32),
        grant.astype(np.int32),
    )


def delegation_events(pop: Population, source: str, lo: datetime, hi: datetime) -> Events:
    """An agent acting for a person, every third day at mid-morning while the chain lasts:
    in Entra the person's sign-in through the agent (the user is the subject, the agent
    identity the client; the agent is the event's target), in Okta the agent's ID-JAG
    exchange for the person (the person is the target)."""
    platform = {"entra_signin": "entra", "okta": "okta"}.get(source)
    if platform is None or not pop.delegations:
        return Events.empty()
    rows: list[tuple[int, int, int]] = []  # ts, actor, other
    for agent, person, t0, t1 in pop.delegations:
        if pop.accounts[agent].platform != platform:
            continue
        day = t0.replace(hour=10, minute=0, second=0, microsecond=0)
        while day < min(t1, hi):
            at = day + timedelta(minutes=person % 50)
            if lo <= at < hi and t0 <= at < t1:
                # Entra logs the person's sign-in through the agent; Okta the agent's ID-JAG
                # exchange for the person
                rows.append(
                    (_epoch_us(at), person, agent)
                    if platform == "entra"
                    else (_epoch_us(at), agent, person)
                )
            day += timedelta(days=3)
    if not rows:
        return Events.empty()
    ts, acct, agent = (np.array(x) for x in zip(*rows, strict=True))
    n = len(ts)
    action = "Sign-in activity" if platform == "entra" else "app.oauth2.token.grant.id_jag"
    return Events(
        ts.astype(np.int64),
        acct.astype(np.int32),
        np.full(n, action, object),
        np.array([pop.accounts[x].ip for x in acct], object),
        np.array([pop.accounts[x].ua for x in acct], object),
        np.full(n, -1, np.int32),
        np.ones(n, bool),
        np.zeros(n, np.int8),
        agent.astype(np.int32),
        np.full(n, -1, np.int32),
    )


def _human_on(pop: Population, platform: str) -> int:
    security = {p_i for p_i, p in enumerate(pop.people) if p.department == "Security"}
    return next(
        a.idx
        for a in pop.accounts
        if a.platform == platform and a.is_human and a.person in security
    )
