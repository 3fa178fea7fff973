"""Parameters of a synthetic enterprise, and the maturity profiles that preset them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date

LAYOUTS = {
    "cloudtrail_layout": ("monthly", "s3"),
    "entra_layout": ("diagnostic", "log_analytics"),
    "okta_layout": ("api", "splunk"),
}


@dataclass(frozen=True)
class SynthConfig:
    """Every quantity of the generated enterprise; a profile presets the governance ones."""

    seed: int = 7
    profile: str = "custom"
    humans: int = 120
    nhi_per_human: float = 4.0  # NHIs per human (all platforms)
    events: int = 60_000  # events in the window, all sources together (about)
    window_end: date = date(2026, 10, 31)
    days: int = 120  # the window: [window_end - days, window_end)
    domain: str = "example.com"
    account_id: str = "111122223333"
    org: str = "example-corp"
    gzip: bool = True  # gzip the NDJSON logs (CloudTrail is always .json.gz)
    # people
    terminated_share: float = 0.08
    leave_share: float = 0.03
    human_event_share: float = 0.35  # of all events
    # the NHI estate
    platform_weights: dict[str, float] = field(
        default_factory=lambda: {"okta": 0.2, "entra": 0.3, "aws": 0.3, "github": 0.2}
    )
    ai_agent_share: float = 0.25
    # governance (a profile sets these)
    inventory_coverage: float = 0.97  # share of NHIs the inventory lists
    reviewed_share: float = 0.9  # inventoried NHIs reviewed in the last 365 days
    owner_missing_share: float = 0.01
    owner_terminated_share: float = 0.01
    admin_share: float = 0.05
    stale_credential_share: float = 0.05  # dated NHI keys older than 90 days
    shared_inventory: int = 0  # credentials listed for two agents in the inventory
    shared_human_use: int = 0  # NHI accounts also used interactively by a person
    shared_workloads: int = 0  # credentials used from several distinct workloads
    dormant_share: float = 0.01
    decommissioned: int = 2  # NHIs decommissioned in the window
    lifecycle_revoked: bool = True  # credentials of decommissioned / orphaned NHIs revoked
    anomalies: int = 6  # planted behavioural anomalies
    alerts_on_anomalies: float = 1.0  # share of planted anomalies the client's monitoring alerted
    automated_alert_share: float = 0.95
    auto_revoke: bool = True  # alerts followed by automated revocation
    revoke_delay_minutes: float = 5.0  # median detection-to-revocation delay
    log_gap_hours: float = 0.0  # one gap of this length in the Okta log (0: none)
    # How people and workloads reach the platforms (each shape as the vendors document it):
    identity_center_share: float = 0.5  # engineers without an IAM user on IAM Identity Center
    guest_share: float = 0.05  # Entra B2B guests (partners, vendors' staff) per employee
    workload_runtimes: bool = True  # AWS roles on EC2, Lambda, ECS and GitHub Actions (OIDC)
    oauth_apps: int = 2  # OAuth apps GitHub members authorised, acting with their tokens
    github_saml: bool = True  # GitHub events name each member's SAML identity (the e-mail)
    github_handle_share: float = 0.3  # GitHub handles that do not follow the e-mail
    credential_report: bool = True  # the client supplies the IAM credential report
    # Third-party apps connected to Entra by consent: employees consenting for themselves
    # (self-service, outside IT) and IT's admins consenting for the tenant; about half of
    # each are AI apps from the catalogue (assess/ai_apps.csv), the rest ordinary SaaS.
    user_consents: int = 4
    admin_consents: int = 2
    # AI agents with an identity of their own on Entra Agent ID: agent identities made from one
    # blueprint, with sponsors, acting for people (delegated sign-ins) and listed in the
    # registry export Microsoft Graph gives (the last one only there, not in the inventory)
    native_agents: int = 3
    # AI agents registered in Okta (Okta for AI Agents): listed by the AI agents API export,
    # getting tokens, and exchanging ID-JAGs to act for people (token actor chains)
    okta_agents: int = 2
    # CloudTrail as one file a month (`monthly`) or as S3 delivers it (`s3`: per region, a
    # file about every five minutes, under AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/)
    cloudtrail_layout: str = "monthly"
    # Entra logs as Azure Monitor diagnostic settings stream them (`diagnostic`) or as a
    # Sentinel / Log Analytics workspace exports its tables (`log_analytics`: SigninLogs,
    # AADServicePrincipalSignInLogs, ... with PascalCase columns, dynamic values as JSON text)
    entra_layout: str = "diagnostic"
    # Okta's System Log as its API returns it (`api`) or as a Splunk search exports the
    # events the Splunk Add-on for Okta indexed (`splunk`: each LogEvent in result._raw)
    okta_layout: str = "api"

    def __post_init__(self) -> None:
        for name, allowed in LAYOUTS.items():
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"{name} must be one of {', '.join(allowed)}, not {getattr(self, name)!r}"
                )

    def to_dict(self) -> dict:
        d = asdict(self)
        d["window_end"] = self.window_end.isoformat()
        return d


_BASE = SynthConfig()

# Each preset lands at its level under docs/maturity-model.md; `first_failing` names the
# criterion the engine should report first (None at level 5).
PROFILES: dict[str, tuple[dict, str | None]] = {
    "level1": (
        dict(
            user_consents=10,
            inventory_coverage=0.6,
            reviewed_share=0.3,
            owner_missing_share=0.15,
            owner_terminated_share=0.08,
            admin_share=0.25,
            stale_credential_share=0.6,
            shared_inventory=4,
            shared_human_use=3,
            shared_workloads=4,
            dormant_share=0.12,
            lifecycle_revoked=False,
            anomalies=6,
            alerts_on_anomalies=0.0,
            automated_alert_share=0.0,
            auto_revoke=False,
            revoke_delay_minutes=2880,
            log_gap_hours=60,
        ),
        "D1",
    ),
    "level2": (
        dict(
            user_consents=6,
            inventory_coverage=0.96,
            reviewed_share=0.9,
            owner_missing_share=0.08,
            owner_terminated_share=0.04,
            admin_share=0.15,
            stale_credential_share=0.4,
            shared_inventory=3,
            shared_human_use=2,
            shared_workloads=3,
            dormant_share=0.08,
            lifecycle_revoked=False,
            anomalies=6,
            alerts_on_anomalies=0.0,
            automated_alert_share=0.0,
            auto_revoke=False,
            revoke_delay_minutes=1440,
            log_gap_hours=36,
        ),
        "G1",
    ),
    "level3": (
        dict(
            user_consents=3,
            inventory_coverage=0.97,
            reviewed_share=0.95,
            owner_missing_share=0.0,
            owner_terminated_share=0.0,
            admin_share=0.05,
            stale_credential_share=0.03,
            shared_inventory=0,
            shared_human_use=0,
            shared_workloads=0,
            dormant_share=0.03,
            lifecycle_revoked=False,
            anomalies=6,
            alerts_on_anomalies=0.0,
            automated_alert_share=0.0,
            auto_revoke=False,
            revoke_delay_minutes=600,
            log_gap_hours=30,
        ),
        "M2",
    ),
    "level4": (
        dict(
            user_consents=2,
            inventory_coverage=0.98,
            reviewed_share=0.97,
            owner_missing_share=0.0,
            owner_terminated_share=0.0,
            admin_share=0.04,
            stale_credential_share=0.02,
            shared_inventory=0,
            shared_human_use=0,
            shared_workloads=0,
            dormant_share=0.03,
            lifecycle_revoked=False,
            anomalies=6,
            alerts_on_anomalies=1.0,
            automated_alert_share=1.0,
            auto_revoke=False,
            revoke_delay_minutes=240,
            log_gap_hours=30,
        ),
        "F1",
    ),
    "level5": (
        dict(
            user_consents=0,
            inventory_coverage=1.0,
            reviewed_share=1.0,
            owner_missing_share=0.0,
            owner_terminated_share=0.0,
            admin_share=0.03,
            stale_credential_share=0.0,
            shared_inventory=0,
            shared_human_use=0,
            shared_workloads=0,
            dormant_share=0.0,
            lifecycle_revoked=True,
            anomalies=6,
            alerts_on_anomalies=1.0,
            automated_alert_share=1.0,
            auto_revoke=True,
            revoke_delay_minutes=4,
            log_gap_hours=0,
        ),
        None,
    ),
}


def config_for(profile: str | None = None, **overrides: object) -> SynthConfig:
    """A config from a named profile (level1..level5, or None for the defaults) plus overrides."""
    known = {f.name for f in fields(SynthConfig)}
    unknown = set(overrides) - known
    if unknown:
        raise ValueError(f"unknown synth parameter(s): {', '.join(sorted(unknown))}")
    base = _BASE
    if profile:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile}; known: {', '.join(PROFILES)}")
        base = replace(base, profile=profile, **PROFILES[profile][0])
    return replace(base, **overrides)
