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


# --- Microsoft Entra admin center downloads ---------------------------------------------------
# Monitoring > Sign-in logs / Audit logs > Download > CSV writes one row per event with the
# portal's column titles (`Date (UTC)`, `Request ID`, `Application ID `, ...; the header check
# in bitpusher2k/M365IRScripts matches it byte for byte). Each title maps to the Graph
# `signIn` / `directoryAudit` property it shows, so the Entra readers apply unchanged.
# Titles are matched trimmed and case-insensitively (two end in a space in real files).
_PORTAL_SIGNIN = {
    "date (utc)": "createdDateTime",
    "request id": "id",
    "user agent": "userAgent",
    "correlation id": "correlationId",
    "user id": "userId",
    "user": "userDisplayName",
    "username": "userPrincipalName",
    "user type": "userType",
    "cross tenant access type": "crossTenantAccessType",
    "incoming token type": "incomingTokenType",
    "authentication protocol": "authenticationProtocol",
    "unique token identifier": "uniqueTokenIdentifier",
    "client credential type": "clientCredentialType",
    "application": "appDisplayName",
    "application id": "appId",
    "resource": "resourceDisplayName",
    "resource id": "resourceId",
    "resource tenant id": "resourceTenantId",
    "home tenant id": "homeTenantId",
    "home tenant name": "homeTenantName",
    "ip address": "ipAddress",
    "client app": "clientAppUsed",
    "session id": "sessionId",
    "sign-in identifier": "signInIdentifier",
    "managed identity type": "managedIdentityType",
    "service principal id": "servicePrincipalId",
    "service principal name": "servicePrincipalName",
    "credential key id": "servicePrincipalCredentialKeyId",
    "credential thumbprint": "servicePrincipalCredentialThumbprint",
    "federated token id": "federatedCredentialId",
    "autonomous system number": "autonomousSystemNumber",
}
_AUTH_REQUIREMENT = {
    "single-factor authentication": "singleFactorAuthentication",
    "multifactor authentication": "multiFactorAuthentication",
}


def _title(key: str) -> str:
    return " ".join(key.split()).lower()


def portal_kind(record: dict[str, Any] | None) -> str | None:
    """`signin` or `audit` for a row of an Entra admin-center CSV download, else None."""
    titles = {_title(k) for k in record or {}}
    if "date (utc)" not in titles:
        return None
    if "request id" in titles:
        return "signin"
    if {"activity", "actortype"} <= titles:
        return "audit"
    return None


def portal_signin(row: dict[str, Any]) -> dict[str, Any]:
    """A sign-in download row as the Graph `signIn` it shows."""
    cells = {_title(k): v for k, v in row.items() if v not in ("", None)}
    out: dict[str, Any] = {
        prop: cells[title] for title, prop in _PORTAL_SIGNIN.items() if title in cells
    }
    status, code = cells.get("status", ""), cells.get("sign-in error code")
    out["status"] = {
        "errorCode": int(code)
        if str(code or "").isdigit()
        else (0 if status == "Success" else None),
        "failureReason": cells.get("failure reason") if status != "Success" else None,
    }
    requirement = cells.get("authentication requirement", "")
    out["authenticationRequirement"] = _AUTH_REQUIREMENT.get(requirement.lower(), requirement)
    if "servicePrincipalId" in out:  # the Application (service principal) sign-ins file
        out["signInEventTypes"], out["isInteractive"] = ["servicePrincipal"], False
    return out


def portal_audit(row: dict[str, Any]) -> dict[str, Any]:
    """An audit download row as the Graph `directoryAudit` it shows (the download carries no
    audit id: `id` stays empty)."""
    cells = {_title(k): v for k, v in row.items() if v not in ("", None)}

    def get(name: str) -> Any:
        return cells.get(name.lower())

    actor: dict[str, Any]
    if (get("ActorType") or "").lower() == "user":
        actor = {
            "user": {
                "id": get("ActorObjectId"),
                "displayName": get("ActorDisplayName"),
                "userPrincipalName": get("ActorUserPrincipalName"),
                "ipAddress": get("IPAddress"),
                "homeTenantId": get("ActorHomeTenantId"),
            }
        }
    else:
        actor = {
            "app": {
                "servicePrincipalId": get("ActorServicePrincipalId") or get("ActorObjectId"),
                "displayName": get("ActorDisplayName"),
                "servicePrincipalName": get("ActorServicePrincipalName"),
            }
        }
    targets = []
    for t in range(1, 10):
        if not any(k.startswith(f"target{t}") for k in cells):
            continue
        props = [
            {
                "displayName": get(f"Target{t}ModifiedProperty{p}Name"),
                "oldValue": get(f"Target{t}ModifiedProperty{p}OldValue"),
                "newValue": get(f"Target{t}ModifiedProperty{p}NewValue"),
            }
            for p in range(1, 10)
            if get(f"Target{t}ModifiedProperty{p}Name")
        ]
        targets.append(
            {
                "id": get(f"Target{t}ObjectId"),
                "displayName": get(f"Target{t}DisplayName"),
                "type": get(f"Target{t}Type"),
                "userPrincipalName": get(f"Target{t}UserPrincipalName"),
                "modifiedProperties": props,
            }
        )
    details = [
        {"key": get(f"AdditionalDetail{d}Key"), "value": get(f"AdditionalDetail{d}Value")}
        for d in range(1, 10)
        if get(f"AdditionalDetail{d}Key")
    ]
    return {
        "activityDateTime": get("Date (UTC)"),
        "correlationId": get("CorrelationId"),
        "loggedByService": get("Service"),
        "category": get("Category"),
        "activityDisplayName": get("Activity"),
        "result": get("Result"),
        "resultReason": get("ResultReason"),
        "initiatedBy": actor,
        "targetResources": targets,
        "additionalDetails": details,
    }


def portal_text(raw: str | None) -> str | None:
    """An admin-center download row's JSON text as the Graph record's (`aa_entra_portal`)."""
    try:
        row = json.loads(raw) if raw is not None else None
    except ValueError:
        return None
    kind = portal_kind(row) if isinstance(row, dict) else None
    if kind is None:
        return None
    return json.dumps(portal_signin(row) if kind == "signin" else portal_audit(row))
