"""Inventoried NHIs with no access review in the review period."""

from agentaudit.assess.checks import Check

CHECK = Check(
    id="NHI-UNREVIEWED",
    title="NHI access not reviewed in the last {review_days} days",
    severity="low",
    rationale="Access granted for last year's project stays granted until somebody looks.",
    remediation="Review each agent's access and owner at least yearly; record the date in the "
    "inventory.",
    criterion="D3",
    owasp="NHI1",
    sql="""SELECT coalesce(identity_key, platform || ':' || platform_id) AS identity_key,
                  NULL AS credential_key,
                  CASE WHEN last_reviewed_at IS NULL THEN 'never reviewed'
                       ELSE 'last reviewed ' || strftime(last_reviewed_at, '%Y-%m-%d') END
                  AS evidence
           FROM inventory_agents
           WHERE (decommissioned_at IS NULL
                  OR decommissioned_at > (SELECT end_at FROM assessment_window))
             AND (last_reviewed_at IS NULL OR last_reviewed_at <
                  (SELECT end_at FROM assessment_window) - to_days(
                      aa_policy_int('review_days')))""",
)
