"""Auth0 tenant logs as the Management API returns them (`GET /api/v2/logs`: a JSON array of
log events) or as a log stream delivers them (one per line): `log_id`, `date`, a `type` code,
the application (`client_id`, `client_name`) and the user (`user_id`, `user_name`). With Auth0
for AI Agents, events of a registered agent carry `agent_id` (`agt_…`) or
`external_agent_id` at the top level (the tenant-logs schema; fixture and sources in
tests/fixtures_agents/auth0).
"""

from agentaudit.containers import Sample
from agentaudit.readers.base import ActorKind, Reader
from agentaudit.readers.vocabulary import facts_sql


def detect(sample: Sample) -> bool:
    keys = sample.lower_keys()
    return {"log_id", "date", "type"} <= keys and ("client_id" in keys or "user_id" in keys)


FIELDS = {
    "date": ("$.date",),
    "log_id": ("$.log_id", "$._id"),
    "type": ("$.type",),
    "description": ("$.description",),
    "client_id": ("$.client_id",),
    "client_name": ("$.client_name",),
    "user_id": ("$.user_id",),
    "user_name": ("$.user_name",),
    "ip": ("$.ip",),
    "user_agent": ("$.user_agent",),
    "connection": ("$.connection",),
    "audience": ("$.audience",),
    "agent": ("$.agent_id", "$.external_agent_id"),
}

# Token exchanges and client-credentials grants are the application's doing (an agent's, when
# the log names one); logins and the like are the user's.
CLIENT_ACTS = """(agent IS NOT NULL OR coalesce(user_id, '') = ''
                  OR type IN ('seccft', 'feccft', 'seacft', 'feacft')
                  OR contains(type, 'token_exchange') OR starts_with(type, 'idjag_'))"""

MAPPING = f"""
    date AS event_time_raw,
    'auth0_log' AS source_format, 'auth0' AS platform,
    log_id AS event_id, type AS event_type, 'auth0' AS category,
    CASE WHEN starts_with(type, 'success') OR (starts_with(type, 's') AND length(type) <= 6)
              OR type LIKE '%_succeeded' THEN 'success'
         WHEN starts_with(type, 'f') OR type LIKE '%_failed' THEN 'failure'
         ELSE 'unknown' END AS outcome,
    nullif(description, '') AS outcome_detail,
    'auth0:' || CASE WHEN {CLIENT_ACTS} THEN client_id ELSE user_id END AS actor_key,
    CASE WHEN {CLIENT_ACTS} THEN client_id ELSE user_id END AS actor_id,
    CASE WHEN {CLIENT_ACTS} THEN client_name ELSE user_name END AS actor_name,
    CASE WHEN {CLIENT_ACTS} THEN client_name ELSE user_name END AS actor_display_name,
    CASE WHEN {CLIENT_ACTS} THEN 'Client' ELSE 'User' END AS actor_type,
    NULL AS session_name,
    CASE WHEN {CLIENT_ACTS} THEN 'auth0:client:' || client_id END AS credential_key,
    CASE WHEN {CLIENT_ACTS} THEN client_id END AS credential_id,
    CASE WHEN {CLIENT_ACTS} THEN 'oauth_client' END AS credential_type,
    client_id AS app_id, client_name AS app_name, user_agent, ip AS source_ip,
    CASE WHEN {CLIENT_ACTS} THEN false END AS is_interactive,
    audience AS target_id, audience AS target_name,
    CASE WHEN audience IS NOT NULL THEN 'api' END AS target_type, connection AS resource
"""

AGENTS = f"""
    agent AS agent_id,
    CASE WHEN agent IS NOT NULL THEN 'auth0_agent' END AS agent_type,
    NULL::VARCHAR AS agent_parent_id,
    CASE WHEN agent IS NOT NULL AND {CLIENT_ACTS} AND coalesce(user_id, '') <> ''
         THEN 'auth0:' || user_id END AS on_behalf_of
"""

# Auth0's log event type codes (auth0.com/docs, "Log Event Type Codes"): logins, token
# exchanges, grants and second-factor checks (gd_auth_*) are authentications; the rest are
# management activity.
OCSF = [
    (
        "type IN ('s', 'ssa', 'f', 'fp', 'fu', 'fsa', 'sepft', 'fepft', 'seccft', 'feccft', "
        "'seacft', 'feacft', 'sertft', 'fertft') OR contains(type, 'token_exchange') "
        "OR starts_with(type, 'idjag_') OR starts_with(type, 'gd_auth_')",
        "Authentication",
        "Logon",
    ),
    ("type IN ('slo', 'flo')", "Authentication", "Logoff"),
    ("type IN ('ss', 'fs')", "Account Change", "Create"),
    ("type IN ('scp', 'fcp', 'scpr', 'fcpr')", "Account Change", "Password Change"),
    ("type IN ('gd_enrollment_complete')", "Account Change", "MFA Factor Enable"),
    ("type IS NOT NULL", "API Activity", "Other"),
]
FACTS = facts_sql(
    ocsf=OCSF,
    auth_mfa="CASE WHEN type = 'gd_auth_succeed' THEN true END",  # Guardian second factor
    auth_method=f"CASE WHEN {CLIENT_ACTS} THEN 'oauth_client' END",
    credential_action=f"CASE WHEN {CLIENT_ACTS} THEN 'used' END",
    agent_kind="CASE WHEN agent IS NOT NULL THEN 'ai_agent' END",
    # every event naming an agent is the agent's (or its application's) doing
    agent_action="CASE WHEN agent IS NOT NULL THEN 'acts' END",
)

ACTOR_KINDS = {
    "User": ActorKind("account", "User"),
    "Client": ActorKind("oauth_client", "Client", "nhi", "Auth0 application (client)"),
}

READER = Reader(
    name="auth0_log",
    platform="auth0",
    title="Auth0 tenant logs",
    target="events",
    detect=detect,
    fields=FIELDS,
    columns_sql=MAPPING,
    time_field="date",
    actor_field="client_id or user_id",
    agent_sql=AGENTS,
    facts_sql=FACTS,
    actor_kinds=ACTOR_KINDS,
)
