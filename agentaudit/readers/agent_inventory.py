"""`agent_inventory.csv`: the client's own register of agents and other NHIs (the sanctioned
ones). `credential_ids` and `privileges` are `;`-separated lists."""

from agentaudit.containers import Sample
from agentaudit.readers.base import Reader, field_of

COLUMNS = (
    "agent_id",
    "name",
    "kind",
    "platform",
    "platform_id",
    "credential_ids",
    "owner_email",
    "sanctioned",
    "privileges",
    "created_at",
    "last_reviewed_at",
    "decommissioned_at",
    "purpose",
)
REQUIRED = ("agent_id", "kind", "platform")
KINDS = ("service_account", "api_key", "oauth_app", "managed_identity", "bot", "ai_agent", "other")
PLATFORMS = ("okta", "entra", "aws", "github", "gcp", "k8s", "other")


def detect(sample: Sample) -> bool:
    return {"agent_id", "kind", "platform"} <= set(sample.header or [])


def _ts(col: str) -> str:
    return f"aa_ts(j->>'{col}')"


def _bad_ts(col: str) -> str:
    return (
        f"WHEN {field_of('$.' + col)} IS NOT NULL AND {_ts(col)} IS NULL "
        f"THEN 'unparseable {col} ' || (j->>'{col}')"
    )


SELECT = f"""
SELECT rec_no,
    {field_of("$.agent_id")} AS agent_id,
    {field_of("$.name")} AS name,
    lower({field_of("$.kind")}) AS kind,
    lower({field_of("$.platform")}) AS platform,
    {field_of("$.platform_id")} AS platform_id,
    aa_list(j->>'credential_ids') AS credential_ids,
    lower({field_of("$.owner_email")}) AS owner_email,
    aa_bool(j->>'sanctioned') AS sanctioned,
    aa_list(j->>'privileges') AS privileges,
    {_ts("created_at")} AS created_at,
    {_ts("last_reviewed_at")} AS last_reviewed_at,
    {_ts("decommissioned_at")} AS decommissioned_at,
    {field_of("$.purpose")} AS purpose,
    CASE WHEN {field_of("$.agent_id")} IS NULL THEN 'missing agent_id'
         WHEN lower({field_of("$.kind")}) NOT IN {KINDS} OR {field_of("$.kind")} IS NULL
              THEN 'kind must be one of {", ".join(KINDS)}; got ' || coalesce(j->>'kind', 'nothing')
         WHEN lower({field_of("$.platform")}) NOT IN {PLATFORMS} OR {field_of("$.platform")} IS NULL
              THEN 'platform must be one of {", ".join(PLATFORMS)}; got '
                   || coalesce(j->>'platform', 'nothing')
         WHEN {field_of("$.sanctioned")} IS NOT NULL AND aa_bool(j->>'sanctioned') IS NULL
              THEN 'sanctioned must be true or false, got ' || (j->>'sanctioned')
         {_bad_ts("created_at")}
         {_bad_ts("last_reviewed_at")}
         {_bad_ts("decommissioned_at")}
    END AS invalid
FROM _records
"""

READER = Reader(
    name="agent_inventory",
    title="Agent inventory (agent_inventory.csv)",
    target="inventory",
    detect=detect,
    select_sql=SELECT,
    required_columns=REQUIRED,
    containers=("csv",),
)
