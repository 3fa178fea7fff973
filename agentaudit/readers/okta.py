"""Okta System Log (`/api/v1/logs` LogEvent objects), as NDJSON, a JSON array, or gzip of either.

Also accepts exports that lower-case the top-level keys (`eventtype`, `debugcontext`, ...).
"""

from agentaudit.containers import Sample
from agentaudit.readers.base import ActorKind, Reader, case_map
from agentaudit.readers.vocabulary import facts_sql

# Actors that authenticate as an OAuth client. Not SystemPrincipal: "Okta System"
# (system@okta.com) is Okta itself acting (an account lock, a consent it records), with no
# client credential of the tenant's.
CLIENT_ACTORS = "('PublicClientApp', 'Client', 'AppInstance')"


def detect(sample: Sample) -> bool:
    keys = sample.lower_keys()
    return "actor" in keys and "published" in keys and "eventtype" in keys


FIELDS = {
    "published": ("$.published",),
    "uuid": ("$.uuid",),
    "event_type": ("$.eventType", "$.eventtype"),
    "result": ("$.outcome.result",),
    "reason": ("$.outcome.reason",),
    "actor_id": ("$.actor.id",),
    "actor_alt": ("$.actor.alternateId",),
    "actor_display": ("$.actor.displayName",),
    "actor_type": ("$.actor.type",),
    "session": (
        "$.authenticationContext.externalSessionId",
        "$.authenticationcontext.externalSessionId",
    ),
    "token_id": ("$.transaction.detail.requestApiTokenId",),
    "client_id": ("$.client.id",),
    "user_agent": ("$.client.userAgent.rawUserAgent",),
    "browser": ("$.client.userAgent.browser",),
    "ip": ("$.client.ipAddress",),
    "t0_id": ("$.target[0].id",),
    "t0_name": ("$.target[0].displayName", "$.target[0].alternateId"),
    "t0_type": ("$.target[0].type",),
    "t1_name": ("$.target[1].displayName",),
    "t1_type": ("$.target[1].type",),
    "targets": ("$.target",),
    "request_uri": ("$.debugContext.debugData.requestUri", "$.debugcontext.debugData.requestUri"),
    # Okta for AI Agents (Event Types catalogue): a registered agent's target details, and a
    # token's `actor` delegation chain and `subject` (tokens are the first or second target)
    "t0_wlp_type": ("$.target[0].detailEntry.workloadPrincipalType",),
    "token_actor": ("$.target[0].detailEntry.actor", "$.target[1].detailEntry.actor"),
    "token_subject": ("$.target[0].detailEntry.subject", "$.target[1].detailEntry.subject"),
    "token_subject_profile": (
        "$.target[0].detailEntry.subject_profile",
        "$.target[1].detailEntry.subject_profile",
    ),
}

MAPPING = f"""
    published AS event_time_raw,
    'okta_system_log' AS source_format, 'okta' AS platform,
    uuid AS event_id, event_type, split_part(event_type, '.', 1) AS category,
    CASE upper(result) WHEN 'SUCCESS' THEN 'success' WHEN 'ALLOW' THEN 'success'
         WHEN 'FAILURE' THEN 'failure' WHEN 'DENY' THEN 'failure'
         ELSE lower(result) END AS outcome,
    reason AS outcome_detail,
    'okta:' || actor_id AS actor_key, actor_id,
    actor_alt AS actor_name, actor_display AS actor_display_name, actor_type,
    session AS session_name,
    CASE WHEN token_id IS NOT NULL THEN 'okta:' || token_id
         WHEN actor_type IN {CLIENT_ACTORS} THEN 'okta:client:' || actor_id END AS credential_key,
    coalesce(token_id, CASE WHEN actor_type IN {CLIENT_ACTORS} THEN actor_id END)
        AS credential_id,
    CASE WHEN token_id IS NOT NULL THEN 'api_token'
         WHEN actor_type IN {CLIENT_ACTORS} THEN 'oauth_client' END AS credential_type,
    client_id AS app_id,
    CASE WHEN t0_type = 'AppInstance' THEN t0_name
         WHEN t1_type = 'AppInstance' THEN t1_name END AS app_name,
    user_agent, ip AS source_ip,
    -- Okta System's events carry the client of the request that set them off (the browser of
    -- the person whose failed sign-ins lock the account): no session of Okta System's own
    CASE WHEN actor_type = 'SystemPrincipal' THEN NULL
         WHEN upper(browser) = 'UNKNOWN' THEN false WHEN browser IS NOT NULL THEN true END
        AS is_interactive,
    t0_id AS target_id, t0_name AS target_name, t0_type AS target_type,
    request_uri AS resource
"""

