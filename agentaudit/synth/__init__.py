"""The synthetic enterprise generator: a whole fictional company's identity exports in the
vendor formats agentaudit reads, with the ground truth a correct assessment must find.

`generate(out_dir, config)` writes the exports and `truth.json`; same seed and parameters give
byte-identical files.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from agentaudit.readers import agent_inventory, alerts, hr_roster
from agentaudit.synth import activity, formats
from agentaudit.synth.activity import Events
from agentaudit.synth.config import PROFILES, SynthConfig, config_for
from agentaudit.synth.population import Population, build
from agentaudit.synth.truth import truth_of

__all__ = ["DEMO", "PROFILES", "SynthConfig", "SynthResult", "config_for", "generate"]

CHUNK_DAYS = 30
# The bundled demo enterprise in data/demo: `agentaudit synth data/demo --profile level3
# --seed 2026 --humans 30 --nhi-per-human 3 --events 20000`.
DEMO = {"profile": "level3", "seed": 2026, "humans": 30, "nhi_per_human": 3.0, "events": 20000}
TENANT = "6f1b0c2e-7a4d-4e8b-9c3f-2d5e8a1b4c7d"


@dataclass
class SynthResult:
    """What `generate` wrote."""

    out_dir: Path
    files: list[Path] = field(default_factory=list)
    events: dict[str, int] = field(default_factory=dict)
    truth: dict = field(default_factory=dict)

    @property
    def total_events(self) -> int:
        return sum(self.events.values())


def generate(
    out_dir: str | Path, config: SynthConfig, progress: Callable[[str, int], None] | None = None
) -> SynthResult:
    """Write the enterprise's exports into `out_dir/exports/` and `out_dir/truth.json`.

    `out_dir` is emptied first.

    `progress(label, events_written)` is called after each file, for a progress bar.
    """
    out = Path(out_dir)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    exports = out / "exports"
    exports.mkdir()
    pop = build(config)
    rng = np.random.default_rng([config.seed, 1])
    result = SynthResult(out)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("acc", _accounts_table(pop))
    con.register("cred", _creds_table(pop))
    con.register("consent", formats.consent_table(pop.grants, pop.accounts, pop.graph_sp))
    tracker = _Tracker(pop)
    pool = ThreadPoolExecutor(max_workers=1)  # gzip overlaps the next file's query
    for source in ("okta", "entra_signin", "entra_audit", "cloudtrail", "github"):
        result.events[source] = 0
        for day0 in range(0, config.days, CHUNK_DAYS):
            n_days = min(CHUNK_DAYS, config.days - day0)
            ev = _chunk(pop, source, day0, n_days, rng)
            tracker.see(source, ev)
            path = _write(con, pop, source, day0, ev, exports, pool)
            result.files.append(path)
            result.events[source] += len(ev.ts)
            if progress:
                progress(path.name, len(ev.ts))
    pool.shutdown(wait=True)
    result.files += _client_files(pop, tracker, exports)
    result.truth = truth_of(pop, tracker, result.events)
    (out / "truth.json").write_text(
        json.dumps(result.truth, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    result.files.append(out / "truth.json")
    con.close()
    return result


def _accounts_table(pop: Population) -> pa.Table:
    a = pop.accounts
    return pa.table(
        {
            "idx": [x.idx for x in a],
            "kind": [x.kind for x in a],
            "native_id": [x.native_id for x in a],
            "name": [x.name for x in a],
            "display": [x.display for x in a],
            "app_id": [x.extra.get("app_id") for x in a],
            "runtime": [x.extra.get("runtime") for x in a],
            "ip": [x.ip for x in a],
            "ua": [x.ua for x in a],
            "sso_role": [x.extra.get("role") for x in a],
            "member": [x.extra.get("member") for x in a],
            "home_tenant": [x.extra.get("home_tenant") for x in a],
            "parent_app": [x.extra.get("parent_app") for x in a],
            "parent_obj": [x.extra.get("parent_obj") for x in a],
            # the person's e-mail, as a SAML identity provider names them
            "email": [pop.people[x.person].email if x.person is not None else None for x in a],
        }
    )


def _creds_table(pop: Population) -> pa.Table:
    return pa.table(
        {
            "idx": list(range(len(pop.creds))),
            "id": [c.id for c in pop.creds],
            "type": [c.type for c in pop.creds],
        }
    )


def _chunk(
    pop: Population, source: str, day0: int, n_days: int, rng: np.random.Generator
) -> Events:
    lo = pop.start + timedelta(days=day0)
    hi = lo + timedelta(days=n_days)
    ev = Events.concat(
        [
            activity.base_events(pop, source, day0, n_days, rng),
            activity.planted_events(pop, source, lo, hi, rng),
            activity.lifecycle_events(pop, source, lo, hi),
            activity.consent_events(pop, source, lo, hi),
            activity.delegation_events(pop, source, lo, hi),
        ]
    )
    if pop.log_gap and source == "okta":
        g0, g1 = (int(t.timestamp()) * activity.US for t in pop.log_gap)
        ev = ev.where((ev.ts < g0) | (ev.ts >= g1))
    return ev.sorted()


def _write(
    con: duckdb.DuckDBPyConnection,
    pop: Population,
    source: str,
    day0: int,
    ev: Events,
    out: Path,
    pool: ThreadPoolExecutor,
) -> Path:
    cfg = pop.config
    stamp = (pop.start + timedelta(days=day0)).strftime("%Y%m%d")
    gz = ".gz" if cfg.gzip else ""
    con.register("ev", ev.to_arrow())
    common = dict(
        seed=f"{cfg.seed}/{day0}",
        domain=cfg.domain,
        tenant=TENANT,
        account=cfg.account_id,
        org=cfg.org,
    )
    if source == "cloudtrail" and cfg.cloudtrail_layout == "s3":
        path = out / "aws"  # AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/ below it
        formats.write_cloudtrail(
            con, path, None, **{k: common[k] for k in ("seed", "account", "org")}
        )
    elif source == "cloudtrail":
        path = (
            out
            / "aws"
            / "cloudtrail"
            / (f"{cfg.account_id}_CloudTrail_eu-west-1_{stamp}T0000Z_{cfg.seed:04d}.json.gz")
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        formats.write_cloudtrail(
            con, path, pool, **{k: common[k] for k in ("seed", "account", "org")}
        )
    else:
        template, folder, name = {
            "okta": (formats.OKTA, "okta", "system_log"),
            "entra_signin": (formats.ENTRA_SIGNIN, "entra", "signin_logs"),
            "entra_audit": (formats.ENTRA_AUDIT, "entra", "audit_logs"),
            "github": (formats.GITHUB, "github", "audit_log"),
        }[source]
        path = out / folder / f"{name}_{stamp}.ndjson{gz}"
        path.parent.mkdir(parents=True, exist_ok=True)
        n_users = sum(1 for a in pop.accounts if a.kind == "entra_user")
        params = dict(common, source=source, n_entra_users=n_users, saml=cfg.github_saml)
        keep = {"seed", "source"} | {k for k in params if "{" + k + "}" in template}
        layout = {"okta": cfg.okta_layout, "github": "api"}.get(source, cfg.entra_layout)
        formats.write_ndjson(
            con,
            template,
            path,
            cfg.gzip,
            layout=layout,
            **{k: v for k, v in params.items() if k in keep},
        )
    con.unregister("ev")
    return path


class _Tracker:
    """What the written logs contain, as the truth and the credential report need it."""

    def __init__(self, pop: Population) -> None:
        self.pop = pop
        n = len(pop.accounts)
        self.last_seen = np.full(n, -1, np.int64)  # any event as actor
        self.first_seen = np.full(n, np.iinfo(np.int64).max, np.int64)
        self.count = np.zeros(n, np.int64)
        self.cred_last_used = np.full(max(len(pop.creds), 1), -1, np.int64)
        self.interactive = np.zeros(n, bool)
        self.source_last: dict[str, list[int]] = {}

    def see(self, source: str, ev: Events) -> None:
        if not len(ev.ts):
            return
        np.maximum.at(self.last_seen, ev.acct, ev.ts)
        np.minimum.at(self.first_seen, ev.acct, ev.ts)
        np.add.at(self.count, ev.acct, 1)
        used = (ev.cred >= 0) & (ev.target < 0)
        np.maximum.at(self.cred_last_used, ev.cred[used], ev.ts[used])
        self.interactive[np.unique(ev.acct[ev.interactive == 1])] = True
        self.source_last.setdefault(source, []).extend(ev.ts[[0, -1]].tolist())

    def when(self, us: int) -> datetime | None:
        return None if us < 0 else datetime.fromtimestamp(us / 1e6, tz=self.pop.start.tzinfo)


def _fmt(dt: datetime | None, iso: bool = True) -> str:
    if dt is None:
        return ""
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ") if iso else dt.strftime("%Y-%m-%d")


def _client_files(pop: Population, tracker: _Tracker, out: Path) -> list[Path]:
    files = [_roster(pop, out), _inventory(pop, out), _alerts(pop, out)]
    files += _agent_registry(pop, out)
    if pop.config.credential_report:
        files.append(_credential_report(pop, tracker, out))
    return files


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def _roster(pop: Population, out: Path) -> Path:
    rows = [
        [
            p.employee_id,
            p.email,
            p.display,
            p.department,
            p.status,
            p.hire_date.isoformat(),
            p.termination_date.isoformat() if p.termination_date else "",
            p.manager_email,
        ]
        for p in pop.people
    ]
    return _write_csv(
        out / "hr_roster.csv",
        list(hr_roster.COLUMNS),
        rows,
    )


def inventory_platform_id(a) -> str:
    """How the client's register names an identity (AWS users by name, roles by ARN)."""
    if a.kind in ("aws_user",):
        return a.name
    if a.kind == "okta_svc":
        return a.name
    return a.native_id


