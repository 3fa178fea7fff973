"""Active NHIs whose activity no supplied log shows."""

from agentaudit.assess.checks import Check

CHECK = Check(
    id="NHI-UNMONITORED",
    title="Active NHI invisible in the supplied logs",
    severity="low",
    rationale="An identity whose actions no log records cannot be baselined or investigated.",
    remediation="Bring the platform's audit log into monitoring, or confirm the NHI is unused "
    "and decommission it.",
    criterion="M1",
    owasp="NHI1",
    sql="""SELECT identity_key, NULL AS credential_key,
                  'no event in the window; ' || classification_rule AS evidence
           FROM nhis WHERE is_active AND event_count = 0""",
)