# The agent of an event: the AI agent an admin registered or changed (the target; a key
# event names it only in its request URI), or the agent a token was issued to (the token's
# `actor` chain, outermost `sub` with `sub_profile` ai_agent); it acts for the token's subject
# when that is a user (an ID-JAG or an access token exchanged for one).
_CHAIN_AGENT = """CASE WHEN contains(replace(token_actor, ' ', ''), '"sub_profile":"ai_agent"')
                       THEN regexp_extract(token_actor, '"sub"\\s*:\\s*"([^"]+)"', 1) END"""
AGENTS = f"""
    coalesce(
        CASE WHEN starts_with(event_type, 'workload_principal.ai_agent.')
                  OR t0_wlp_type = 'AI_AGENT'
             THEN coalesce(nullif(regexp_extract(request_uri, '/ai-agents/([A-Za-z0-9]+)', 1), ''),
                           CASE WHEN t0_type <> 'AIAgentCredential' THEN t0_id END) END,
        {_CHAIN_AGENT}) AS agent_id,
    CASE WHEN starts_with(event_type, 'workload_principal.ai_agent.')
              OR t0_wlp_type = 'AI_AGENT' OR {_CHAIN_AGENT} IS NOT NULL
         THEN 'ai_agent' END AS agent_type,
    NULL::VARCHAR AS agent_parent_id,
    CASE WHEN {_CHAIN_AGENT} IS NOT NULL AND token_subject_profile = 'user'
         THEN 'okta:' || token_subject END AS on_behalf_of
"""

# API tokens named as targets (system.api_token.create / .revoke) are credentials too.
TOKENS = """
INSERT INTO _extra_credentials
SELECT 'okta:' || (t->>'id'), 'okta', t->>'id', 'api_token', s.actor_key,
       CASE WHEN s.event_type = 'system.api_token.revoke' THEN 'revoked' ELSE 'active' END,
       CASE WHEN s.event_type = 'system.api_token.create' THEN s.event_time END,
       CASE WHEN s.event_type = 'system.api_token.revoke' THEN s.event_time END,
       s.event_time, NULL, s.source_format, s.file_id
FROM (SELECT *, unnest(json_extract(raw::JSON, '$.target[*]')) AS t
      FROM _staged WHERE reject_reason IS NULL AND event_type LIKE 'system.api_token.%') s
WHERE t->>'type' = 'Token' AND t->>'id' IS NOT NULL
"""

# What each event type creates or grants (Okta Event Types catalogue; docs/discovery.md).
ISSUES = {
    "system.api_token.create": "api_token",
    "application.lifecycle.create": "application",
    "app.oauth2.client.lifecycle.create": "application",
    "app.oauth2.credentials.lifecycle.create": "credential",
    "app.oauth2.as.consent.grant": "oauth_grant",
    "app.oauth2.admin.consent.grant": "oauth_grant",
    "user.lifecycle.create": "user",
}
_KIND = case_map("event_type", ISSUES)

_OCSF = [
    (
        "event_type IN ('user.session.start', 'user.authentication.sso', "
        "'user.authentication.auth_via_mfa', 'user.authentication.authenticate', "
        "'user.authentication.verify')",
        "Authentication",
        "Logon",
    ),
    ("event_type = 'user.session.end'", "Authentication", "Logoff"),
    ("event_type = 'user.lifecycle.create'", "Account Change", "Create"),
    (
        "event_type IN ('user.lifecycle.activate', 'user.lifecycle.reactivate', "
        "'user.lifecycle.unsuspend')",
        "Account Change",
        "Enable",
    ),
    (
        "event_type IN ('user.lifecycle.deactivate', 'user.lifecycle.suspend')",
        "Account Change",
        "Disable",
    ),
    ("event_type = 'user.lifecycle.delete.initiated'", "Account Change", "Delete"),
    ("event_type = 'user.account.update_password'", "Account Change", "Password Change"),
    ("event_type = 'user.account.reset_password'", "Account Change", "Password Reset"),
    ("event_type = 'user.account.lock'", "Account Change", "Lock"),
    ("event_type = 'user.account.unlock'", "Account Change", "Unlock"),
    ("event_type = 'user.mfa.factor.activate'", "Account Change", "MFA Factor Enable"),
    (
        "event_type IN ('user.mfa.factor.deactivate', 'user.mfa.factor.reset_all')",
        "Account Change",
        "MFA Factor Disable",
    ),
    (
        "event_type LIKE '%.consent.grant' OR event_type = 'user.account.privilege.grant'",
        "User Access Management",
        "Assign Privileges",
    ),
    (
        "event_type LIKE '%.consent.revoke' OR event_type = 'user.account.privilege.revoke'",
        "User Access Management",
        "Revoke Privileges",
    ),
    ("event_type = 'group.user_membership.add'", "Group Management", "Add User"),
    ("event_type = 'group.user_membership.remove'", "Group Management", "Remove User"),
    ("event_type LIKE 'app.oauth2.%token.grant%'", "Authentication", "Logon"),
    ("event_type LIKE '%.create'", "Entity Management", "Create"),
    ("event_type LIKE '%.revoke' OR event_type LIKE '%.delete'", "Entity Management", "Delete"),
    ("event_type IS NOT NULL", "API Activity", "Other"),
]