def _inventory(pop: Population, out: Path) -> Path:
    rows = []
    for a in pop.accounts:
        if a.is_human or not a.in_inventory:
            continue
        replaced = {pop.creds[c].rotates_from for c in a.creds}
        creds = [pop.creds[c].id for c in a.creds if c not in replaced]
        creds += [pop.creds[c].id for c in pop.inventory_extra_creds.get(a.idx, [])]
        rows.append(
            [
                a.agent_id,
                a.display,
                "ai_agent" if a.ai else a.inventory_kind,
                a.platform,
                inventory_platform_id(a),
                ";".join(creds),
                a.owner,
                "true",
                ";".join(a.privileges),
                _fmt(a.created_at, iso=False),
                _fmt(a.reviewed_at, iso=False),
                _fmt(a.decommissioned_at),
                f"{a.display} ({a.kind.replace('_', ' ')})",
            ]
        )
    return _write_csv(
        out / "agent_inventory.csv",
        list(agent_inventory.COLUMNS),
        rows,
    )


def _alerts(pop: Population, out: Path) -> Path:
    rows = [
        [
            al.alert_id,
            _fmt(al.created_at),
            al.source,
            al.detection,
            al.severity,
            al.identity,
            "true" if al.automated else "false",
            al.action,
            _fmt(al.action_at),
            al.action_by,
        ]
        for al in sorted(pop.alerts, key=lambda x: x.created_at)
    ]
    return _write_csv(
        out / "alerts.csv",
        list(alerts.COLUMNS),
        rows,
    )


