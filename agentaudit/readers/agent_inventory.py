"""`agent_inventory.csv`: the client's own register of agents and other NHIs (the sanctioned
ones). `credential_ids` and `privileges` are `;`-separated lists."""

from agentaudit.containers import Sample
from agentaudit.readers.base import Reader

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
DATES = ("created_at", "last_reviewed_at", "decommissioned_at")


def detect(sample: Sample) -> bool:
    named = sample.path.name.lower().startswith("agent_inventory")
    return named or {"agent_id", "kind"} <= set(sample.header or [])


_BAD_DATES = "\n".join(
    f"WHEN {c} IS NOT NULL AND aa_ts({c}) IS NULL THEN 'unparseable {c} ' || {c}" for c in DATES
)

MAPPING = f"""
    agent_id, name, lower(kind) AS kind, lower(platform) AS platform, platform_id,
    aa_list(credential_ids) AS credential_ids, lower(owner_email) AS owner_email,
    aa_bool(sanctioned) AS sanctioned, aa_list(privileges) AS privileges,
    aa_ts(created_at) AS created_at, aa_ts(last_reviewed_at) AS last_reviewed_at,
    aa_ts(decommissioned_at) AS decommissioned_at, purpose,
    CASE WHEN agent_id IS NULL THEN 'missing agent_id'
         WHEN kind IS NULL OR lower(kind) NOT IN {KINDS}
              THEN 'kind must be one of {", ".join(KINDS)}; got ' || coalesce(kind, 'nothing')
         WHEN platform IS NULL OR lower(platform) NOT IN {PLATFORMS}
              THEN 'platform must be one of {", ".join(PLATFORMS)}; got '
                   || coalesce(platform, 'nothing')
         WHEN sanctioned IS NOT NULL AND aa_bool(sanctioned) IS NULL
              THEN 'sanctioned must be true or false, got ' || sanctioned
         {_BAD_DATES}
    END AS invalid
"""

READER = Reader(
    name="agent_inventory",
    title="Agent inventory (agent_inventory.csv)",
    target="inventory",
    detect=detect,
    fields={c: (f"$.{c}",) for c in COLUMNS},
    columns_sql=MAPPING,
    required_columns=REQUIRED,
    containers=("csv",),
)