# A consent's targets: the app (AppInstance, when named at all) and one per scope.
_TARGETS = """CASE WHEN _kind = 'oauth_grant' AND starts_with(ltrim(targets), '[')
                   THEN CAST(targets::JSON AS JSON[]) END"""
FACTS = facts_sql(
    helpers=f"{_KIND} AS _kind, {_TARGETS} AS _targets",
    ocsf=_OCSF,
    auth_mfa="""CASE WHEN event_type = 'user.authentication.auth_via_mfa'
                      AND upper(result) IN ('SUCCESS', 'ALLOW') THEN true END""",
    auth_method=f"""CASE WHEN token_id IS NOT NULL THEN 'api_token'
                         WHEN actor_type IN {CLIENT_ACTORS} THEN 'oauth_client' END""",
    credential_action="""CASE WHEN event_type = 'system.api_token.create' THEN 'created'
        WHEN event_type = 'system.api_token.revoke' THEN 'revoked'
        WHEN credential_id IS NOT NULL THEN 'used' END""",
    target_credential="""CASE WHEN event_type IN ('system.api_token.create',
                                                    'system.api_token.revoke') THEN t0_id END""",
    issued_kind="_kind",
    issued_for_id="""CASE WHEN _kind = 'oauth_grant' THEN coalesce(client_id, t0_id)
                          WHEN _kind IS NOT NULL THEN t0_id END""",
    issued_for_name="""CASE WHEN _kind = 'oauth_grant'
        THEN list_filter(_targets, lambda t: t->>'type' = 'AppInstance')[1]->>'displayName'
        WHEN _kind IS NOT NULL THEN t0_name END""",
    issued_app_id="CASE WHEN _kind IS NOT NULL THEN lower(client_id) END",
    consent_type="""CASE event_type WHEN 'app.oauth2.admin.consent.grant' THEN 'admin'
                                    WHEN 'app.oauth2.as.consent.grant' THEN 'user' END""",
    consent_scopes="""list_transform(
        list_filter(_targets, lambda t: coalesce(t->>'type', '') NOT IN (
            'AppInstance', 'PublicClientApp', 'User', 'AuthorizationServer')),
        lambda t: t->>'displayName')""",
    agent_kind="CASE WHEN agent_type = 'ai_agent' THEN 'ai_agent' END",
)

# Okta actor types (LogEvent actor.type).
ACTOR_KINDS = {
    "User": ActorKind("account", "Okta user"),
    "PublicClientApp": ActorKind(
        "oauth_client", "Okta OAuth app", "nhi", "Okta actor type PublicClientApp"
    ),
    "Client": ActorKind("oauth_client", "Okta OAuth client", "nhi", "Okta actor type Client"),
    "AppInstance": ActorKind("oauth_client", "Okta app", "nhi", "Okta actor type AppInstance"),
    "SystemPrincipal": ActorKind(
        "platform_service", "Okta system principal", "nhi", "Okta actor type SystemPrincipal"
    ),
    "IP address": ActorKind(
        "network", "IP address", "other", "Okta actor that is a network address"
    ),
}

READER = Reader(
    name="okta_system_log",
    platform="okta",
    title="Okta System Log",
    target="events",
    detect=detect,
    fields=FIELDS,
    columns_sql=MAPPING,
    time_field="published",
    actor_field="actor.id",
    extra_sql=(TOKENS,),
    agent_sql=AGENTS,
    facts_sql=FACTS,
    actor_kinds=ACTOR_KINDS,
)