CREDENTIAL_REPORT_HEADER = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
]


NO_KEY = ["false", "N/A", "N/A", "N/A", "N/A"]  # an unused access-key slot of the report
NO_CERTS = ["false", "N/A", "false", "N/A"]  # both signing-certificate slots unused


def _iso(dt: datetime | None) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S+00:00") if dt else "N/A"


def _credential_report(pop: Population, tracker: _Tracker, out: Path) -> Path:
    """The IAM credential report as generated at the end of the window."""
    cfg = pop.config
    root_created = pop.start - timedelta(days=2000)
    rows = [
        [
            "<root_account>",
            f"arn:aws:iam::{cfg.account_id}:root",
            _iso(root_created),
            "not_supported",
            _iso(pop.start - timedelta(days=300)),
            "not_supported",
            "not_supported",
            "true",
            *NO_KEY,
            *NO_KEY,
            *NO_CERTS,
        ]
    ]
    for a in pop.accounts:
        if a.kind not in ("aws_human", "aws_user"):
            continue
        human = a.kind == "aws_human"
        password = human or a.human_use
        pw_used = tracker.when(int(tracker.last_seen[a.idx])) if password else None
        live = [
            c
            for c in a.creds
            if pop.creds[c].revoked_at is None or pop.creds[c].revoked_at > pop.end
        ]
        key = list(NO_KEY)
        if live:
            c = pop.creds[live[-1]]
            rotated = c.created_at or a.created_at
            used = tracker.when(int(tracker.cred_last_used[live[-1]]))
            used = used or a.extra.get("last_used")
            key = [
                "true",
                _iso(rotated),
                _iso(used) if used else "N/A",
                "eu-west-1" if used else "N/A",
                "s3" if used else "N/A",
            ]
        created = a.created_at or (pop.start - timedelta(days=500))
        rows.append(
            [
                a.name,
                a.native_id,
                _iso(created),
                "true" if password else "false",
                _iso(pw_used) if pw_used else ("no_information" if password else "N/A"),
                _iso(created) if password else "N/A",
                "N/A",
                "true" if human else "false",
                *key,
                *NO_KEY,
                *NO_CERTS,
            ]
        )
    return _write_csv(out / "aws" / "credential_report.csv", CREDENTIAL_REPORT_HEADER, rows)


