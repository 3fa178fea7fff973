"""Assessment thresholds: the maturity model's defaults, overridable by a policy file (YAML)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from agentaudit.errors import InputError

# Defaults from the maturity model (docs/maturity-model.md in the specification).
DEFAULTS: dict[str, Any] = {
    "inventory_coverage_min": 0.80,  # D1
    "shadow_share_max": 0.10,  # D2
    "review_days": 365,  # D3: "reviewed in the last N days"
    "reviewed_share_min": 0.80,  # D3
    "shared_credential_share_max": 0.05,  # G1
    "privileged_share_max": 0.10,  # G1
    "rotation_days": 90,  # G2
    "rotated_share_min": 0.90,  # G2
    "owner_share_min": 0.95,  # G3
    "monitored_share_min": 0.90,  # M1
    "nhi_alerts_min": 1,  # M2
    "automated_alert_share_min": 0.90,  # M3
    "automated_revocations_min": 1,  # F1
    "revocation_minutes_max": 15,  # F1
    "attributable_share_min": 0.99,  # F2
    "log_gap_hours_max": 24,  # F2
    "lifecycle_revoke_days": 7,  # F3
    "lifecycle_revoked_share_min": 1.0,  # F3
    "dormant_days": 90,  # F3 and the dormant list
    "dormant_share_max": 0.02,  # F3
    "shared_workload_threshold": 3,  # distinct (user-agent family, /24) pairs
    "anomaly_min_events": 10,  # events that make an off-hours or new-network burst
    "anomaly_min_days": 7,  # active days an NHI needs before it has a baseline
    "spike_factor": 5.0,  # a day at least this many times the median day ...
    "spike_margin": 50,  # ... and this many events above it
    "privileged_patterns": [
        "*",
        "AdministratorAccess",
        "Directory.ReadWrite.All",
        "admin:",
        "Owner",
        "Global Administrator",
        "FullAccess",
        "iam:*",
    ],
    # Agents acting for people (docs/agents.md): a person whose delegation reaches more agents
    # than this is reported
    "delegation_agents_max": 5,
    # The discovery audit (docs/discovery.md): self-service issuance is shown beside D1/D2
    "self_service_issuance_share_max": 0.0,  # share of issuance outside IT's channels
    "broad_scope_patterns": [  # delegated scopes that reach mail, files or the directory
        "Mail.",
        "Files.",
        "Sites.",
        "Directory.",
        "User.ReadWrite",
        "Calendars.ReadWrite",
        "Chat.",
        "OnlineMeetingTranscript.",
        "okta.users.",
        "okta.logs.",
        "repo",
        "admin:",
    ],
    "window_start": None,  # default: the first event
    "window_end": None,  # default: the last event
}


def load_policy(path: str | Path | None = None, **overrides: Any) -> dict[str, Any]:
    """The defaults, updated by a YAML policy file and keyword overrides; unknown keys refused."""
    policy = dict(DEFAULTS)
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise InputError(str(path), f"cannot read the policy: {exc}") from exc
        if not isinstance(data, dict):
            raise InputError(str(path), "expected a mapping of threshold name to value")
    data.update(overrides)
    unknown = sorted(set(data) - set(DEFAULTS))
    if unknown:
        raise InputError(
            str(path or "policy"),
            f"unknown policy key(s): {', '.join(unknown)}; known: {', '.join(DEFAULTS)}",
        )
    for key, value in data.items():
        default = DEFAULTS[key]
        numeric = isinstance(default, float | int) and not isinstance(default, bool)
        if numeric and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise InputError(str(path or "policy"), f"{key} must be a number, got {value!r}")
        policy[key] = value
    return policy
