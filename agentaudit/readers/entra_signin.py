"""Microsoft Entra sign-in logs: user, non-interactive user, service-principal and
managed-identity sign-ins, as Azure Monitor diagnostic records (`time`, `category`,
`properties`) or Microsoft Graph `signIn` objects (`{"value": [...]}` or one per line)."""

from agentaudit.containers import Sample
from agentaudit.readers.base import ActorKind, Reader, case_map
from agentaudit.readers.vocabulary import facts_sql

CATEGORIES = {
    "signinlogs",
    "noninteractiveusersigninlogs",
    "serviceprincipalsigninlogs",
    "managedidentitysigninlogs",
}


def detect(sample: Sample) -> bool:
    first = sample.first or {}
    if str(first.get("category", "")).lower() in CATEGORIES:
        return True
    props = first.get("properties") if isinstance(first.get("properties"), dict) else first
    keys = {k.lower() for k in props}
    return (
        "createddatetime" in keys
        and "appid" in keys
        and ("status" in keys or "userid" in keys or "serviceprincipalid" in keys)
    )


def prop(path: str) -> tuple[str, str]:
    """A sign-in field: under `properties` in diagnostic records, top-level in Graph."""
    return ("$.properties" + path[1:], path)


FIELDS = {
    "created": prop("$.createdDateTime") + ("$.time",),
    "id": prop("$.id"),
    "operation": ("$.operationName", "$.operationname"),
    "category": ("$.category",),
    "event_kind": prop("$.signInEventTypes[0]"),
    "error_code": prop("$.status.errorCode") + ("$.resultType", "$.resulttype"),
    "failure": prop("$.status.failureReason"),
    "user_id": prop("$.userId"),
    "upn": prop("$.userPrincipalName"),
    "user_display": prop("$.userDisplayName"),
    "user_type": prop("$.userType"),
    "cross_tenant": prop("$.crossTenantAccessType"),
    "auth_requirement": prop("$.authenticationRequirement"),
    "sp_id": prop("$.servicePrincipalId"),
    "sp_name": prop("$.servicePrincipalName"),
    "mi_type": prop("$.managedIdentityType") + prop("$.managedServiceIdentity.msiType"),
    "session": prop("$.sessionId") + prop("$.correlationId"),
    "key_id": prop("$.servicePrincipalCredentialKeyId"),
    "cred_type": prop("$.clientCredentialType"),
    "app_id": prop("$.appId"),
    "app_name": prop("$.appDisplayName"),
    "user_agent": prop("$.userAgent"),
    "ip": prop("$.ipAddress") + ("$.callerIpAddress", "$.calleripaddress"),
    "interactive": prop("$.isInteractive"),
    "resource_id": prop("$.resourceId") + prop("$.resourceServicePrincipalId"),
    "resource_name": prop("$.resourceDisplayName"),
    # Entra Agent ID (Graph beta `signIn.agent`, the `Agent` column in Sentinel's tables):
    # agentType is the calling identity, agentSubjectType the token's subject
    "agent_caller": prop("$.agent.agentType"),
    "agent_subject": prop("$.agent.agentSubjectType"),
    "agent_parent_app": prop("$.agent.parentAppId"),
    "agent_subject_parent": prop("$.agent.agentSubjectParentId"),
}

IS_MI = """(lower(coalesce(category, '')) = 'managedidentitysigninlogs'
            OR event_kind = 'managedIdentity'
            OR coalesce(mi_type, 'none') NOT IN ('none', 'None'))"""
IS_SP = f"""({IS_MI} OR lower(coalesce(category, '')) = 'serviceprincipalsigninlogs'
            OR event_kind = 'servicePrincipal' OR (user_id IS NULL AND sp_id IS NOT NULL))"""

# B2B guests: `userType` guest (Graph writes `guest`, diagnostic records `Guest`), a UPN of the
# `…#EXT#@tenant` form, or a cross-tenant access type other than none (b2bCollaboration,
# b2bDirectConnect, microsoftSupport, serviceProvider, passthrough).
IS_GUEST = """(lower(coalesce(user_type, '')) = 'guest'
               OR contains(upper(coalesce(upn, '')), '#EXT#')
               OR lower(coalesce(cross_tenant, 'none'))
                  NOT IN ('none', '', 'unknownfuturevalue'))"""

