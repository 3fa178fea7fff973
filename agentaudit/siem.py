"""Records as Microsoft Sentinel / Azure Monitor Log Analytics hands them over, brought back to
the vendor's own shape so the Entra readers' field mappings apply unchanged.

Log Analytics tables (`SigninLogs`, `AADServicePrincipalSignInLogs`, `AuditLogs`, ...) name
their columns in PascalCase (`TimeGenerated`, `CreatedDateTime`, `InitiatedBy`) where Microsoft
Graph writes camelCase, store nested values (`dynamic` columns such as `Status` or
`TargetResources`) as JSON text, and the portal's CSV export names time columns
`TimeGenerated [UTC]` with values like `4/28/2021, 2:08:45.221 PM`.
"""

from __future__ import annotations

import contextlib
import functools
import re
from datetime import datetime
from typing import Any

from agentaudit.jsontext import dumps, loads

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


def kind(record: dict[str, Any] | None) -> str | None:
    """Which SIEM table or flattened export a row comes from, or None:
    `aws_cloudtrail` (Sentinel's AWSCloudTrail), `okta_cl` (Okta_CL, the Data Collector
    API's typed suffixes), `okta_v2` (OktaV2_CL / OktaSystemLogs), `entra` (SigninLogs,
    AuditLogs and siblings), `dotted` (nested fields as dotted column names)."""
    if not record:
        return None
    keys = {k.removesuffix(_UTC_SUFFIX) for k in record}
    if {"EventSource", "EventName", "UserIdentityType"} <= keys:
        return "aws_cloudtrail"
    if {"eventType_s", "published_t"} <= keys or {"eventType_s", "uuid_g"} <= keys:
        return "okta_cl"
    if {"EventOriginalUid", "EventOriginalType", "OriginalUserType"} <= keys:
        return "okta_v2"
    if looks_like_log_analytics(record):
        return "entra"
    if {"uuid", "published", "eventType", "actor.id"} <= keys:
        return "dotted"
    return None


@functools.lru_cache(maxsize=4096)
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
    if not text or text[0] not in "{[0123456789":
        return value
    if text[0] in "{[":
        try:
            return loads(text)
        except ValueError:
            return value
    if _PORTAL_TIME.match(text):  # en-US: month first, 12-hour clock
        fmt = "%m/%d/%Y, %I:%M:%S.%f %p" if "." in text else "%m/%d/%Y, %I:%M:%S %p"
    elif _PORTAL_TIME_24H.match(text):  # en-GB and most locales: day first, 24-hour clock
        fmt = "%d/%m/%Y, %H:%M:%S.%f" if "." in text else "%d/%m/%Y, %H:%M:%S"
    else:
        return value
    try:
        return datetime.strptime(text, fmt).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return value


_PORTAL_TIME_24H = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}, \d{1,2}:\d{2}:\d{2}(\.\d+)?$")


def _cells(record: dict[str, Any]) -> dict[str, Any]:
    """Non-empty cells, headers without the portal's ` [UTC]`, values parsed (JSON text, times)."""
    return {
        k.removesuffix(_UTC_SUFFIX): _value(k, v) for k, v in record.items() if v not in ("", None)
    }


def normalise(record: dict[str, Any], found: str | None = None) -> dict[str, Any]:
    """A SIEM row in the vendor's own shape (see `kind`; a file's rows are all of one kind,
    so the caller may say which); empty cells are dropped."""
    found = found or kind(record)
    if found == "aws_cloudtrail":
        return _cloudtrail(_cells(record))
    if found == "okta_cl":
        return _okta_cl(_cells(record))
    if found == "okta_v2":
        return _okta_v2(_cells(record))
    if found == "dotted":
        return _nest({k: v for k, v in _cells(record).items()}, ".")
    out: dict[str, Any] = {}  # Entra: Graph's camelCase
    for key, value in record.items():
        if value in ("", None):
            continue
        name = camel(key)
        if name not in out or key.endswith("_dynamic"):
            out[name] = _value(key, value)
    return out


