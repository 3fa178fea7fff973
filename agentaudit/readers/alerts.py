"""`alerts.csv`: detections the client's monitoring raised about identities, and what was done."""

from agentaudit.containers import Sample
from agentaudit.readers.base import Reader

COLUMNS = (
    "alert_id",
    "created_at",
    "source",
    "detection",
    "severity",
    "identity",
    "automated",
    "action",
    "action_at",
    "action_by",
)
REQUIRED = ("alert_id", "created_at", "identity")
ACTIONS = ("revoked", "suspended", "disabled", "none")


def detect(sample: Sample) -> bool:
    named = sample.path.name.lower().startswith("alerts")
    return named or {"alert_id", "identity"} <= set(sample.header or [])


MAPPING = f"""
    alert_id, aa_ts(created_at) AS created_at, source, detection,
    lower(severity) AS severity, identity, aa_bool(automated) AS automated,
    coalesce(lower(action), 'none') AS action, aa_ts(action_at) AS action_at, action_by,
    CASE WHEN alert_id IS NULL THEN 'missing alert_id'
         WHEN identity IS NULL THEN 'missing identity'
         WHEN aa_ts(created_at) IS NULL
              THEN 'missing or unparseable created_at: ' || coalesce(created_at, 'nothing')
         WHEN automated IS NOT NULL AND aa_bool(automated) IS NULL
              THEN 'automated must be true or false, got ' || automated
         WHEN lower(action) NOT IN {ACTIONS}
              THEN 'action must be revoked, suspended, disabled or none; got ' || action
         WHEN action_at IS NOT NULL AND aa_ts(action_at) IS NULL
              THEN 'unparseable action_at ' || action_at
    END AS invalid
"""

READER = Reader(
    name="alerts",
    title="Alerts (alerts.csv)",
    target="alerts",
    detect=detect,
    fields={c: (f"$.{c}",) for c in COLUMNS},
    columns_sql=MAPPING,
    required_columns=REQUIRED,
    containers=("csv",),
)
