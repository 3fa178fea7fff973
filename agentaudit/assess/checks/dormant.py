"""Active NHIs unused for the dormancy period."""

from agentaudit.assess.checks import Check

CHECK = Check(
    id="NHI-DORMANT",
    title="NHI dormant for {dormant_days} days still enabled",
    severity="medium",
    rationale="An unused identity with live credentials is pure risk: nothing breaks if it is "
    "removed, and nobody watches it if it is abused.",
    remediation="Disable dormant NHIs and revoke their credentials; delete them after a grace "
    "period.",
    criterion="F3",
    owasp="NHI1",
    sql="""SELECT identity_key, NULL AS credential_key,
                  CASE WHEN last_activity IS NULL THEN 'never used in any export'
                       ELSE 'last used ' || strftime(last_activity, '%Y-%m-%d') || ' ('
                            || idle_days || ' days idle)' END AS evidence
           FROM dormant_nhis""",
)
