"""Microsoft Entra audit logs (Graph `directoryAudit` objects or Azure Monitor `AuditLogs`
diagnostic records): who changed which service principal, application or credential."""

from agentaudit.containers import Sample
from agentaudit.readers.base import Reader, field_of


def detect(sample: Sample) -> bool:
    first = sample.first or {}
    props = first.get("properties") if isinstance(first.get("properties"), dict) else first
    keys = {k.lower() for k in props}
    return "activitydisplayname" in keys or ("initiatedby" in keys and "targetresources" in keys)


def f(*paths: str) -> str:
    return field_of(*paths, src="p")


ACTOR_ID = f(
    "$.initiatedBy.user.id",
    "$.initiatedBy.app.servicePrincipalId",
    "$.initiatedBy.app.appId",
    "$.initiatedBy.app.displayName",
)
IS_APP = f"({f('$.initiatedBy.user.id')} IS NULL)"

SELECT = f"""
SELECT rec_no,
    coalesce({f("$.activityDateTime")}, {field_of("$.time")}) AS event_time_raw,
    'entra_audit' AS source_format, 'entra' AS platform,
    {f("$.id")} AS event_id,
    coalesce({f("$.activityDisplayName")}, {field_of("$.operationName")}) AS event_type,
    coalesce({f("$.category")}, {field_of("$.category")}) AS category,
    CASE lower({f("$.result")}) WHEN 'success' THEN 'success' WHEN 'failure' THEN 'failure'
         WHEN 'timeout' THEN 'failure' ELSE 'unknown' END AS outcome,
    {f("$.resultReason")} AS outcome_detail,
    'entra:' || {ACTOR_ID} AS actor_key,
    {ACTOR_ID} AS actor_id,
    CASE WHEN {IS_APP} THEN {
    f("$.initiatedBy.app.servicePrincipalName", "$.initiatedBy.app.displayName")
}
         ELSE {f("$.initiatedBy.user.userPrincipalName")} END AS actor_name,
    CASE WHEN {IS_APP} THEN {f("$.initiatedBy.app.displayName")}
         ELSE {f("$.initiatedBy.user.displayName")} END AS actor_display_name,
    CASE WHEN {IS_APP} THEN 'ServicePrincipal' ELSE 'User' END AS actor_type,
    {f("$.correlationId")} AS session_name,
    NULL AS credential_key, NULL AS credential_id, NULL AS credential_type,
    {f("$.initiatedBy.app.appId")} AS app_id,
    {f("$.initiatedBy.app.displayName")} AS app_name,
    NULL AS user_agent,
    coalesce({f("$.initiatedBy.user.ipAddress")},
             {field_of("$.callerIpAddress", "$.calleripaddress")}) AS source_ip,
    NULL::BOOLEAN AS is_interactive,
    {f("$.targetResources[0].id")} AS target_id,
    coalesce({f("$.targetResources[0].displayName")},
             {f("$.targetResources[0].userPrincipalName")}) AS target_name,
    {f("$.targetResources[0].type")} AS target_type,
    {f("$.loggedByService")} AS resource
FROM (SELECT rec_no, j, coalesce(j->'properties', j) AS p FROM _records)
"""

_TARGETS = """(SELECT s.*, unnest(json_extract(coalesce(raw::JSON->'properties', raw::JSON),
                                          '$.targetResources[*]')) AS t
              FROM _staged s WHERE reject_reason IS NULL)"""

# Service principals and applications named as targets are identities.
TARGET_IDENTITIES = f"""
INSERT INTO _extra_identities
SELECT 'entra:' || (t->>'id'), 'entra', t->>'id', aa_none(t->>'displayName'),
       aa_none(t->>'displayName'), t->>'type', NULL, NULL, NULL, NULL, source_format, file_id
FROM {_TARGETS}
WHERE t->>'type' IN ('ServicePrincipal', 'Application') AND aa_none(t->>'id') IS NOT NULL
"""

# "Add/Remove service principal credentials" and certificate/secret updates name the key.
_KEY_DESC = """coalesce((SELECT any_value(mp->>'newValue') FROM
                   (SELECT unnest(json_extract(t, '$.modifiedProperties[*]')) AS mp)
                   WHERE mp->>'displayName' = 'KeyDescription'),
                  (SELECT any_value(mp->>'oldValue') FROM
                   (SELECT unnest(json_extract(t, '$.modifiedProperties[*]')) AS mp)
                   WHERE mp->>'displayName' = 'KeyDescription'))"""
CREDENTIALS = f"""
INSERT INTO _extra_credentials
WITH c AS (
    SELECT *, {_KEY_DESC} AS key_desc FROM {_TARGETS}
    WHERE event_type IN ('Add service principal credentials',
                         'Remove service principal credentials')
      AND t->>'type' IN ('ServicePrincipal', 'Application'))
SELECT 'entra:credential:' || coalesce(
           nullif(regexp_extract(key_desc, 'KeyIdentifier=([0-9a-fA-F-]+)', 1), ''),
           (t->>'id') || ':' || trim(key_desc, '"[] ')),
       'entra',
       coalesce(nullif(regexp_extract(key_desc, 'KeyIdentifier=([0-9a-fA-F-]+)', 1), ''),
                trim(key_desc, '"[] ')),
       CASE WHEN key_desc ILIKE '%AsymmetricX509Cert%' THEN 'certificate'
            ELSE 'client_secret' END,
       'entra:' || (t->>'id'),
       CASE WHEN event_type LIKE 'Remove%' THEN 'revoked' ELSE 'active' END,
       CASE WHEN event_type LIKE 'Add%' THEN event_time END,
       CASE WHEN event_type LIKE 'Remove%' THEN event_time END,
       event_time, NULL, source_format, file_id
FROM c WHERE key_desc IS NOT NULL
"""

READER = Reader(
    name="entra_audit",
    title="Microsoft Entra audit logs",
    target="events",
    detect=detect,
    select_sql=SELECT,
    time_field="activityDateTime (or time)",
    actor_field="initiatedBy.user.id or initiatedBy.app",
    extra_sql=(TARGET_IDENTITIES, CREDENTIALS),
)
