"""GitHub organisation / enterprise audit log exports: JSON array, NDJSON or CSV."""

from agentaudit.containers import Sample
from agentaudit.readers.base import Reader, field_of


def detect(sample: Sample) -> bool:
    keys = sample.lower_keys()
    if not {"action", "actor"} <= keys or "eventtype" in keys:
        return False
    markers = {
        "@timestamp",
        "created_at",
        "at_sign_timestamp",
        "org",
        "repo",
        "business",
        "programmatic_access_type",
        "actor_id",
        "_document_id",
    }
    return bool(keys & markers)


ACCESS = field_of("$.programmatic_access_type")
TOKEN = field_of("$.token_id", "$.hashed_token")

SELECT = f"""
SELECT rec_no,
    {field_of('$."@timestamp"', "$.created_at", "$.at_sign_timestamp")} AS event_time_raw,
    'github_audit' AS source_format, 'github' AS platform,
    {field_of("$._document_id")} AS event_id,
    {field_of("$.action")} AS event_type,
    split_part({field_of("$.action")}, '.', 1) AS category,
    'success' AS outcome, NULL AS outcome_detail,
    'github:' || {field_of("$.actor")} AS actor_key,
    {field_of("$.actor")} AS actor_id,
    {field_of("$.actor")} AS actor_name,
    NULL AS actor_display_name,
    CASE WHEN {field_of("$.actor")} LIKE '%[bot]'
              OR lower({field_of("$.actor_is_bot")}) = 'true' THEN 'Bot'
         ELSE 'User' END AS actor_type,
    NULL AS session_name,
    CASE WHEN {TOKEN} IS NOT NULL THEN 'github:token:' || {TOKEN} END AS credential_key,
    {TOKEN} AS credential_id,
    CASE WHEN lower({ACCESS}) LIKE '%personal access token%'
              OR lower({ACCESS}) LIKE '%personal_access_token%' THEN 'personal_access_token'
         WHEN lower({ACCESS}) LIKE '%oauth%' THEN 'oauth_token'
         WHEN lower({ACCESS}) LIKE '%github app%' OR lower({ACCESS}) = 'github_app'
              OR lower({ACCESS}) LIKE '%server-to-server%' THEN 'github_app_token'
         WHEN lower({ACCESS}) LIKE '%deploy%' THEN 'deploy_key'
         WHEN {ACCESS} IS NOT NULL THEN lower(replace({ACCESS}, ' ', '_')) END
        AS credential_type,
    {field_of("$.oauth_application_id", "$.integration_id")} AS app_id,
    {field_of("$.oauth_application", "$.integration")} AS app_name,
    {field_of("$.user_agent")} AS user_agent,
    {field_of("$.actor_ip")} AS source_ip,
    CASE WHEN {ACCESS} IS NOT NULL THEN false END AS is_interactive,
    {field_of("$.repo", "$.user", "$.team", "$.org")} AS target_id,
    {field_of("$.repo", "$.user", "$.team", "$.org")} AS target_name,
    CASE WHEN {field_of("$.repo")} IS NOT NULL THEN 'repository'
         WHEN {field_of("$.user")} IS NOT NULL THEN 'user'
         WHEN {field_of("$.team")} IS NOT NULL THEN 'team'
         WHEN {field_of("$.org")} IS NOT NULL THEN 'organization' END AS target_type,
    {field_of("$.org", "$.business")} AS resource
FROM _records
"""

READER = Reader(
    name="github_audit",
    title="GitHub audit log",
    target="events",
    detect=detect,
    select_sql=SELECT,
    time_field="@timestamp (or created_at)",
    actor_field="actor",
    containers=("ndjson", "json_array", "json_wrapper", "json_document", "csv"),
)
