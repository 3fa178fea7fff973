"""The ground truth of a generated enterprise: what a correct assessment must find.

Every list is computed from the population and from what was actually written (the tracker
of the generated events), so it describes the files, not the generator's intentions. The keys
are documented in docs/truth.md.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from agentaudit.synth.config import PROFILES
from agentaudit.synth.population import Population

if TYPE_CHECKING:
    from agentaudit.synth import _Tracker

ELEVATED = {"okta.*", "Directory.ReadWrite.All", "AdministratorAccess", "admin:org"}
ROTATABLE = {"access_key", "client_secret", "api_token", "personal_access_token", "certificate"}
SOURCE_FORMATS = {
    "okta": "okta_system_log",
    "entra_signin": "entra_signin",
    "entra_audit": "entra_audit",
    "cloudtrail": "cloudtrail",
    "github": "github_audit",
}


def _iso(dt) -> str | None:
    return None if dt is None else dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def truth_of(pop: Population, tracker: _Tracker, events: dict[str, int]) -> dict:
    cfg = pop.config
    end = pop.end
    stale_before = end - timedelta(days=90)
    active_people = {p.email for p in pop.people if p.status == "active"}
    nhis = [a for a in pop.accounts if not a.is_human]
    active = [a for a in nhis if a.decommissioned_at is None]

    def last_activity(a):
        seen = tracker.when(int(tracker.last_seen[a.idx]))
        report = a.extra.get("last_used")
        return max([t for t in (seen, report) if t is not None], default=None)

    dormant = sorted(
        a.key for a in active if (last_activity(a) or end - timedelta(days=10_000)) < stale_before
    )
    # a platform's agent registry lists an NHI as well as the inventory does
    shadow = sorted(a.key for a in nhis if not a.in_inventory and not a.extra.get("in_registry"))
    # and Microsoft Graph's, the resource each delegated permission grant names
    consented = sorted(
        {f"entra:{g.sp_id}" for g in pop.grants}
        | ({f"entra:{pop.graph_sp}"} if pop.grants else set())
    )
    consented_ai = sorted({f"entra:{g.sp_id}" for g in pop.grants if g.ai})
    orphaned = sorted(
        (
            {
                "identity_key": a.key,
                "owner": a.owner,
                "why": "missing" if not a.owner else "not an active employee",
            }
            for a in active
            if a.in_inventory and a.owner not in active_people
        ),
        key=lambda d: d["identity_key"],
    )
    live = [
        ci
        for ci, c in enumerate(pop.creds)
        if not c.void
        and (c.revoked_at is None or c.revoked_at > end)
        and pop.accounts[c.account].decommissioned_at is None
    ]
    dated = [
        ci
        for ci in live
        if pop.creds[ci].type in ROTATABLE and pop.creds[ci].created_at is not None
    ]
    undated = [
        ci for ci in live if pop.creds[ci].type in ROTATABLE and pop.creds[ci].created_at is None
    ]
    stale = [ci for ci in dated if pop.creds[ci].created_at < stale_before]
    reasons: dict[int, set[str]] = {ci: set(r) for ci, r in pop.shared.items()}
    for a in nhis:  # every key these accounts' workloads used is shared
        why = {
            "human_and_workload" if a.human_use and tracker.interactive[a.idx] else "",
            "multiple_workloads" if a.workloads else "",
        } - {""}
        replaced = [pop.creds[c].rotates_from for c in a.creds]
        for ci in a.creds + [c for c in replaced if c is not None]:
            if why and tracker.cred_last_used[ci] >= 0:
                reasons.setdefault(ci, set()).update(why)
    shared = [
        {
            "credential_key": pop.creds[ci].key,
            "identity_key": pop.accounts[pop.creds[ci].account].key,
            "reasons": sorted(r),
        }
        for ci, r in sorted(reasons.items())
        if r
    ]
    left = {p.email: p.termination_date for p in pop.people if p.termination_date}
    lifecycle = []
    for a in nhis:
        trigger = a.decommissioned_at
        if trigger is None and a.owner in left:
            from agentaudit.synth.population import _at  # noqa: PLC0415

            trigger = _at(left[a.owner])
        if trigger is None or trigger < pop.start or trigger > end or not a.creds:
            continue
        at_trigger = [
            c
            for c in a.creds
            if pop.creds[c].revoked_at is None or pop.creds[c].revoked_at >= trigger
        ]
        ok = all(
            pop.creds[c].revoked_at is not None
            and pop.creds[c].revoked_at <= trigger + timedelta(days=7)
            for c in at_trigger
        )
        lifecycle.append(
            {"identity_key": a.key, "trigger": _iso(trigger), "revoked_within_7_days": ok}
        )
    by_platform: dict[str, int] = {}
    for a in active:
        by_platform[a.platform] = by_platform.get(a.platform, 0) + 1
    n_humans = len(active_people)
    intended = (
        5
        if PROFILES.get(cfg.profile, (None, None))[1] is None
        else int(PROFILES[cfg.profile][1] and _level_of(PROFILES[cfg.profile][1]))
    )
    return {
        "generator": {"seed": cfg.seed, "profile": cfg.profile, "config": cfg.to_dict()},
        "window": {"start": _iso(pop.start), "end": _iso(end), "days": cfg.days},
        "maturity": {
            "intended_level": intended if cfg.profile in PROFILES else None,
            "first_failing_criterion": PROFILES[cfg.profile][1]
            if cfg.profile in PROFILES
            else None,
        },
        "events": {SOURCE_FORMATS[k]: v for k, v in events.items()},
        "humans": {
            "roster_total": len(pop.people),
            "roster_active": n_humans,
            "identities": sorted(
                a.key for a in pop.accounts if a.is_human and a.person is not None
            ),
        },
        "external_humans": {
            "identities": sorted(a.key for a in pop.accounts if a.is_human and a.person is None)
        },
        "nhis": {
            "active": len(active),
            "by_platform": dict(sorted(by_platform.items())),
            # with the service principals consents created (enterprise apps: NHIs that are
            # seen only as a target, never acting in the logs)
            "identities": sorted([a.key for a in nhis] + consented),
            "ai_agents": sorted([a.key for a in nhis if a.ai] + consented_ai),
            "target_only": consented,
            "decommissioned": sorted(a.key for a in nhis if a.decommissioned_at is not None),
        },
        "nhi_to_human_ratio": round(len(active) / n_humans, 4) if n_humans else None,
        "shared_credentials": shared,
        "shadow_agents": shadow,
        "orphaned_nhis": orphaned,
        "dormant_nhis": dormant,
        "privileged_nhis": sorted(
            a.key for a in nhis if a.in_inventory and ELEVATED & set(a.privileges)
        ),
        "credentials": {
            "stale": sorted(_dated_key(pop, ci) for ci in stale),
            "dated": sorted(_dated_key(pop, ci) for ci in dated),
            "undated": sorted(pop.creds[ci].key for ci in undated),
        },
        "anomalies": [
            {
                "identity_key": pop.accounts[an.account].key,
                "kind": an.kind,
                "date": an.day.isoformat(),
            }
            for an in pop.anomalies
        ],
        "alerts": [
            {
                "alert_id": al.alert_id,
                "identity_key": pop.accounts[al.account].key if al.account is not None else None,
                "automated": al.automated,
                "action": al.action,
                "detected_at": _iso(al.created_at),
                "action_at": _iso(al.action_at),
                "action_by": al.action_by,
            }
            for al in pop.alerts
        ],
        "revocations": [
            {
                "credential_key": pop.creds[ci].key,
                "identity_key": pop.accounts[pop.creds[ci].account].key,
                "at": _iso(when),
                "reason": why,
            }
            for ci, when, why in pop.revocations
        ],
        "lifecycle": sorted(lifecycle, key=lambda d: d["identity_key"]),
        "log_gap": None
        if pop.log_gap is None
        else {
            "source_format": "okta_system_log",
            "start": _iso(pop.log_gap[0]),
            "end": _iso(pop.log_gap[1]),
            "hours": cfg.log_gap_hours,
        },
        "interactive_nhis": sorted(a.key for a in nhis if tracker.interactive[a.idx]),
        "platform_agents": {
            "agents": sorted(a.key for a in nhis if a.kind in ("entra_agent", "okta_agent")),
            # each agent's blueprint (Okta agents have none)
            "parents": {
                a.key: next((b.key for b in nhis if b.kind == "entra_blueprint"), None)
                if a.kind == "entra_agent"
                else None
                for a in nhis
                if a.kind in ("entra_agent", "okta_agent")
            },
            "blueprint": next((a.key for a in nhis if a.kind == "entra_blueprint"), None),
            "registry_only": sorted(
                a.key for a in nhis if a.kind == "entra_agent" and not a.in_inventory
            ),
            "sponsors": {a.key: a.extra["sponsor"] for a in nhis if "sponsor" in a.extra},
            "delegations": sorted(
                {
                    (
                        pop.accounts[ag].key,
                        pop.accounts[p].name,
                        pop.people[pop.accounts[p].person].status != "active",
                    )
                    for ag, p, t0, t1 in pop.delegations
                    if t0 < t1
                }
            ),
        },
        "consents": [
            {
                "app": g.app,
                "app_id": g.app_id,
                "identity_key": f"entra:{g.sp_id}",
                "granted_by": pop.accounts[g.grantor].name,
                "consent_type": g.consent,
                "channel": "self_service" if g.consent == "user" else "admin",
                "scopes": g.scopes,
                "granted_at": _iso(g.at),
                "ai": g.ai,
                "created_service_principal": g.new_sp,
            }
            for g in sorted(pop.grants, key=lambda g: g.at)
        ],
    }


def _dated_key(pop: Population, ci: int) -> str:
    """The key of the export that dates a credential: AWS keys are dated by the credential
    report, which names its slot (it carries no key id); others by their own key."""
    c = pop.creds[ci]
    a = pop.accounts[c.account]
    if a.kind == "aws_user":
        return f"aws:{a.native_id}#access_key_1"
    return c.key


def _level_of(first_failing: str) -> int:
    """The level reached when `first_failing` is the first criterion that fails."""
    return {"D": 1, "G": 2, "M": 3, "F": 4}[first_failing[0]]