MAPPING = f"""
    created AS event_time_raw,
    'entra_signin' AS source_format, 'entra' AS platform,
    id AS event_id, coalesce(operation, 'Sign-in activity') AS event_type,
    coalesce(category,
        CASE WHEN {IS_MI} THEN 'ManagedIdentitySignInLogs'
             WHEN {IS_SP} THEN 'ServicePrincipalSignInLogs'
             WHEN event_kind = 'nonInteractiveUser' OR interactive = 'false'
                  THEN 'NonInteractiveUserSignInLogs'
             ELSE 'SignInLogs' END) AS category,
    CASE WHEN error_code IS NULL THEN 'unknown' WHEN error_code = '0' THEN 'success'
         ELSE 'failure' END AS outcome,
    coalesce(failure, 'error ' || error_code) AS outcome_detail,
    'entra:' || (CASE WHEN {IS_SP} THEN sp_id ELSE user_id END) AS actor_key,
    CASE WHEN {IS_SP} THEN sp_id ELSE user_id END AS actor_id,
    CASE WHEN {IS_SP} THEN coalesce(sp_name, app_name) ELSE upn END AS actor_name,
    CASE WHEN {IS_SP} THEN coalesce(sp_name, app_name) ELSE user_display END
        AS actor_display_name,
    CASE WHEN {IS_MI} THEN 'ManagedIdentity' WHEN {IS_SP} THEN 'ServicePrincipal'
         WHEN {IS_GUEST} THEN 'Guest' ELSE 'User' END AS actor_type,
    session AS session_name,
    'entra:credential:' || key_id AS credential_key, key_id AS credential_id,
    CASE lower(cred_type)
        WHEN 'clientsecret' THEN 'client_secret' WHEN 'clientassertion' THEN 'certificate'
        WHEN 'certificate' THEN 'certificate'
        WHEN 'federatedidentitycredential' THEN 'federated_credential'
        WHEN 'managedidentity' THEN 'managed_identity'
        ELSE CASE WHEN NOT {IS_SP} AND error_code = '0'
                       AND auth_requirement = 'multiFactorAuthentication' THEN 'mfa' END
    END AS credential_type,
    app_id, app_name, user_agent, ip AS source_ip,
    CASE WHEN {IS_SP} THEN false ELSE TRY_CAST(interactive AS BOOLEAN) END AS is_interactive,
    resource_id AS target_id, resource_name AS target_name,
    CASE WHEN resource_name IS NOT NULL THEN 'resource' END AS target_type,
    resource_name AS resource
"""

# The agentic values of agentType / agentSubjectType (notAgentic and unknownFutureValue are not).
AGENTIC = "('agenticApp', 'agenticAppInstance', 'agentIdentityBlueprintPrincipal', 'agentIDuser')"

# The subject agentic: the actor is the agent (a blueprint principal, an agent identity, an
# agent's user account). Only the caller agentic: an agent identity (its id is its appId)
# obtained a token for a person, the actor, and acts for them.
AGENTS = f"""
    CASE WHEN agent_subject IN {AGENTIC} THEN CASE WHEN {IS_SP} THEN sp_id ELSE user_id END
         WHEN agent_caller IN {AGENTIC} THEN app_id END AS agent_id,
    CASE WHEN agent_subject IN {AGENTIC} THEN agent_subject
         WHEN agent_caller IN {AGENTIC} THEN agent_caller
         ELSE coalesce(agent_subject, agent_caller) END AS agent_type,
    CASE WHEN agent_subject = 'agentIDuser' THEN agent_subject_parent
         WHEN agent_subject IN {AGENTIC} OR agent_caller IN {AGENTIC}
              THEN coalesce(agent_parent_app, agent_subject_parent) END AS agent_parent_id,
    CASE WHEN agent_caller IN {AGENTIC} AND coalesce(agent_subject, '') NOT IN {AGENTIC}
              AND user_id IS NOT NULL THEN 'entra:' || user_id END AS on_behalf_of
"""

# Every sign-in record is an authentication: a logon, passed or failed.
# Entra's agentType / agentSubjectType values in the registries' words (vocabulary.AGENT_KINDS).
AGENT_KINDS = {
    "agenticApp": "blueprint",
    "agentIdentityBlueprintPrincipal": "blueprint_principal",
    "agenticAppInstance": "agent_identity",
    "agentIDuser": "agent_user",
}
FACTS = facts_sql(
    ocsf=[("true", "Authentication", "Logon")],
    auth_mfa=f"""CASE WHEN NOT {IS_SP} AND error_code = '0'
                      AND auth_requirement = 'multiFactorAuthentication' THEN true END""",
    auth_method="""CASE WHEN credential_type <> 'mfa' THEN credential_type END""",
    credential_action="CASE WHEN key_id IS NOT NULL THEN 'used' END",
    agent_kind=case_map("agent_type", AGENT_KINDS),
)

# Entra actor types (the sign-in's user or service principal, userType guest).
ACTOR_KINDS = {
    "User": ActorKind("account", "Entra user"),
    "Guest": ActorKind(
        "guest",
        "Entra guest",
        "external_human",
        "Entra B2B guest (userType guest, #EXT# name or cross-tenant access)",
    ),
    "ServicePrincipal": ActorKind(
        "service_principal", "Entra service principal", "nhi", "Entra service principal"
    ),
    "ManagedIdentity": ActorKind(
        "managed_identity", "Entra managed identity", "nhi", "Entra managed identity"
    ),
}

READER = Reader(
    name="entra_signin",
    platform="entra",
    title="Microsoft Entra sign-in logs",
    target="events",
    detect=detect,
    fields=FIELDS,
    columns_sql=MAPPING,
    time_field="createdDateTime (or time)",
    actor_field="userId or servicePrincipalId",
    agent_sql=AGENTS,
    facts_sql=FACTS,
    actor_kinds=ACTOR_KINDS,
)
