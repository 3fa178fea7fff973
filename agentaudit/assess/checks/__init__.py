"""Findings: each check is a module defining `CHECK`, its metadata beside its SQL.

The SQL reads the assessment views and returns the offending rows, each with
`identity_key`, `credential_key` (or NULL) and `evidence` in words. The registry discovers
every module of this package; adding a check is adding a file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

SEVERITIES = ("critical", "high", "medium", "low")

# OWASP Non-Human Identities Top 10 (2025)
OWASP_NHI = {
    "NHI1": "Improper Offboarding",
    "NHI2": "Secret Leakage",
    "NHI3": "Vulnerable Third-Party NHI",
    "NHI4": "Insecure Authentication",
    "NHI5": "Overprivileged NHI",
    "NHI6": "Insecure Cloud Deployment Configurations",
    "NHI7": "Long-Lived Secrets",
    "NHI8": "Environment Isolation",
    "NHI9": "NHI Reuse",
    "NHI10": "Human Use of NHI",
}


@dataclass(frozen=True)
class Check:
    """A finding's definition: what it means, why it matters, what to do, and how to find it."""

    id: str
    title: str
    severity: str
    rationale: str
    remediation: str
    criterion: str  # the maturity criterion it evidences
    owasp: str  # OWASP NHI Top 10 (2025) id
    sql: str  # SELECT identity_key, credential_key, evidence FROM <views>

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES or self.owasp not in OWASP_NHI:
            raise ValueError(f"check {self.id}: bad severity or OWASP id")

    def for_policy(self, policy: Mapping[str, Any]) -> Check:
        """This check with the thresholds its texts name (`{rotation_days}`) as the policy in
        force sets them."""
        return replace(
            self,
            title=self.title.format_map(policy),
            rationale=self.rationale.format_map(policy),
            remediation=self.remediation.format_map(policy),
        )


@cache
def all_checks() -> tuple[Check, ...]:
    """Every check, discovered from this package's modules, by severity then id."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        check = getattr(module, "CHECK", None)
        if isinstance(check, Check):
            found.append(check)
    return tuple(sorted(found, key=lambda c: (SEVERITIES.index(c.severity), c.id)))