def _agent_registry(pop: Population, out: Path) -> list[Path]:
    """The agent registries as the platforms export them: the tenant's Entra Agent ID objects
    as Microsoft Graph lists them (beta: the blueprint, its principal, the agent identities
    with their sponsors, `$expand=sponsors`), and Okta's AI agents API list."""
    paths = _okta_ai_agents(pop, out)
    if not pop.blueprint:
        return paths
    folder = out / "entra"
    folder.mkdir(parents=True, exist_ok=True)
    people = {p.email: p for p in pop.people}
    graph = "https://graph.microsoft.com/beta/$metadata#"

    def sponsor(email: str) -> list[dict]:
        p = people.get(email)
        user = next(a for a in pop.accounts if a.kind == "entra_user" and a.name == email)
        return [
            {
                "@odata.type": "#microsoft.graph.user",
                "id": user.native_id,
                "displayName": p.display if p else email,
                "userPrincipalName": email,
                "mail": email,
            }
        ]

    bp = pop.blueprint
    principal = next(a for a in pop.accounts if a.kind == "entra_blueprint")
    agents = [a for a in pop.accounts if a.kind == "entra_agent"]
    lists = {
        "agent_blueprints.json": (
            "applications/microsoft.graph.agentIdentityBlueprint(sponsors())",
            [
                {
                    "@odata.type": "#microsoft.graph.agentIdentityBlueprint",
                    "id": bp["object_id"],
                    "appId": bp["app_id"],
                    "displayName": bp["name"],
                    "identifierUris": [f"api://{bp['app_id']}"],
                    "createdDateTime": _fmt(principal.created_at),
                    "signInAudience": "AzureADMyOrg",
                    "sponsors": sponsor(principal.extra["sponsor"]),
                }
            ],
        ),
        "agent_blueprint_principals.json": (
            "servicePrincipals/microsoft.graph.agentIdentityBlueprintPrincipal(sponsors())",
            [
                {
                    "@odata.type": "#microsoft.graph.agentIdentityBlueprintPrincipal",
                    "id": principal.native_id,
                    "appId": bp["app_id"],
                    "displayName": bp["name"],
                    "createdDateTime": _fmt(principal.created_at),
                    "accountEnabled": True,
                    "servicePrincipalType": "Application",
                    "servicePrincipalNames": [bp["app_id"], f"api://{bp['app_id']}"],
                    "sponsors": sponsor(principal.extra["sponsor"]),
                }
            ],
        ),
        "agent_identities.json": (
            "servicePrincipals/microsoft.graph.agentIdentity(sponsors())",
            [
                {
                    "@odata.type": "#microsoft.graph.agentIdentity",
                    "id": a.native_id,
                    "appId": a.native_id,
                    "displayName": a.display,
                    "createdDateTime": _fmt(a.created_at),
                    "createdByAppId": bp["app_id"],
                    "agentIdentityBlueprintId": bp["app_id"],
                    "accountEnabled": True,
                    "servicePrincipalType": "ServiceIdentity",
                    "tags": [],
                    "sponsors": sponsor(a.extra["sponsor"]),
                }
                for a in agents
            ],
        ),
    }
    for name, (context, value) in lists.items():
        path = folder / name
        doc = {"@odata.context": graph + context, "value": value}
        path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def _okta_ai_agents(pop: Population, out: Path) -> list[Path]:
    """`GET /workload-principals/api/v1/ai-agents`, as its `{"data": [...], "_links"}` page."""
    agents = [a for a in pop.accounts if a.kind == "okta_agent"]
    if not agents:
        return []
    base = f"https://{pop.config.domain}/workload-principals/api/v1/ai-agents"
    doc = {
        "data": [
            {
                "id": a.native_id,
                "created": _fmt(a.created_at),
                "lastUpdated": _fmt(a.created_at),
                "status": "ACTIVE",
                "source": "MANUAL",
                "profile": {"name": a.display, "description": a.display},
                "_links": {
                    "self": {"rel": "self", "href": f"{base}/{a.native_id}", "method": "GET"}
                },
            }
            for a in agents
        ],
        "_links": {"self": {"rel": "self", "href": f"{base}?limit=200"}},
    }
    folder = out / "okta"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ai_agents.json"
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return [path]
