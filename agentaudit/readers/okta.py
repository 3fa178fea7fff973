"""Okta System Log (`/api/v1/logs` LogEvent objects), as NDJSON, a JSON array, or gzip of either.

Also accepts exports that lower-case the top-level keys (`eventtype`, `debugcontext`, ...).
"""

from agentaudit.containers import Sample
from agentaudit.readers.base import Reader, field_of

CLIENT_ACTORS = "('PublicClientApp', 'Client', 'AppInstance', 'SystemPrincipal')"


def detect(sample: Sample) -> bool:
    keys = sample.lower_keys()
    return "actor" in keys and "published" in keys and "eventtype" in keys


SELECT = f"""
SELECT rec_no,
    {field_of("$.published")} AS event_time_raw,
    'okta_system_log' AS source_format, 'okta' AS platform,
    {field_of("$.uuid")} AS event_id,
    {field_of("$.eventType", "$.eventtype")} AS event_type,
    split_part({field_of("$.eventType", "$.eventtype")}, '.', 1) AS category,
    CASE upper({field_of("$.outcome.result")})
        WHEN 'SUCCESS' THEN 'success' WHEN 'ALLOW' THEN 'success'
        WHEN 'FAILURE' THEN 'failure' WHEN 'DENY' THEN 'failure'
        ELSE lower({field_of("$.outcome.result")}) END AS outcome,
    {field_of("$.outcome.reason")} AS outcome_detail,
    'okta:' || {field_of("$.actor.id")} AS actor_key,
    {field_of("$.actor.id")} AS actor_id,
    {field_of("$.actor.alternateId")} AS actor_name,
    {field_of("$.actor.displayName")} AS actor_display_name,
    {field_of("$.actor.type")} AS actor_type,
    {
    field_of(
        "$.authenticationContext.externalSessionId", "$.authenticationcontext.externalSessionId"
    )
} AS session_name,
    CASE WHEN {field_of("$.transaction.detail.requestApiTokenId")} IS NOT NULL
              THEN 'okta:' || {field_of("$.transaction.detail.requestApiTokenId")}
         WHEN {field_of("$.actor.type")} IN {CLIENT_ACTORS}
              THEN 'okta:client:' || {field_of("$.actor.id")} END AS credential_key,
    coalesce({field_of("$.transaction.detail.requestApiTokenId")},
             CASE WHEN {field_of("$.actor.type")} IN {CLIENT_ACTORS}
                  THEN {field_of("$.actor.id")} END) AS credential_id,
    CASE WHEN {field_of("$.transaction.detail.requestApiTokenId")} IS NOT NULL THEN 'api_token'
         WHEN {field_of("$.actor.type")} IN {CLIENT_ACTORS} THEN 'oauth_client' END
        AS credential_type,
    {field_of("$.client.id")} AS app_id,
    list_filter(json_extract(j, '$.target[*]'),
                lambda t: t->>'type' = 'AppInstance')[1]->>'displayName'
        AS app_name,
    {field_of("$.client.userAgent.rawUserAgent")} AS user_agent,
    {field_of("$.client.ipAddress")} AS source_ip,
    CASE WHEN upper({field_of("$.client.userAgent.browser")}) NOT IN ('UNKNOWN')
         THEN true
         WHEN {field_of("$.client.userAgent.browser")} IS NOT NULL THEN false END
        AS is_interactive,
    {field_of("$.target[0].id")} AS target_id,
    coalesce({field_of("$.target[0].displayName")}, {field_of("$.target[0].alternateId")})
        AS target_name,
    {field_of("$.target[0].type")} AS target_type,
    {field_of("$.debugContext.debugData.requestUri", "$.debugcontext.debugData.requestUri")}
        AS resource
FROM _records
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
      FROM _staged WHERE reject_reason IS NULL)
     s
WHERE t->>'type' = 'Token' AND t->>'id' IS NOT NULL
"""

READER = Reader(
    name="okta_system_log",
    title="Okta System Log",
    target="events",
    detect=detect,
    select_sql=SELECT,
    time_field="published",
    actor_field="actor.id",
    extra_sql=(TOKENS,),
)
