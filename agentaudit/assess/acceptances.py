"""Risk acceptance: a consultant accepts a finding instance or a whole check, with a
justification, an owner and an expiry date. Accepted findings stay visible (status
`accepted`) and do not count against the criteria; an expired exception stops applying and
the assessment says so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from agentaudit.errors import InputError

REQUIRED = ("check", "justification", "owner", "expires")


@dataclass
class RiskAcceptance:
    """One entry of the exceptions file, and what it matched."""

    number: int
    check: str
    justification: str
    owner: str
    expires: date
    fingerprint: str | None = None
    identity: str | None = None
    status: str = ""  # active | expired | unmatched
    matched: int = 0

    @property
    def scope(self) -> str:
        return self.fingerprint or self.identity or "whole check"

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "scope": self.scope,
            "owner": self.owner,
            "expires": self.expires.isoformat(),
            "justification": self.justification,
            "status": self.status,
            "matched": self.matched,
        }


def load_exceptions(path: str | Path, known_checks: set[str]) -> list[RiskAcceptance]:
    """Read and validate an exceptions file; every problem names the entry and the field."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(str(path), f"cannot read the exceptions file: {exc}") from exc
    entries = data.get("exceptions") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise InputError(str(path), "expected a list under `exceptions:`")
    out = []
    for i, e in enumerate(entries, start=1):
        if not isinstance(e, dict):
            raise InputError(str(path), "expected a mapping", record_no=i)
        missing = [k for k in REQUIRED if not e.get(k)]
        if missing:
            raise InputError(
                str(path),
                f"missing {', '.join(missing)} (each exception needs {', '.join(REQUIRED)})",
                record_no=i,
            )
        if e["check"] not in known_checks:
            raise InputError(
                str(path),
                f"unknown check {e['check']!r}; known: {', '.join(sorted(known_checks))}",
                record_no=i,
            )
        expires = e["expires"]
        if isinstance(expires, datetime):
            expires = expires.date()
        if not isinstance(expires, date):
            try:
                expires = date.fromisoformat(str(expires))
            except ValueError as exc:
                raise InputError(
                    str(path),
                    f"expires must be a date (YYYY-MM-DD), got {e['expires']!r}",
                    record_no=i,
                ) from exc
        out.append(
            RiskAcceptance(
                i,
                e["check"],
                str(e["justification"]),
                str(e["owner"]),
                expires,
                e.get("fingerprint"),
                e.get("identity"),
            )
        )
    return out


def today() -> date:
    return datetime.now(UTC).date()
