"""`alerts.csv`: detections the client's monitoring raised about identities, and what was done."""

from agentaudit.containers import Sample
from agentaudit.readers.base import Reader, field_of

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
    return {"alert_id", "identity", "detection"} <= set(sample.header or [])


SELECT = f"""
SELECT rec_no,
    {field_of("$.alert_id")} AS alert_id,
    aa_ts(j->>'created_at') AS created_at,
    {field_of("$.source")} AS source,
    {field_of("$.detection")} AS detection,
    lower({field_of("$.severity")}) AS severity,
    {field_of("$.identity")} AS identity,
    aa_bool(j->>'automated') AS automated,
    coalesce(lower({field_of("$.action")}), 'none') AS action,
    aa_ts(j->>'action_at') AS action_at,
    {field_of("$.action_by")} AS action_by,
    CASE WHEN {field_of("$.alert_id")} IS NULL THEN 'missing alert_id'
         WHEN {field_of("$.identity")} IS NULL THEN 'missing identity'
         WHEN aa_ts(j->>'created_at') IS NULL
              THEN 'missing or unparseable created_at: ' || coalesce(j->>'created_at', 'nothing')
         WHEN {field_of("$.automated")} IS NOT NULL AND aa_bool(j->>'automated') IS NULL
              THEN 'automated must be true or false, got ' || (j->>'automated')
         WHEN lower({field_of("$.action")}) NOT IN {ACTIONS}
              THEN 'action must be revoked, suspended, disabled or none; got ' || (j->>'action')
         WHEN {field_of("$.action_at")} IS NOT NULL AND aa_ts(j->>'action_at') IS NULL
              THEN 'unparseable action_at ' || (j->>'action_at')
    END AS invalid
FROM _records
"""

READER = Reader(
    name="alerts",
    title="Alerts (alerts.csv)",
    target="alerts",
    detect=detect,
    select_sql=SELECT,
    required_columns=REQUIRED,
    containers=("csv",),
)
