"""GitHub organisation / enterprise audit log exports: JSON array, NDJSON or CSV."""

from agentaudit.containers import Sample
from agentaudit.readers.base import Reader


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


FIELDS = {
    "ts": ('$."@timestamp"', "$.created_at", "$.at_sign_timestamp"),
    "doc_id": ("$._document_id",),
    "action": ("$.action",),
    "actor": ("$.actor",),
    "is_bot": ("$.actor_is_bot",),
    "access": ("$.programmatic_access_type",),
    "token": ("$.token_id", "$.hashed_token"),
    "app_id": ("$.oauth_application_id", "$.integration_id"),
    "app_name": ("$.oauth_application", "$.integration"),
    "user_agent": ("$.user_agent",),
    "ip": ("$.actor_ip",),
    "repo": ("$.repo",),
    "user": ("$.user",),
    "team": ("$.team",),
    "org": ("$.org",),
    "business": ("$.business",),
}

MAPPING = """
    ts AS event_time_raw,
    'github_audit' AS source_format, 'github' AS platform,
    doc_id AS event_id, action AS event_type, split_part(action, '.', 1) AS category,
    'success' AS outcome, NULL AS outcome_detail,
    'github:' || actor AS actor_key, actor AS actor_id, actor AS actor_name,
    NULL AS actor_display_name,
    CASE WHEN actor LIKE '%[bot]' OR lower(is_bot) = 'true' THEN 'Bot' ELSE 'User' END
        AS actor_type,
    NULL AS session_name,
    'github:token:' || token AS credential_key, token AS credential_id,
    CASE WHEN lower(access) LIKE '%personal access token%'
              OR lower(access) LIKE '%personal_access_token%' THEN 'personal_access_token'
         WHEN lower(access) LIKE '%oauth%' THEN 'oauth_token'
         WHEN lower(access) LIKE '%github app%' OR lower(access) = 'github_app'
              OR lower(access) LIKE '%server-to-server%' THEN 'github_app_token'
         WHEN lower(access) LIKE '%deploy%' THEN 'deploy_key'
         WHEN access IS NOT NULL THEN lower(replace(access, ' ', '_')) END AS credential_type,
    app_id, app_name, user_agent, ip AS source_ip,
    CASE WHEN access IS NOT NULL THEN false
         WHEN user_agent LIKE 'Mozilla/%' THEN true END AS is_interactive,
    coalesce(repo, user, team, org) AS target_id,
    coalesce(repo, user, team, org) AS target_name,
    CASE WHEN repo IS NOT NULL THEN 'repository' WHEN user IS NOT NULL THEN 'user'
         WHEN team IS NOT NULL THEN 'team' WHEN org IS NOT NULL THEN 'organization' END
        AS target_type,
    coalesce(org, business) AS resource
"""

READER = Reader(
    name="github_audit",
    title="GitHub audit log",
    target="events",
    detect=detect,
    fields=FIELDS,
    columns_sql=MAPPING,
    time_field="@timestamp (or created_at)",
    actor_field="actor",
    containers=("ndjson", "json_array", "json_wrapper", "json_document", "csv"),
)