def _nest(flat: dict[str, Any], sep: str) -> dict[str, Any]:
    """`{"actor.id": 1}` -> `{"actor": {"id": 1}}`."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        node = out
        *parents, leaf = key.split(sep)
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[leaf] = value
    return out


def _pruned(value: Any) -> Any:
    """A record without empty members (None, "", {}), as the vendor omits them."""
    if isinstance(value, dict):
        kept = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, "", {})}
    return value


# Sentinel's AWSCloudTrail columns (learn.microsoft.com/azure/azure-monitor/reference/tables/
# awscloudtrail) -> the CloudTrail record field each holds. JSON-bearing columns are strings.
_CLOUDTRAIL_TOP = {
    "EventVersion": "eventVersion",
    "EventSource": "eventSource",
    "EventName": "eventName",
    "AWSRegion": "awsRegion",
    "SourceIpAddress": "sourceIPAddress",
    "UserAgent": "userAgent",
    "ErrorCode": "errorCode",
    "ErrorMessage": "errorMessage",
    "RequestParameters": "requestParameters",
    "ResponseElements": "responseElements",
    "AdditionalEventData": "additionalEventData",
    "Resources": "resources",
    "AwsEventId": "eventID",
    "EventTypeName": "eventType",
    "APIVersion": "apiVersion",
    "ReadOnly": "readOnly",
    "RecipientAccountId": "recipientAccountId",
    "ServiceEventDetails": "serviceEventDetails",
    "SharedEventId": "sharedEventID",
    "VpcEndpointId": "vpcEndpointId",
    "ManagementEvent": "managementEvent",
}
_CLOUDTRAIL_IDENTITY = {
    "UserIdentityType": "type",
    "UserIdentityPrincipalid": "principalId",
    "UserIdentityArn": "arn",
    "UserIdentityAccountId": "accountId",
    "UserIdentityAccessKeyId": "accessKeyId",
    "UserIdentityUserName": "userName",
    "UserIdentityInvokedBy": "invokedBy",
    "UserIdentityUserId": "userId",
    "UserIdentityStoreArn": "identityStoreArn",
}
_CLOUDTRAIL_ISSUER = {
    "SessionIssuerType": "type",
    "SessionIssuerPrincipalId": "principalId",
    "SessionIssuerArn": "arn",
    "SessionIssuerAccountId": "accountId",
    "SessionIssuerUserName": "userName",
}


def _cloudtrail(cells: dict[str, Any]) -> dict[str, Any]:
    """An AWSCloudTrail row as the CloudTrail record it was made from."""
    identity = {v: cells.get(k) for k, v in _CLOUDTRAIL_IDENTITY.items()}
    mfa = cells.get("SessionMfaAuthenticated")
    identity["sessionContext"] = {
        "sessionIssuer": {v: cells.get(k) for k, v in _CLOUDTRAIL_ISSUER.items()},
        "attributes": {
            "creationDate": cells.get("SessionCreationDate"),
            "mfaAuthenticated": None if mfa is None else str(mfa).lower(),
        },
    }
    if not identity["sessionContext"]["sessionIssuer"].get("type"):
        identity["sessionContext"]["attributes"]["mfaAuthenticated"] = None
    record = {v: cells.get(k) for k, v in _CLOUDTRAIL_TOP.items()}
    record["eventTime"] = _iso_seconds(cells.get("TimeGenerated"))
    record["requestID"] = cells.get("AwsRequestId_") or cells.get("AwsRequestId")
    record["userIdentity"] = identity
    return _pruned(record)


def _iso_seconds(value: Any) -> Any:
    """`2026-03-16T09:55:03.000000Z` -> `2026-03-16T09:55:03Z` (CloudTrail's own form)."""
    if isinstance(value, str) and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.0+)?Z$", value):
        return value[:19] + "Z"
    return value


_OKTA_CL_META = {"TenantId", "SourceSystem", "MG", "ManagementGroupName", "Computer", "RawData"}
_OKTA_CL_META |= {"Type", "_ResourceId", "TimeGenerated", "_BilledSize", "_IsBillable"}
_TYPED = re.compile(r"^(.+)_(s|t|d|b|g)$")


def _okta_cl(cells: dict[str, Any]) -> dict[str, Any]:
    """An Okta_CL row (each LogEvent path flattened with `_`, a type suffix added by the Data
    Collector API: `actor_alternateId_s`, `published_t`, `uuid_g`) as the LogEvent."""
    flat = {}
    for key, value in cells.items():
        match = _TYPED.match(key)
        if key in _OKTA_CL_META or not match:
            continue
        flat[match.group(1)] = value
    return _nest(flat, "_")


# OktaV2_CL (Sentinel's Okta SSO connector v2; the data collection rule's transformKql in
# Azure/Azure-Sentinel `OktaSSOv2_DCR.json`) -> the LogEvent paths its columns came from.
_OKTA_V2 = {
    "EventOriginalUid": "uuid",
    "TimeGenerated": "published",
    "EventOriginalType": "eventType",
    "EventMessage": "displayMessage",
    "OriginalSeverity": "severity",
    "LegacyEventType": "legacyEventType",
    "Version": "version",
    "OriginalOutcomeResult": "outcome.result",
    "EventOriginalResultDetails": "outcome.reason",
    "OriginalUserId": "actor.id",
    "OriginalUserType": "actor.type",
    "OriginalActorAlternateId": "actor.alternateId",
    "ActorDisplayName": "actor.displayName",
    "ActorDetailEntry": "actor.detailEntry",
    "ActorSessionId": "authenticationContext.externalSessionId",
    "HttpUserAgent": "client.userAgent.rawUserAgent",
    "ActingAppName": "client.userAgent.browser",
    "SrcDvcOs": "client.userAgent.os",
    "SrcIpAddr": "client.ipAddress",
    "SrcDvcId": "client.id",
    "OriginalClientDevice": "client.device",
    "SrcZone": "client.zone",
    "OriginalTarget": "target",
    "DebugData": "debugContext.debugData",
    "Request": "request",
    "TransactionId": "transaction.id",
    "TransactionType": "transaction.type",
    "TransactionDetail": "transaction.detail",
}


