"""Microsoft Entra audit logs (Graph `directoryAudit` objects or Azure Monitor `AuditLogs`
diagnostic records): who changed which service principal, application or credential."""

from agentaudit.containers import Sample
from agentaudit.readers.base import Reader, case_map
from agentaudit.readers.entra_signin import ACTOR_KINDS, AGENT_KINDS
from agentaudit.readers.vocabulary import facts_sql


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
    "t0_props": prop("$.targetResources[0].modifiedProperties"),
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

# What each audited activity creates or grants (docs/discovery.md). Entra writes the
# activity with an en dash (and, in Graph, a trailing space): both are folded.
ISSUES = {
    "Add application": "application",
    "Add service principal": "service_principal",
    "Add service principal credentials": "credential",
    "Update application - Certificates and secrets management": "credential",
    "Consent to application": "oauth_grant",
    "Add delegated permission grant": "oauth_grant",
    "Add app role assignment to service principal": "oauth_grant",
}
_ACTIVITY = "trim(replace(activity, '–', '-'))"
_KIND = case_map(_ACTIVITY, ISSUES)
# Grants whose first target is the resource (Microsoft Graph), not the app granted access:
# the grantee is the ServicePrincipal.ObjectID property.
_GRANTS = "('Add delegated permission grant', 'Add app role assignment to service principal')"


def _prop(name: str) -> str:
    """A modified property's new value, by name (Entra writes it as a JSON string)."""
    return f"list_filter(_props, lambda p: p->>'displayName' = '{name}')[1]->>'newValue'"


def _text(name: str) -> str:
    return f"""trim({_prop(name)}, '" ')"""


# Helper columns first (DuckDB reads a SELECT list's aliases left to right): the issuing
# activity and the first target's modified properties, parsed only for those.
_HELPERS = f"""{_KIND} AS _kind,
    CASE WHEN (_kind IS NOT NULL OR activity = 'Remove service principal credentials')
              AND starts_with(ltrim(t0_props), '[')
         THEN CAST(t0_props::JSON AS JSON[]) END AS _props,
    {_text("ConsentContext.IsAdminConsent")} AS _admin_consent,
    {_prop("ConsentAction.Permissions")} AS _permissions,
    {_text("DelegatedPermissionGrant.Scope")} AS _grant_scope,
    {_text("DelegatedPermissionGrant.ConsentType")} AS _grant_type,
    {_text("AppRole.Value")} AS _app_role,
    {_text("ServicePrincipal.ObjectID")} AS _grantee_id,
    {_text("ServicePrincipal.DisplayName")} AS _grantee_name"""

_OCSF = [
    ("_kind = 'oauth_grant'", "User Access Management", "Assign Privileges"),
    ("activity ILIKE 'Add member to role%'", "User Access Management", "Assign Privileges"),
    (
        "activity ILIKE 'Remove member from role%'",
        "User Access Management",
        "Revoke Privileges",
    ),
    ("activity ILIKE 'Remove%'", "Entity Management", "Delete"),
    ("activity ILIKE 'Delete%'", "Entity Management", "Delete"),
    ("activity ILIKE 'Add%'", "Entity Management", "Create"),
    ("activity ILIKE 'Update%'", "Entity Management", "Update"),
    ("activity IS NOT NULL", "Entity Management", "Other"),
]

FACTS = facts_sql(
    helpers=_HELPERS,
    ocsf=_OCSF,
    credential_action="""CASE WHEN _kind = 'credential' THEN 'created'
        WHEN activity = 'Remove service principal credentials' THEN 'revoked' END""",
    issued_kind="_kind",
    issued_for_id=f"""CASE WHEN _kind IS NULL THEN NULL
        WHEN {_ACTIVITY} IN {_GRANTS} THEN coalesce(_grantee_id, t0_id) ELSE t0_id END""",
    issued_for_name=f"""CASE WHEN _kind IS NULL THEN NULL
        WHEN {_ACTIVITY} IN {_GRANTS} THEN coalesce(_grantee_name, t0_name) ELSE t0_name END""",
    target_credential=f"""CASE WHEN _kind = 'credential' THEN nullif(regexp_extract(
        {_prop("KeyDescription")}, 'KeyIdentifier=([0-9a-fA-F-]+)', 1), '')
        WHEN activity = 'Remove service principal credentials' THEN nullif(regexp_extract(
        {_prop("KeyDescription").replace("newValue", "oldValue")},
        'KeyIdentifier=([0-9a-fA-F-]+)', 1), '') END""",
    issued_app_id=f"""lower(nullif(regexp_extract({_prop("TargetId.ServicePrincipalNames")},
        '[0-9a-fA-F]{{8}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{12}}'),
        ''))""",
    consent_type=f"""CASE WHEN _kind <> 'oauth_grant' THEN NULL
        WHEN _admin_consent IS NOT NULL
             THEN CASE WHEN lower(_admin_consent) = 'true' THEN 'admin' ELSE 'user' END
        WHEN _grant_type IS NOT NULL
             THEN CASE WHEN _grant_type = 'AllPrincipals' THEN 'admin' ELSE 'user' END
        WHEN {_ACTIVITY} = 'Add app role assignment to service principal' THEN 'admin' END""",
    consent_scopes="""CASE WHEN _kind <> 'oauth_grant' THEN NULL
        WHEN _permissions IS NOT NULL
             THEN string_split(trim(regexp_extract(_permissions, 'Scope:\\s*([^,\\]]*)', 1)), ' ')
        WHEN _grant_scope IS NOT NULL THEN string_split(trim(_grant_scope), ' ')
        WHEN _app_role IS NOT NULL THEN [_app_role] END""",
    correlation_id="correlation",
    agent_kind=case_map("agent_type", AGENT_KINDS),
)

READER = Reader(
    name="entra_audit",
    platform="entra",
    title="Microsoft Entra audit logs",
    target="events",
    detect=detect,
    fields=FIELDS,
    columns_sql=MAPPING,
    time_field="activityDateTime (or time)",
    actor_field="initiatedBy.user.id or initiatedBy.app",
    extra_sql=(TARGET_IDENTITIES, CREDENTIALS),
    agent_sql=AGENTS,
    facts_sql=FACTS,
    actor_kinds=ACTOR_KINDS,
)
