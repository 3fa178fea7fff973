"""The people, non-human identities and credentials of a synthetic enterprise, with every
governance fact the generator plants (shadow, orphaned, dormant, shared, stale, anomalies).

Accounts are what the exports show: one identity on one platform. A person has one account
per platform they use; an NHI is one account. Keys match the ingest's identity and credential
keys, so the ground truth can be compared with an assessment directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np

from agentaudit.synth.config import SynthConfig

FIRST = [
    "Ana",
    "Ben",
    "Chloe",
    "Dev",
    "Elif",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kemi",
    "Liam",
    "Maya",
    "Noor",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Xavi",
    "Yara",
    "Zane",
]
LAST = [
    "Lopez",
    "Ng",
    "Okafor",
    "Schmidt",
    "Tanaka",
    "Moreau",
    "Rossi",
    "Kowalski",
    "Haddad",
    "Silva",
    "Novak",
    "Jensen",
    "Park",
    "Dubois",
    "Costa",
    "Ahmed",
    "Berg",
    "Ivanova",
]
DEPARTMENTS = ["Engineering", "Finance", "Sales", "Security", "Operations", "Data", "HR", "Legal"]

BROWSER_UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
]
WORKLOAD_UAS = {
    "okta": [
        "okta-sdk-java/8.2.1 java/17.0.8 Linux/5.15",
        "python-requests/2.32.3",
        "Go-http-client/2.0",
        "okta-sdk-python/2.9.2 python/3.11.7 Linux/6.1",
    ],
    "entra": [
        "azsdk-python-identity/1.19.0 Python/3.11.9 (Linux-6.1)",
        "Microsoft.Identity.Client/4.66.1 (.NET 8.0)",
        "azure-cli/2.66.0",
        "",
    ],
    "aws": [
        "Boto3/1.35.40 md/Botocore#1.35.40 ua/2.0 os/linux#5.10 lang/python#3.12.6",
        "aws-sdk-go-v2/1.32.2 os/linux lang/go#1.23.2",
        "terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.72.1",
        "aws-cli/2.18.6 Python/3.12.6 Linux/6.1 exe/x86_64",
    ],
    "github": [
        "git/2.45.2",
        "octokit-rest.js/21.0.2",
        "Go-http-client/2.0",
        "GitHub-Actions-Runner/2.320.0",
    ],
}
AGENT_UAS = [
    "langchain/0.3.7 python-requests/2.32.3",
    "openai-python/1.54.0",
    "anthropic-sdk-python/0.39.0",
    "crewai/0.80.0 python/3.11.9",
    "llama-index/0.12.2",
    "autogen-agentchat/0.4.0",
    "semantic-kernel-python/1.14.0",
    "claude-agent-sdk/0.1.4",
    "strands-agents/0.1.0 Boto3/1.35.40",
]
AGENT_NAMES = [
    "invoice",
    "support",
    "triage",
    "research",
    "code-review",
    "sales-assist",
    "hr-helpdesk",
    "contract",
    "forecast",
    "onboarding",
]
SERVICE_NAMES = [
    "billing",
    "etl",
    "backup",
    "reporting",
    "sync",
    "deploy",
    "monitoring",
    "payments",
    "search",
    "notifications",
    "ledger",
    "crm",
    "warehouse",
    "audit",
]
REVOCABLE = ("aws_user", "entra_sp", "okta_svc")
SUPPORT = ("entra_sync", "okta_auto", "entra_auto", "aws_auto")  # always inventoried, owned


@dataclass
class Credential:
    """One credential as the exports name it."""

    key: str
    id: str
    type: str
    account: int
    created_at: datetime | None = None  # None: no export dates it
    revoked_at: datetime | None = None
    rotates_from: int | None = None  # index of the credential this one replaced
    void: bool = False  # a rotation cancelled because the NHI stopped before it


@dataclass
class Account:
    """One identity on one platform."""

    idx: int
    is_human: bool
    platform: str
    kind: str  # generator kind: okta_user, okta_client, okta_svc, entra_user, entra_sp, ...
    key: str
    native_id: str
    name: str
    display: str
    person: int | None = None  # humans: index into people
    inventory_kind: str | None = None  # NHIs: agent_inventory kind
    ai: bool = False
    owner: str = ""  # NHIs: owner email ("" when missing)
    in_inventory: bool = False
    agent_id: str = ""
    privileges: list[str] = field(default_factory=list)
    created_at: datetime | None = None
    reviewed_at: datetime | None = None
    decommissioned_at: datetime | None = None
    profile: str = "business"  # business | cron | human
    rate: float = 1.0  # events per active day
    active_from: datetime | None = None
    active_to: datetime | None = None  # last moment of activity (exclusive)
    ip: str = ""
    ua: str = ""
    workloads: list[tuple[str, str]] = field(default_factory=list)  # (ua, ip) alternatives
    creds: list[int] = field(default_factory=list)
    dormant: bool = False
    human_use: bool = False
    extra: dict = field(default_factory=dict)


@dataclass
class Person:
    employee_id: str
    email: str
    display: str
    department: str
    status: str
    hire_date: date
    termination_date: date | None
    manager_email: str


@dataclass
class Anomaly:
    account: int
    kind: str  # off_hours | new_network | volume_spike
    day: date
    start: datetime
    events: int
    ip: str = ""


@dataclass
class Alert:
    alert_id: str
    created_at: datetime
    source: str
    detection: str
    severity: str
    identity: str
    automated: bool
    action: str
    action_at: datetime | None
    action_by: str
    account: int | None = None  # the NHI, when it names one
    anomaly: int | None = None


@dataclass
class Grant:
    """A third-party app connected to Entra by consent: one consent flow in the audit log."""

    at: datetime
    grantor: int  # the consenting person's entra_user account
    app: str
    app_id: str
    sp_id: str  # the app's service principal in the tenant
    owner_tenant: str  # the publisher's tenant
    scopes: list[str]
    consent: str  # user (for the employee alone) | admin (for every user of the tenant)
    ai: bool
    new_sp: bool  # this consent created the service principal (the app's first in the tenant)
    correlation: str


@dataclass
class Population:
    config: SynthConfig
    start: datetime
    end: datetime
    people: list[Person]
    accounts: list[Account]
    creds: list[Credential]
    anomalies: list[Anomaly] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    shared: dict[int, list[str]] = field(default_factory=dict)  # credential -> reasons
    inventory_extra_creds: dict[int, list[int]] = field(default_factory=dict)  # acct -> creds
    revocations: list[tuple[int, datetime, str]] = field(default_factory=list)  # cred, when, by
    log_gap: tuple[datetime, datetime] | None = None
    taken: set[int] = field(default_factory=set)  # accounts already given a planted role
    security_admin: int | None = None  # the human account that revokes by hand (AWS)
    grants: list[Grant] = field(default_factory=list)
    graph_sp: str = ""  # Microsoft Graph's service principal in the tenant (consents' resource)
    blueprint: dict = field(default_factory=dict)  # the Entra agent identity blueprint
    # (agent account, person account, from, to): an agent acting for a person
    delegations: list[tuple[int, int, datetime, datetime]] = field(default_factory=list)


class Ids:
    """Deterministic vendor-shaped ids from the generator's random stream."""

    ALNUM = np.array(list("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    UPPER = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def _pick(self, alphabet: np.ndarray, n: int) -> str:
        return "".join(alphabet[self.rng.integers(0, len(alphabet), n)])

    def okta(self, prefix: str) -> str:
        return prefix + self._pick(self.ALNUM, 17)

    def guid(self) -> str:
        h = "".join(f"{b:02x}" for b in self.rng.integers(0, 256, 16))
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"

    def aws_key(self, prefix: str) -> str:
        return prefix + self._pick(self.UPPER, 16)


def _at(d: date, hour: float = 0.0) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC) + timedelta(hours=hour)


def build(config: SynthConfig) -> Population:
    """Draw the whole population and every planted fact from the config's seed."""
    rng = np.random.default_rng(config.seed)
    ids = Ids(rng)
    end = _at(config.window_end)
    start = end - timedelta(days=config.days)
    pop = Population(config, start, end, [], [], [])
    _people(pop, rng)
    _human_accounts(pop, rng, ids)
    _nhis(pop, rng, ids)
    shapes = np.random.default_rng([config.seed, 2])
    _access_shapes(pop, shapes)
    _credentials(pop, rng, ids)
    _governance(pop, rng)
    _plant_shared(pop, rng)
    _plant_dormant_and_lifecycle(pop, rng)
    _plant_anomalies(pop, rng)
    _rates(pop, rng)
    _more_identities(pop, shapes)
    _consents(pop, np.random.default_rng([config.seed, 3]))
    _native_agents(pop, np.random.default_rng([config.seed, 4]))
    _okta_agents(pop, np.random.default_rng([config.seed, 5]))
    if config.log_gap_hours > 0:
        gap_start = start + timedelta(days=config.days * 0.4, hours=3)
        pop.log_gap = (gap_start, gap_start + timedelta(hours=config.log_gap_hours))
    return pop


def _people(pop: Population, rng: np.random.Generator) -> None:
    cfg = pop.config
    n = cfg.humans
    status = rng.choice(
        ["active", "terminated", "leave"],
        n,
        p=[1 - cfg.terminated_share - cfg.leave_share, cfg.terminated_share, cfg.leave_share],
    )
    status[:3] = "active"  # a security team always exists
    for i in range(n):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7 + i // len(FIRST)) % len(LAST)]
        email = f"{first.lower()}.{last.lower()}{i}@{cfg.domain}"
        hire = (pop.start - timedelta(days=int(rng.integers(200, 3000)))).date()
        term = None
        if status[i] == "terminated":
            # half left inside the window, half before it
            offset = rng.integers(-200, cfg.days - 5)
            term = (pop.start + timedelta(days=int(offset))).date()
        dept = "Security" if i < 3 else DEPARTMENTS[int(rng.integers(0, len(DEPARTMENTS)))]
        pop.people.append(
            Person(
                f"E{10000 + i}",
                email,
                f"{first} {last}",
                dept,
                str(status[i]),
                hire,
                term,
                f"manager{i % 9}@{cfg.domain}",
            )
        )


def _new_account(pop: Population, **kw) -> Account:
    acct = Account(idx=len(pop.accounts), **kw)
    pop.accounts.append(acct)
    return acct


def _human_accounts(pop: Population, rng: np.random.Generator, ids: Ids) -> None:
    cfg = pop.config
    for p_idx, person in enumerate(pop.people):
        ip = f"203.0.113.{int(rng.integers(1, 250))}"
        ua = BROWSER_UAS[int(rng.integers(0, len(BROWSER_UAS)))]
        to = _at(person.termination_date) if person.termination_date else None
        common = dict(
            is_human=True,
            person=p_idx,
            display=person.display,
            profile="human",
            ip=ip,
            ua=ua,
            active_to=to,
        )
        oid = ids.okta("00u")
        _new_account(
            pop,
            platform="okta",
            kind="okta_user",
            key=f"okta:{oid}",
            native_id=oid,
            name=person.email,
            **common,
        )
        uid = ids.guid()
        _new_account(
            pop,
            platform="entra",
            kind="entra_user",
            key=f"entra:{uid}",
            native_id=uid,
            name=person.email,
            **common,
        )
        if person.department in ("Engineering", "Data", "Security") or rng.random() < 0.15:
            login = person.email.split("@")[0].replace(".", "-")
            _new_account(
                pop,
                platform="github",
                kind="github_user",
                key=f"github:{login}",
                native_id=login,
                name=login,
                **common,
            )
        if p_idx < 3 or (person.department == "Engineering" and rng.random() < 0.2):
            user = person.email.split("@")[0]
            arn = f"arn:aws:iam::{cfg.account_id}:user/{user}"
            _new_account(
                pop,
                platform="aws",
                kind="aws_human",
                key=f"aws:{arn}",
                native_id=arn,
                name=user,
                **common,
            )
    pop.security_admin = next(a.idx for a in pop.accounts if a.kind == "aws_human")


def _nhis(pop: Population, rng: np.random.Generator, ids: Ids) -> None:
    cfg = pop.config
    n = max(8, round(cfg.humans * cfg.nhi_per_human))
    platforms = list(cfg.platform_weights)
    weights = np.array([cfg.platform_weights[p] for p in platforms], dtype=float)
    chosen = rng.choice(platforms, n, p=weights / weights.sum())
    chosen[:4] = platforms[:4]  # every platform has at least one
    counters: dict[str, int] = {}
    for plat in chosen:
        u = rng.random()
        ai = bool(rng.random() < cfg.ai_agent_share)
        if plat == "okta":
            kind = "okta_svc" if u < 0.35 and not ai else "okta_client"
        elif plat == "entra":
            kind = "entra_mi" if u < 0.35 and not ai else "entra_sp"
        elif plat == "aws":
            kind = "aws_user" if u < 0.5 and not ai else "aws_role"
        else:
            kind = "github_bot" if u < 0.6 and not ai else "github_machine"
        base = AGENT_NAMES if ai else SERVICE_NAMES
        counters[kind] = counters.get(kind, 0) + 1
        stem = f"{base[int(rng.integers(0, len(base)))]}-{'agent' if ai else 'svc'}"
        name = f"{stem}-{counters[kind]:03d}"
        ua = (
            AGENT_UAS[int(rng.integers(0, len(AGENT_UAS)))]
            if ai
            else WORKLOAD_UAS[plat][int(rng.integers(0, len(WORKLOAD_UAS[plat])))]
        )
        net = {"okta": 1, "entra": 2, "aws": 3, "github": 4}[plat]
        ip = f"10.{net}.{int(rng.integers(0, 250))}.{int(rng.integers(2, 250))}"
        inv_kind, native, key, extra = _nhi_identity(pop, kind, name, ai, ids)
        if kind == "entra_mi":
            ua = ""
        _new_account(
            pop,
            is_human=False,
            platform=plat,
            kind=kind,
            key=key,
            native_id=native,
            name=extra.pop("name", name),
            display=name,
            inventory_kind=inv_kind,
            ai=ai,
            ip=ip,
            ua=ua,
            extra=extra,
            profile="cron" if rng.random() < 0.45 else "business",
        )
    # the directory sync service that writes the Entra audit log around the clock
    sp = ids.guid()
    _new_account(
        pop,
        is_human=False,
        platform="entra",
        kind="entra_sync",
        key=f"entra:{sp}",
        native_id=sp,
        name="Entra Connect Sync",
        display="Entra Connect Sync",
        inventory_kind="service_account",
        profile="cron",
        ip="10.2.0.10",
        ua="",
        extra={"app_id": ids.guid()},
    )
    if cfg.auto_revoke:  # the identities that revoke credentials on an alert
        common = dict(
            is_human=False,
            name="nhi-auto-revoke",
            display="nhi-auto-revoke",
            inventory_kind="service_account",
            profile="cron",
            ip="10.9.0.5",
            ua="nhi-auto-revoke/1.4 python-requests/2.32.3",
        )
        cid = ids.okta("0oa")
        _new_account(
            pop, platform="okta", kind="okta_auto", key=f"okta:{cid}", native_id=cid, **common
        )
        sp = ids.guid()
        _new_account(
            pop,
            platform="entra",
            kind="entra_auto",
            key=f"entra:{sp}",
            native_id=sp,
            extra={"app_id": ids.guid()},
            **common,
        )
        arn = f"arn:aws:iam::{cfg.account_id}:role/nhi-auto-revoke"
        _new_account(
            pop, platform="aws", kind="aws_auto", key=f"aws:{arn}", native_id=arn, **common
        )


def _nhi_identity(
    pop: Population, kind: str, name: str, ai: bool, ids: Ids
) -> tuple[str, str, str, dict]:
    cfg = pop.config
    if kind == "okta_client":
        cid = ids.okta("0oa")
        return ("ai_agent" if ai else "oauth_app"), cid, f"okta:{cid}", {}
    if kind == "okta_svc":
        uid = ids.okta("00u")
        return "service_account", uid, f"okta:{uid}", {"name": f"{name}@{cfg.domain}"}
    if kind == "entra_sp":
        sp = ids.guid()
        return ("ai_agent" if ai else "oauth_app"), sp, f"entra:{sp}", {"app_id": ids.guid()}
    if kind == "entra_mi":
        sp = ids.guid()
        return "managed_identity", sp, f"entra:{sp}", {"app_id": ids.guid()}
    if kind == "aws_user":
        arn = f"arn:aws:iam::{cfg.account_id}:user/{name}"
        return "service_account", arn, f"aws:{arn}", {}
    if kind == "aws_role":
        arn = f"arn:aws:iam::{cfg.account_id}:role/{name}"
        return ("ai_agent" if ai else "service_account"), arn, f"aws:{arn}", {}
    if kind == "github_bot":
        login = f"{name}[bot]"
        return "bot", login, f"github:{login}", {"name": login}
    login = name
    return ("ai_agent" if ai else "service_account"), login, f"github:{login}", {}


LAMBDA_UA = (
    "Boto3/1.35.40 md/Botocore#1.35.40 ua/2.0 os/linux#5.10 md/arch#x86_64 lang/python#3.12.6 "
    "md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.35.40"
)
OAUTH_APPS = [
    ("Slack", "Slack-GitHub-Integration/1.0"),
    ("Linear", "Linear-GitHub/2.3"),
    ("Vercel", "vercel-github-app/1.0"),
    ("Jira Cloud", "Atlassian-Jira-GitHub/1.0"),
    ("CircleCI", "CircleCI/1.0"),
]
PERMISSION_SETS = ["AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess"]


def _access_shapes(pop: Population, rng: np.random.Generator) -> None:
    """How the generated people and workloads reach the platforms: GitHub handles unlike the
    e-mail, the runtime of each AWS role, the member who installed each GitHub App. Drawn from
    their own random stream, so the rest of the enterprise stays the same."""
    cfg = pop.config
    members = [a for a in pop.accounts if a.kind == "github_user"]
    for a in pop.accounts:
        if a.kind == "github_user" and a.person is not None:
            if rng.random() < cfg.github_handle_share:
                first, last = pop.people[a.person].display.lower().split(" ", 1)
                login = f"{first}{last[0]}-{int(rng.integers(10, 99))}"
                a.key, a.native_id, a.name = f"github:{login}", login, login
        elif a.kind == "aws_role" and cfg.workload_runtimes:
            runtimes = ["ec2", "ecs", None] if a.ai else ["ec2", "lambda", "ecs", "oidc", None]
            runtime = runtimes[int(rng.integers(0, len(runtimes)))]
            if runtime:
                a.extra["runtime"] = runtime
            if runtime == "lambda":
                a.ua = LAMBDA_UA
        elif a.kind == "github_bot" and members:
            a.extra["member"] = members[int(rng.integers(0, len(members)))].idx


def _more_identities(pop: Population, rng: np.random.Generator) -> None:
    """Identities added after every planted fact, from their own random stream (so the rest
    of the enterprise stays the same): people on IAM Identity Center, Entra B2B guests, and
    OAuth apps GitHub members authorised, each with its activity rate, and the apps with their
    token, inventory row and owner."""
    cfg = pop.config
    ids = Ids(rng)
    human_rate = float(np.median([a.rate for a in pop.accounts if a.is_human] or [1.0]))
    nhi_rate = float(np.median([a.rate for a in pop.accounts if not a.is_human] or [1.0]))
    on_aws = {a.person for a in pop.accounts if a.kind == "aws_human"}
    sets = {  # Identity Center names each permission set's role with a 16-hex suffix
        p: f"AWSReservedSSO_{p}_" + "".join(f"{b:02x}" for b in rng.integers(0, 256, 8))
        for p in PERMISSION_SETS
    }
    for p_idx, person in enumerate(pop.people):
        if p_idx in on_aws or person.department not in ("Engineering", "Data", "Operations"):
            continue
        if rng.random() < cfg.identity_center_share:
            okta = next(a for a in pop.accounts if a.person == p_idx and a.kind == "okta_user")
            pset = PERMISSION_SETS[int(rng.integers(0, len(PERMISSION_SETS)))]
            _new_account(
                pop,
                is_human=True,
                platform="aws",
                kind="aws_sso",
                key=f"aws:sso:{person.email}",
                native_id=person.email,
                name=person.email,
                person=p_idx,
                display=person.display,
                profile="human",
                ip=okta.ip,
                ua=okta.ua,
                rate=human_rate * float(rng.lognormal(0.0, 0.3)),
                active_from=pop.start,
                active_to=okta.active_to,
                extra={"role": sets[pset]},
            )
    partners = ["fabrikam.example", "northwind.example", "adatum.example"]
    for i in range(round(cfg.humans * cfg.guest_share)):
        first = FIRST[int(rng.integers(0, len(FIRST)))]
        last = LAST[int(rng.integers(0, len(LAST)))]
        domain = partners[i % len(partners)]
        uid = ids.guid()
        _new_account(
            pop,
            is_human=True,
            platform="entra",
            kind="entra_guest",
            key=f"entra:{uid}",
            native_id=uid,
            name=f"{first.lower()}.{last.lower()}@{domain}",
            display=f"{first} {last} ({domain.split('.')[0].title()})",
            profile="human",
            ip=f"198.51.100.{int(rng.integers(1, 250))}",
            ua=BROWSER_UAS[int(rng.integers(0, len(BROWSER_UAS)))],
            rate=human_rate * float(rng.lognormal(0.0, 0.3)),
            active_from=pop.start,
            active_to=pop.end,
            extra={"home_tenant": ids.guid()},
        )
    members = [a for a in pop.accounts if a.kind == "github_user" and a.active_to == pop.end]
    active = {p.email for p in pop.people if p.status == "active"}
    for i in range(min(cfg.oauth_apps, len(OAUTH_APPS)) if members else 0):
        name, ua = OAUTH_APPS[i]
        app_id = str(int(rng.integers(10**6, 10**7)))
        member = members[int(rng.integers(0, len(members)))]
        # the first app is authorised inside the window, the others before it
        since = pop.start + timedelta(days=3, hours=9) if i == 0 else None
        listed = bool(rng.random() < cfg.inventory_coverage)
        owner = pop.people[member.person].email if member.person is not None else ""
        app = _new_account(
            pop,
            is_human=False,
            platform="github",
            kind="github_oauth",
            key=f"github:oauth_app:{app_id}",
            native_id=app_id,
            name=name,
            display=name,
            inventory_kind="oauth_app",
            ip=f"10.4.{int(rng.integers(0, 250))}.{int(rng.integers(2, 250))}",
            ua=ua,
            profile="business",
            rate=nhi_rate,
            active_from=since or pop.start,
            active_to=pop.end,
            created_at=since or pop.start - timedelta(days=int(rng.integers(150, 900))),
            in_inventory=listed,
            agent_id=f"AG-{2000 + i}" if listed else "",
            owner=owner if owner in active else "",
            privileges=_privileges_of("github", admin=False),
            reviewed_at=pop.end - timedelta(days=float(rng.uniform(10, 300))) if listed else None,
            extra={"member": member.idx},
        )
        tok = str(int(rng.integers(10**9, 10**10)))
        _add_cred(pop, app, f"github:token:{tok}", tok, "oauth_token", None)


def _credentials(pop: Population, rng: np.random.Generator, ids: Ids) -> None:
    """One credential per workload NHI (two when it rotated in the window)."""
    cfg = pop.config
    end = pop.end
    for a in pop.accounts:
        if a.is_human or a.kind in SUPPORT:
            continue
        created = pop.start - timedelta(days=int(rng.integers(150, 900)))
        a.created_at = created
        fresh = rng.random() >= cfg.stale_credential_share
        if a.kind == "aws_user":
            rotated = (
                end - timedelta(days=float(rng.uniform(2, 85)))
                if fresh
                else end - timedelta(days=float(rng.uniform(100, 700)))
            )
            _add_rotating(pop, a, "access_key", lambda: ids.aws_key("AKIA"), rotated, "aws:{}")
        elif a.kind == "entra_sp":
            # keys created before the window are undated (no audit event names them)
            rotated = end - timedelta(days=float(rng.uniform(2, 85))) if fresh else None
            _add_rotating(pop, a, "client_secret", ids.guid, rotated, "entra:credential:{}")
        elif a.kind == "okta_svc":
            tok = ids.okta("00T")
            _add_cred(pop, a, f"okta:{tok}", tok, "api_token", None)
        elif a.kind == "okta_client":
            _add_cred(pop, a, f"okta:client:{a.native_id}", a.native_id, "oauth_client", None)
        elif a.kind == "github_bot":
            tok = str(int(rng.integers(10**9, 10**10)))
            _add_cred(pop, a, f"github:token:{tok}", tok, "github_app_token", None)
        elif a.kind == "github_machine":
            tok = str(int(rng.integers(10**9, 10**10)))
            _add_cred(pop, a, f"github:token:{tok}", tok, "personal_access_token", None)
        # aws_role: session credentials (ASIA) per session, entra_mi: none named


def _add_cred(
    pop: Population,
    a: Account,
    key: str,
    cid: str,
    ctype: str,
    created: datetime | None,
    rotates_from: int | None = None,
) -> int:
    pop.creds.append(Credential(key, cid, ctype, a.idx, created, rotates_from=rotates_from))
    a.creds.append(len(pop.creds) - 1)
    return len(pop.creds) - 1


def _add_rotating(
    pop: Population, a: Account, ctype: str, new_id, rotated: datetime | None, key_fmt: str
) -> None:
    """The current key, and when it was rotated inside the window, the key it replaced."""
    if rotated is not None and rotated >= pop.start:
        old_id = new_id()
        old = _add_cred(pop, a, key_fmt.format(old_id), old_id, ctype, None)
        cid = new_id()
        new = _add_cred(pop, a, key_fmt.format(cid), cid, ctype, rotated, rotates_from=old)
        pop.creds[old].revoked_at = rotated + timedelta(hours=1)
        pop.revocations.append((old, rotated + timedelta(hours=1), "rotation"))
        del new
    else:
        cid = new_id()
        _add_cred(pop, a, key_fmt.format(cid), cid, ctype, rotated)


def _governance(pop: Population, rng: np.random.Generator) -> None:
    """Inventory listing, owners, privileges and reviews of the NHIs."""
    cfg = pop.config
    active = [p.email for p in pop.people if p.status == "active"]
    gone = [p.email for p in pop.people if p.status == "terminated"] or active
    nhis = [a for a in pop.accounts if not a.is_human]
    n_listed = round(len(nhis) * cfg.inventory_coverage)
    listed = set(rng.choice(len(nhis), n_listed, replace=False).tolist())
    security = [p.email for p in pop.people if p.department == "Security" and p.status == "active"]
    for i, a in enumerate(nhis):
        a.in_inventory = i in listed or a.kind in SUPPORT
        u = rng.random()
        if a.kind in SUPPORT:
            a.owner = security[0]
        elif u < cfg.owner_missing_share:
            a.owner = ""
        elif u < cfg.owner_missing_share + cfg.owner_terminated_share:
            a.owner = gone[int(rng.integers(0, len(gone)))]
        else:
            a.owner = active[int(rng.integers(0, len(active)))]
        admin = rng.random() < cfg.admin_share
        a.privileges = _privileges(a, admin)
        if a.in_inventory:
            a.agent_id = f"AG-{1000 + i}"
            recent = rng.random() < cfg.reviewed_share
            days_ago = rng.uniform(10, 300) if recent else rng.uniform(400, 900)
            a.reviewed_at = pop.end - timedelta(days=float(days_ago))


def _privileges(a: Account, admin: bool) -> list[str]:
    return _privileges_of(a.platform, admin)


def _privileges_of(platform: str, admin: bool) -> list[str]:
    table = {
        "okta": (["okta.users.read", "okta.groups.read"], ["okta.*"]),
        "entra": (["User.Read.All", "Files.Read.All"], ["Directory.ReadWrite.All"]),
        "aws": (["s3:GetObject", "sqs:SendMessage"], ["AdministratorAccess"]),
        "github": (["contents:read", "pull_requests:write"], ["admin:org"]),
    }
    normal, elevated = table[platform]
    return normal + elevated if admin else normal


def _candidates(
    pop: Population,
    kinds: tuple[str, ...],
    taken: set[int],
    rng: np.random.Generator,
    n: int,
    **where,
) -> list[Account]:
    pool = [
        a
        for a in pop.accounts
        if a.kind in kinds
        and a.idx not in taken
        and all(getattr(a, k) == v for k, v in where.items())
    ]
    if n <= 0 or not pool:
        return []
    picked = rng.choice(len(pool), min(n, len(pool)), replace=False)
    out = [pool[int(i)] for i in sorted(picked)]
    taken.update(a.idx for a in out)
    return out


def _plant_shared(pop: Population, rng: np.random.Generator) -> None:
    cfg = pop.config
    taken = pop.taken
    # listed for two agents in the inventory: a second agent names the first one's key
    for a in _candidates(
        pop,
        ("aws_user", "okta_svc", "entra_sp", "github_machine"),
        taken,
        rng,
        cfg.shared_inventory,
        in_inventory=True,
    ):
        partners = [
            b
            for b in pop.accounts
            if not b.is_human
            and b.in_inventory
            and b.platform == a.platform
            and b.idx not in taken
            and b.creds
        ]
        if not partners:
            continue
        b = partners[int(rng.integers(0, len(partners)))]
        taken.add(b.idx)
        cred = a.creds[-1]
        pop.inventory_extra_creds.setdefault(b.idx, []).append(cred)
        pop.shared.setdefault(cred, []).append("inventory_multiple_agents")
    # a person signs in interactively as the service account that a workload also uses
    for a in _candidates(
        pop, ("aws_user", "okta_svc", "github_machine"), taken, rng, cfg.shared_human_use
    ):
        a.human_use = True
    # one key used from several distinct workloads (user-agent families and networks)
    for a in _candidates(pop, ("aws_user", "entra_sp"), taken, rng, cfg.shared_workloads):
        plat_uas = WORKLOAD_UAS[a.platform]
        a.workloads = [
            (
                plat_uas[k % len(plat_uas)] or "python-requests/2.32.3",
                f"10.{50 + k}.{int(rng.integers(0, 250))}.{int(rng.integers(2, 250))}",
            )
            for k in range(3)
        ]


def _plant_dormant_and_lifecycle(pop: Population, rng: np.random.Generator) -> None:
    cfg = pop.config
    taken = pop.taken
    nhis = [a for a in pop.accounts if not a.is_human and a.kind not in SUPPORT]
    n_dormant = round(len(nhis) * cfg.dormant_share)
    # dormant: evidenced by the inventory, or for IAM users by the credential report
    dormant = _candidates(
        pop, ("aws_user",), taken, rng, max(1, n_dormant // 3) if n_dormant else 0
    )
    dormant += _candidates(
        pop,
        ("okta_client", "entra_sp", "github_bot", "aws_role"),
        taken,
        rng,
        n_dormant - len(dormant),
        in_inventory=True,
    )
    for a in dormant:
        a.dormant = True
        a.active_to = pop.start + timedelta(days=float(rng.uniform(0, cfg.days - 95)))
        if a.kind == "aws_user":  # last used long ago: no events in the window at all
            a.active_to = pop.start
            a.extra["last_used"] = pop.start - timedelta(days=float(rng.uniform(5, 200)))
    # decommissioned in the window: activity stops; credentials revoked (or not)
    for a in _candidates(pop, REVOCABLE, taken, rng, cfg.decommissioned, in_inventory=True):
        when = pop.start + timedelta(days=float(rng.uniform(20, cfg.days - 20)))
        a.decommissioned_at = when
        revoke = when + timedelta(days=float(rng.uniform(0.1, 5)))
        _retire(pop, a, when, revoke if cfg.lifecycle_revoked else None, "lifecycle")
    # owners who left inside the window: their NHIs' credentials revoked (or not)
    left = {
        p.email: _at(p.termination_date)
        for p in pop.people
        if p.termination_date and _at(p.termination_date) >= pop.start
    }
    for a in nhis:
        if a.owner in left and a.kind in REVOCABLE and a.idx not in taken and not a.dormant:
            taken.add(a.idx)
            if cfg.lifecycle_revoked:
                when = left[a.owner] + timedelta(days=float(rng.uniform(0.1, 5)))
                _retire(pop, a, when, when, "lifecycle")


def _retire(
    pop: Population, a: Account, when: datetime, revoke_at: datetime | None, why: str
) -> None:
    """Stop an NHI's activity at `when`; revoke its live credentials at `revoke_at` (if any).

    A key rotation planned after `when` never happens: the key it would have replaced stays.
    """
    a.active_to = when
    for ci in list(a.creds):
        c = pop.creds[ci]
        if c.rotates_from is None or c.created_at is None or c.created_at <= when:
            continue
        old = c.rotates_from
        c.void = True
        a.creds.remove(ci)
        pop.creds[old].revoked_at = None
        pop.revocations = [r for r in pop.revocations if r[0] != old]
        if ci in pop.shared:
            pop.shared[old] = pop.shared.pop(ci)
        for creds in pop.inventory_extra_creds.values():
            creds[:] = [old if x == ci else x for x in creds]
    if revoke_at is not None:
        for ci in a.creds:
            if pop.creds[ci].revoked_at is None:
                _revoke(pop, ci, revoke_at, why)


def _revoke(pop: Population, cred: int, when: datetime, why: str) -> None:
    pop.creds[cred].revoked_at = when
    pop.revocations.append((cred, when, why))


def _plant_anomalies(pop: Population, rng: np.random.Generator) -> None:
    cfg = pop.config
    taken = pop.taken
    kinds = ["off_hours", "new_network", "volume_spike"]
    people = {p.email for p in pop.people if p.status == "active"}
    security = [p.email for p in pop.people if p.department == "Security" and p.email in people]
    n_alerted = round(cfg.anomalies * cfg.alerts_on_anomalies)
    for i in range(cfg.anomalies):
        kind = kinds[i % 3]
        profile = "business" if kind == "off_hours" else "cron"
        found = _candidates(pop, REVOCABLE, taken, rng, 1, profile=profile, in_inventory=True)
        if not found:
            continue
        a = found[0]
        day = (pop.end - timedelta(days=int(rng.integers(3, 18)))).date()
        while kind == "off_hours" and day.weekday() >= 5:
            day -= timedelta(days=1)
        hour = 2.0 if kind == "off_hours" else 11.0
        start = _at(day, hour + float(rng.uniform(0, 0.5)))
        ip = (
            f"185.220.{int(rng.integers(100, 200))}.{int(rng.integers(2, 250))}"
            if kind == "new_network"
            else ""
        )
        events = 40 if kind != "volume_spike" else 0  # spikes are sized from the rate later
        pop.anomalies.append(Anomaly(a.idx, kind, day, start, events, ip))
        if i < n_alerted:
            automated = rng.random() < cfg.automated_alert_share
            detected = start + timedelta(minutes=float(rng.uniform(5, 15)))
            delay = cfg.revoke_delay_minutes * float(rng.uniform(0.6, 1.4))
            acted = detected + timedelta(minutes=delay)
            by = "automation" if cfg.auto_revoke else security[int(rng.integers(0, len(security)))]
            pop.alerts.append(
                Alert(
                    f"AL-{5000 + i}",
                    detected,
                    "SIEM" if automated else "SOC analyst",
                    {
                        "off_hours": "Activity outside baseline hours",
                        "new_network": "Access from a new network",
                        "volume_spike": "API volume far above baseline",
                    }[kind],
                    "high",
                    a.name if a.platform != "entra" else a.native_id,
                    automated,
                    "revoked",
                    acted,
                    by,
                    account=a.idx,
                    anomaly=len(pop.anomalies) - 1,
                )
            )
            _retire(pop, a, acted, acted, "alert")
    # alerts about people, present in every profile
    humans = [p for p in pop.people if p.status == "active"]
    for j in range(3):
        person = humans[int(rng.integers(0, len(humans)))]
        when = pop.start + timedelta(days=float(rng.uniform(5, cfg.days - 5)))
        pop.alerts.append(
            Alert(
                f"AL-{6000 + j}",
                when,
                "Okta ThreatInsight",
                "Impossible travel",
                "medium",
                person.email,
                True,
                "none",
                None,
                "",
            )
        )


def _rates(pop: Population, rng: np.random.Generator) -> None:
    """Events per active day, scaled so the window holds about `config.events` events."""
    cfg = pop.config
    humans = [a for a in pop.accounts if a.is_human]
    nhis = [a for a in pop.accounts if not a.is_human]
    for a in humans:
        a.rate = float(rng.lognormal(0.0, 0.5))
    for a in nhis:
        a.rate = float(rng.lognormal(1.0 if a.profile == "cron" else 0.0, 0.6))
    hsum = sum(a.rate for a in humans) * cfg.days
    nsum = sum(a.rate for a in nhis) * cfg.days
    h_scale = cfg.events * cfg.human_event_share / max(hsum, 1e-9)
    n_scale = cfg.events * (1 - cfg.human_event_share) / max(nsum, 1e-9)
    for a in humans:
        a.rate = max(0.3, a.rate * h_scale)
    for a in nhis:
        floor = 6.0 if a.profile == "cron" else 1.0
        a.rate = max(floor, a.rate * n_scale)
        if a.kind == "entra_sync":  # directory sync runs every half hour
            a.rate = max(a.rate, 48.0)
    for a in pop.accounts:
        a.active_from = a.active_from or pop.start
        a.active_to = a.active_to or pop.end


# Third-party apps employees and admins connect to Entra. The AI apps are named as the
# catalogue (assess/ai_apps.csv) knows them; the Claude connector carries its published appId.
# Scopes are Microsoft Graph delegated permissions.
CONSENT_APPS_AI = [
    (
        "M365 MCP Client for Claude",
        "08ad6f98-a4f8-4635-bb8d-f1a3044760f0",
        ["User.Read", "Mail.Read", "Files.Read.All", "Calendars.Read", "offline_access"],
    ),
    (
        "ChatGPT",
        None,
        [
            "openid",
            "profile",
            "email",
            "User.Read",
            "Files.Read.All",
            "Sites.Read.All",
            "offline_access",
        ],
    ),
    ("Otter.ai", None, ["User.Read", "Calendars.Read", "OnlineMeetings.Read", "offline_access"]),
    ("Fireflies.ai Notetaker", None, ["User.Read", "Calendars.ReadWrite", "offline_access"]),
    ("Grammarly", None, ["openid", "profile", "User.Read"]),
    ("Perplexity Enterprise", None, ["User.Read", "Files.Read.All", "offline_access"]),
]
CONSENT_APPS = [
    ("Zoom", None, ["User.Read", "Calendars.ReadWrite", "offline_access"]),
    ("Calendly", None, ["User.Read", "Calendars.ReadWrite", "offline_access"]),
    ("DocuSign", None, ["openid", "profile", "email", "User.Read"]),
    ("Miro", None, ["openid", "profile", "User.Read"]),
    ("Lucid", None, ["User.Read", "Files.Read", "offline_access"]),
    ("Smartsheet", None, ["openid", "email", "User.Read"]),
]


def _consents(pop: Population, rng: np.random.Generator) -> None:
    """Consent flows in the window: employees consenting for themselves (every other one to
    an AI app) and security admins consenting for the tenant. A separate random stream, so
    the rest of the population does not move with these counts."""
    cfg = pop.config
    ids = Ids(rng)
    pop.graph_sp = ids.guid()
    entra = {a.person: a for a in pop.accounts if a.kind == "entra_user"}
    employees = [
        entra[i]
        for i, p in enumerate(pop.people)
        if p.status == "active" and p.department != "Security" and i in entra
    ]
    admins = [entra[i] for i in range(3) if i in entra]
    apps: dict[str, tuple[str, str, str]] = {}  # name -> app id, sp id, owner tenant
    plan = [("user", k % 2 == 0) for k in range(cfg.user_consents if employees else 0)]
    plan += [("admin", k % 2 == 1) for k in range(cfg.admin_consents)]
    for consent, ai in plan:
        choices = CONSENT_APPS_AI if ai else CONSENT_APPS
        name, app_id, scopes = choices[int(rng.integers(0, len(choices)))]
        pool = employees if consent == "user" else admins
        grantor = pool[int(rng.integers(0, len(pool)))]
        new = name not in apps
        if new:
            apps[name] = (app_id or ids.guid(), ids.guid(), ids.guid())
        day = int(rng.integers(0, cfg.days))
        at = pop.start + timedelta(days=day, hours=float(rng.uniform(9, 17)))
        pop.grants.append(
            Grant(
                at,
                grantor.idx,
                name,
                apps[name][0],
                apps[name][1],
                apps[name][2],
                list(scopes),
                consent,
                ai,
                new,
                ids.guid(),
            )
        )
    # the service principal is created by the app's first consent in time
    first: dict[str, datetime] = {}
    for g in pop.grants:
        first[g.app] = min(first.get(g.app, g.at), g.at)
    for g in pop.grants:
        g.new_sp = g.at == first[g.app]


def _sponsors(pop: Population) -> tuple[list[int], list[int]]:
    """The active employees, and among them those who sponsor or own agents (engineering and
    data people; anyone active when there are none)."""
    active = [i for i, p in enumerate(pop.people) if p.status == "active"]
    engineers = [i for i in active if pop.people[i].department in ("Engineering", "Data")]
    return active, engineers or active


def _native_agents(pop: Population, rng: np.random.Generator) -> None:
    """Agents with an identity of their own on Entra Agent ID: one blueprint (its principal
    signs in to issue the agents' tokens) and `native_agents` agent identities made from it,
    sponsored by engineers; the last is registered only in Entra (not in the client's
    inventory). Each acts for a few people (delegated sign-ins through the agent); at the
    profiles that plant owners who left, one agent's sponsor has left. A separate random
    stream, so the rest of the population does not move."""
    cfg = pop.config
    if cfg.native_agents <= 0:
        return
    ids = Ids(rng)
    end = pop.end
    active, engineers = _sponsors(pop)
    left = [i for i, p in enumerate(pop.people) if p.status == "terminated"]
    entra = {x.person: x.idx for x in pop.accounts if x.kind == "entra_user"}
    people = [p for p in active if p in entra]
    blueprint_app, blueprint_obj = ids.guid(), ids.guid()
    pop.blueprint = {
        "app_id": blueprint_app,
        "object_id": blueprint_obj,
        "name": "Contoso Agent Blueprint",
    }
    principal = ids.guid()
    common = dict(
        is_human=False,
        platform="entra",
        profile="business",
        ua="",
        active_from=pop.start,
        active_to=end,
    )
    bp = _new_account(
        pop,
        kind="entra_blueprint",
        key=f"entra:{principal}",
        native_id=principal,
        name=pop.blueprint["name"],
        display=pop.blueprint["name"],
        inventory_kind="service_account",
        ip="10.2.250.10",
        rate=4.0,
        extra={
            "app_id": blueprint_app,
            "in_registry": True,
            "sponsor": pop.people[engineers[0]].email,
        },
        **common,
    )
    bp.created_at = pop.start - timedelta(days=60)
    for k in range(cfg.native_agents):
        sp = ids.guid()  # an agent identity's id is its appId
        sponsor = engineers[int(rng.integers(0, len(engineers)))]
        if k == 0 and cfg.owner_terminated_share > 0 and left:
            sponsor = left[0]
        listed = k < cfg.native_agents - 1
        name = f"Agent ID {AGENT_NAMES[k % len(AGENT_NAMES)]} {k + 1}"
        a = _new_account(
            pop,
            kind="entra_agent",
            key=f"entra:{sp}",
            native_id=sp,
            name=name,
            display=name,
            inventory_kind="ai_agent",
            ai=True,
            ip=f"10.2.251.{10 + k}",
            rate=float(rng.uniform(4, 10)),
            in_inventory=listed,
            agent_id=f"AG-{3000 + k}" if listed else "",
            owner=pop.people[sponsor].email,
            reviewed_at=end - timedelta(days=float(rng.uniform(5, 60))) if listed else None,
            privileges=["Files.Read.All"],
            extra={
                "app_id": sp,
                "parent_app": blueprint_app,
                "parent_obj": blueprint_obj,
                "in_registry": True,
                "sponsor": pop.people[sponsor].email,
            },
            **common,
        )
        a.created_at = pop.start - timedelta(days=30)
        # the people it acts for: a delegated sign-in through the agent a few times a week
        for person in rng.choice(people, size=min(2, len(people)), replace=False):
            pop.delegations.append((a.idx, entra[int(person)], pop.start, end))
        # the first agent also acted for someone who left during the window, until they left;
        gone = [
            i
            for i in left
            if i in entra
            and pop.start + timedelta(days=3) < _at(pop.people[i].termination_date) < end
        ]
        # where offboarding is poor (the profiles that plant owners who left), its delegated
        # token outlived someone who left before: it acts for them the whole window
        before = [i for i in left if i in entra and i not in gone]
        if k == 0 and cfg.owner_terminated_share > 0 and before:
            pop.delegations.append((a.idx, entra[before[0]], pop.start, end))
        elif k == 0 and gone:
            stop = _at(pop.people[gone[0]].termination_date)
            pop.delegations.append((a.idx, entra[gone[0]], pop.start, stop))


def _okta_agents(pop: Population, rng: np.random.Generator) -> None:
    """AI agents registered in Okta (`wlp…` ids, listed by the AI agents API): each gets
    tokens for itself and, through ID-JAG exchanges, acts for two people. In the inventory,
    owned by an engineer. A separate random stream, so the rest of the population does not
    move."""
    cfg = pop.config
    ids = Ids(rng)
    active, engineers = _sponsors(pop)
    okta = {x.person: x.idx for x in pop.accounts if x.kind == "okta_user"}
    people = [p for p in active if p in okta]
    for k in range(cfg.okta_agents):
        wlp = "wlp" + ids.okta("")
        name = f"Okta {AGENT_NAMES[(k + 3) % len(AGENT_NAMES)]} agent {k + 1}"
        owner = pop.people[engineers[int(rng.integers(0, len(engineers)))]].email
        a = _new_account(
            pop,
            is_human=False,
            platform="okta",
            kind="okta_agent",
            key=f"okta:{wlp}",
            native_id=wlp,
            name=name,
            display=name,
            inventory_kind="ai_agent",
            ai=True,
            ip=f"10.1.251.{10 + k}",
            ua="okta-ai-agent-sdk/1.2 python-httpx/0.28.1",
            rate=float(rng.uniform(3, 8)),
            profile="business",
            active_from=pop.start,
            active_to=pop.end,
            in_inventory=True,
            agent_id=f"AG-{4000 + k}",
            owner=owner,
            reviewed_at=pop.end - timedelta(days=float(rng.uniform(5, 60))),
            privileges=["expenses.read"],
            extra={"in_registry": True},
        )
        a.created_at = pop.start - timedelta(days=45)
        for person in rng.choice(people, size=min(2, len(people)), replace=False):
            pop.delegations.append((a.idx, okta[int(person)], pop.start, pop.end))
