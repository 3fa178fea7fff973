"""Microsoft Entra audit logs (Graph `directoryAudit` objects or Azure Monitor `AuditLogs`
diagnostic records): who changed which service principal, application or credential."""

from agentaudit.containers import Sample
from agentaudit.readers.base import Reader


def detect(sample: Sample) -> bool:
    first = sample.first or {}
    props = first.get("properties") if isinstance(first.get("properties"), dict) else first
    keys = {k.lower() for k in props}
    return "activitydisplayname" in keys or ("initiatedby" in keys and "targetresources" in keys)


def prop(path: str) -> tuple[str, str]:
    """An audit field: under `properties` in diagnostic records, top-level in Graph."""
    return ("$.properties" + path[1:], path)


FIELDS = {
    "activity_time": prop("$.activityDateTime") + ("$.time",),
    "id": prop("$.id"),
    "activity": prop("$.activityDisplayName") + ("$.operationName",),
    "category": prop("$.category"),
    "result": prop("$.result"),
    "result_reason": prop("$.resultReason"),
    "user_id": prop("$.initiatedBy.user.id"),
    "upn": prop("$.initiatedBy.user.userPrincipalName"),
    "user_display": prop("$.initiatedBy.user.displayName"),
    "user_ip": prop("$.initiatedBy.user.ipAddress") + ("$.callerIpAddress", "$.calleripaddress"),
    "app_sp_id": prop("$.initiatedBy.app.servicePrincipalId"),
    "app_id": prop("$.initiatedBy.app.appId"),
    "app_display": prop("$.initiatedBy.app.displayName"),
    "app_sp_name": prop("$.initiatedBy.app.servicePrincipalName"),
    "correlation": prop("$.correlationId"),
    "t0_id": prop("$.targetResources[0].id"),
    "t0_name": prop("$.targetResources[0].displayName")
    + prop("$.targetResources[0].userPrincipalName"),
    "t0_type": prop("$.targetResources[0].type"),
    "service": prop("$.loggedByService"),
    # Entra Agent ID: the agentType of the target and of the initiator, and the blueprint
    # (its object id) each belongs to (learn.microsoft.com, "Agent ID audit logs")
    "t0_agent_type": prop("$.targetResources[0].agentType"),
    "t0_blueprint": prop("$.targetResources[0].blueprintId"),
    "by_agent_type": prop("$.initiatedBy.app.agentType") + prop("$.performedBy.agentType"),
    "by_blueprint": prop("$.initiatedBy.app.blueprintId") + prop("$.performedBy.blueprintId"),
}

ACTOR_ID = "coalesce(user_id, app_sp_id, app_id, app_display)"

MAPPING = f"""
    activity_time AS event_time_raw,
    'entra_audit' AS source_format, 'entra' AS platform,
    id AS event_id, activity AS event_type, category,
    CASE lower(result) WHEN 'success' THEN 'success' WHEN 'failure' THEN 'failure'
         WHEN 'timeout' THEN 'failure' ELSE 'unknown' END AS outcome,
    result_reason AS outcome_detail,
    'entra:' || {ACTOR_ID} AS actor_key, {ACTOR_ID} AS actor_id,
    CASE WHEN user_id IS NULL THEN coalesce(app_sp_name, app_display) ELSE upn END
        AS actor_name,
    CASE WHEN user_id IS NULL THEN app_display ELSE user_display END AS actor_display_name,
    CASE WHEN user_id IS NULL THEN 'ServicePrincipal' ELSE 'User' END AS actor_type,
    correlation AS session_name,
    NULL AS credential_key, NULL AS credential_id, NULL AS credential_type,
    app_id, app_display AS app_name, NULL AS user_agent, user_ip AS source_ip,
    NULL::BOOLEAN AS is_interactive,
    t0_id AS target_id, t0_name AS target_name, t0_type AS target_type, service AS resource
"""

AGENTIC = "('agenticApp', 'agenticAppInstance', 'agentIdentityBlueprintPrincipal', 'agentIDuser')"

# The agent an audit record is about: the target when it is an Agent ID object (created,
# changed, given a sponsor), else the initiating agent. Its parent is the blueprint's object id
# (sign-ins name the blueprint by appId: the assessment maps one to the other).
AGENTS = f"""
    CASE WHEN t0_agent_type IN {AGENTIC} THEN t0_id
         WHEN by_agent_type IN {AGENTIC} THEN {ACTOR_ID} END AS agent_id,
    CASE WHEN t0_agent_type IN {AGENTIC} THEN t0_agent_type
         WHEN by_agent_type IN {AGENTIC} THEN by_agent_type END AS agent_type,
    CASE WHEN t0_agent_type IN {AGENTIC} THEN nullif(t0_blueprint, t0_id)
         WHEN by_agent_type IN {AGENTIC} THEN by_blueprint END AS agent_parent_id,
    NULL::VARCHAR AS on_behalf_of
"""

_TARGETS = """(SELECT s.*, unnest(json_extract(coalesce(raw::JSON->'properties', raw::JSON),
                                          '$.targetResources[*]')) AS t
              FROM _staged s WHERE reject_reason IS NULL
                AND (raw LIKE '%"ServicePrincipal"%' OR raw LIKE '%"Application"%'
                     OR raw LIKE '%"agentIDuser"%'))"""

# Service principals, applications and agents' user accounts named as targets are identities.
TARGET_IDENTITIES = f"""
INSERT INTO _extra_identities
SELECT 'entra:' || (t->>'id'), 'entra', t->>'id', aa_none(t->>'displayName'),
       aa_none(t->>'displayName'), t->>'type', NULL, NULL, NULL, NULL, source_format, file_id
FROM {_TARGETS}
WHERE (t->>'type' IN ('ServicePrincipal', 'Application') OR t->>'agentType' = 'agentIDuser')
  AND aa_none(t->>'id') IS NOT NULL
"""

# "Add/Remove service principal credentials" and certificate/secret updates name the key.
# The key's description: the new value when a key is added, the old one when removed.
_KEY_DESC = """(SELECT coalesce(
                    any_value(mp->>'newValue') FILTER (WHERE contains(mp->>'newValue', 'KeyId')),
                    any_value(mp->>'oldValue') FILTER (WHERE contains(mp->>'oldValue', 'KeyId')),
                    any_value(coalesce(nullif(mp->>'newValue', '[]'), mp->>'oldValue')))
                FROM (SELECT unnest(json_extract(t, '$.modifiedProperties[*]')) AS mp)
                WHERE mp->>'displayName' = 'KeyDescription')"""
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
    fields=FIELDS,
    columns_sql=MAPPING,
    time_field="activityDateTime (or time)",
    actor_field="initiatedBy.user.id or initiatedBy.app",
    extra_sql=(TARGET_IDENTITIES, CREDENTIALS),
    agent_sql=AGENTS,
)