def _okta_v2(cells: dict[str, Any]) -> dict[str, Any]:
    """An OktaV2_CL (or OktaSystemLogs) row as the LogEvent its columns were taken from."""
    return _nest({path: cells[col] for col, path in _OKTA_V2.items() if col in cells}, ".")


def normalise_text(raw: str | None, found: str | None = None) -> str | None:
    """`normalise` over a record's JSON text (the DuckDB function `aa_siem(raw, kind)`)."""
    if raw is None:
        return None
    try:
        record = loads(raw)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    try:
        return dumps(normalise(record, found))
    except RecursionError:  # a hostile record nested past what the rules walk
        return None


# --- CloudTrail Lake query results --------------------------------------------------------
# `aws cloudtrail get-query-results` returns `QueryResultRows`: each row a list of
# one-key maps `{"<column as selected>": "<value as text>"}`. Struct columns such as
# `userIdentity` come back in Trino's text form, `{type=IAMUser, principalid=..., sessioncontext=
# {attributes={...}}}`, with the field names lower-cased; times as `2026-03-17 07:58:30.000`.
_CLOUDTRAIL_NAMES = [
    "type",
    "principalId",
    "arn",
    "accountId",
    "accessKeyId",
    "userName",
    "sessionContext",
    "attributes",
    "creationDate",
    "mfaAuthenticated",
    "sessionIssuer",
    "invokedBy",
    "webIdFederationData",
    "federatedProvider",
    "identityProvider",
    "credentialId",
    "onBehalfOf",
    "userId",
    "identityStoreArn",
    "sourceIdentity",
    "ec2RoleDelivery",
    "assumedRoot",
]
_CLOUDTRAIL_CASE = {n.lower(): n for n in _CLOUDTRAIL_NAMES}
_LAKE_TIME = re.compile(r"^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(\.\d+)?$")


def _trino_text(text: str, pos: int = 0) -> tuple[Any, int]:
    """Parse Trino's rendering of a row or map (`{a=1, b={c=2}}`) from `pos`."""
    if text[pos] != "{":
        end = pos
        while end < len(text) and text[end] not in ",}":
            end += 1
        word = text[pos:end].strip()
        return (None if word == "null" else word), end
    out: dict[str, Any] = {}
    pos += 1
    while pos < len(text) and text[pos] != "}":
        eq = text.index("=", pos)
        key = text[pos:eq].strip()
        value, pos = _trino_text(text, eq + 1)
        out[_CLOUDTRAIL_CASE.get(key.lower(), key)] = value
        if pos < len(text) and text[pos] == ",":
            pos += 1
        while pos < len(text) and text[pos] == " ":
            pos += 1
    return out, pos + 1


def lake_record(row: Any) -> dict[str, Any] | None:
    """One CloudTrail Lake result row as a CloudTrail record (None if it is not a row)."""
    if not isinstance(row, list) or not all(isinstance(c, dict) for c in row):
        return None
    record: dict[str, Any] = {}
    for cell in row:
        for key, value in cell.items():
            if isinstance(value, str) and value.startswith("{") and "=" in value:
                with contextlib.suppress(ValueError, IndexError):
                    value = _trino_text(value)[0]
            elif isinstance(value, str) and (m := _LAKE_TIME.match(value)):
                value = f"{m.group(1)}T{m.group(2)}Z"
            record[key] = value
    if isinstance(record.get("userIdentity"), dict):
        attrs = record["userIdentity"].get("sessionContext") or {}
        when = (attrs.get("attributes") or {}).get("creationDate")
        if isinstance(when, str) and (m := _LAKE_TIME.match(when)):
            attrs["attributes"]["creationDate"] = f"{m.group(1)}T{m.group(2)}Z"
    return _pruned(record)


def lake_text(raw: str | None) -> str | None:
    """`lake_record` over a result row's JSON text (the DuckDB function `aa_cloudtrail_lake`)."""
    try:
        row = loads(raw) if raw is not None else None
    except ValueError:
        return None
    try:
        record = lake_record(row)
    except RecursionError:
        return None
    return None if record is None else dumps(record)


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
        row = loads(raw) if raw is not None else None
    except ValueError:
        return None
    kind = portal_kind(row) if isinstance(row, dict) else None
    if kind is None:
        return None
    try:
        return dumps(portal_signin(row) if kind == "signin" else portal_audit(row))
    except RecursionError:
        return None
