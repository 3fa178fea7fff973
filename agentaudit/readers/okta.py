"""Okta System Log (`/api/v1/logs` LogEvent objects), as NDJSON, a JSON array, or gzip of either.

Also accepts exports that lower-case the top-level keys (`eventtype`, `debugcontext`, ...).
"""

from agentaudit.containers import Sample
from agentaudit.readers.base import Reader

CLIENT_ACTORS = "('PublicClientApp', 'Client', 'AppInstance', 'SystemPrincipal')"


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
    "request_uri": ("$.debugContext.debugData.requestUri", "$.debugcontext.debugData.requestUri"),
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
    CASE WHEN upper(browser) = 'UNKNOWN' THEN false WHEN browser IS NOT NULL THEN true END
        AS is_interactive,
    t0_id AS target_id, t0_name AS target_name, t0_type AS target_type,
    request_uri AS resource
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

READER = Reader(
    name="okta_system_log",
    title="Okta System Log",
    target="events",
    detect=detect,
    fields=FIELDS,
    columns_sql=MAPPING,
    time_field="published",
    actor_field="actor.id",
    extra_sql=(TOKENS,),
)
