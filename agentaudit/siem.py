"""Records as Microsoft Sentinel / Azure Monitor Log Analytics hands them over, brought back to
the vendor's own shape so the Entra readers' field mappings apply unchanged.

Log Analytics tables (`SigninLogs`, `AADServicePrincipalSignInLogs`, `AuditLogs`, ...) name
their columns in PascalCase (`TimeGenerated`, `CreatedDateTime`, `InitiatedBy`) where Microsoft
Graph writes camelCase, store nested values (`dynamic` columns such as `Status` or
`TargetResources`) as JSON text, and the portal's CSV export names time columns
`TimeGenerated [UTC]` with values like `4/28/2021, 2:08:45.221 PM`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

_UTC_SUFFIX = " [UTC]"
_PORTAL_TIME = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}, \d{1,2}:\d{2}:\d{2}(\.\d+)? [AP]M$")


def looks_like_log_analytics(record: dict[str, Any] | None) -> bool:
    """A Log Analytics row: a `TimeGenerated` column and PascalCase column names."""
    if not record:
        return False
    keys = list(record)
    if not any(k == "TimeGenerated" or k.startswith("TimeGenerated [") for k in keys):
        return False
    return sum(k[:1].isupper() for k in keys) >= 0.8 * len(keys)


def camel(name: str) -> str:
    """`CreatedDateTime` -> `createdDateTime`, `IPAddress` -> `ipAddress`, `Id` -> `id`."""
    name = name.removesuffix(_UTC_SUFFIX)
    for suffix in ("_dynamic", "_string"):
        name = name.removesuffix(suffix)
    run = len(name) - len(name.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    if run == 0:
        return name
    if run == len(name) or run == 1:
        return name[:run].lower() + name[run:]
    return name[: run - 1].lower() + name[run - 1 :]


def _value(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text[:1] in "{[":
        try:
            return json.loads(text)
        except ValueError:
            return value
    if _PORTAL_TIME.match(text):
        fmt = "%m/%d/%Y, %I:%M:%S.%f %p" if "." in text else "%m/%d/%Y, %I:%M:%S %p"
        try:
            return datetime.strptime(text, fmt).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        except ValueError:
            return value
    return value


def normalise(record: dict[str, Any]) -> dict[str, Any]:
    """A Log Analytics row in Microsoft Graph's shape: camelCase keys, dynamic columns parsed,
    portal times in ISO-8601 UTC. Empty cells are dropped."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if value in ("", None):
            continue
        name = camel(key)
        if name not in out or key.endswith("_dynamic"):
            out[name] = _value(key, value)
    return out


def normalise_text(raw: str | None) -> str | None:
    """`normalise` over a record's JSON text (the DuckDB function `aa_log_analytics`)."""
    if raw is None:
        return None
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    return json.dumps(normalise(record))
