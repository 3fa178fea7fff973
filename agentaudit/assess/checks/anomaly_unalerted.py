"""Behavioural anomalies that no alert named."""

from agentaudit.assess.checks import Check

CHECK = Check(
    id="NHI-ANOMALY-UNDETECTED",
    title="Anomalous NHI behaviour that no alert caught",
    severity="high",
    rationale="These are the events the client's monitoring should have caught: the NHI broke "
    "its own baseline and nothing fired.",
    remediation="Baseline every NHI (hours, volume, networks, targets) and alert on deviations; "
    "route alerts to automated revocation.",
    criterion="M2",
    owasp="NHI2",
    sql="""SELECT a.identity_key, NULL AS credential_key,
                  a.kind || ' on ' || a.day || ': ' || a.reason AS evidence
           FROM anomalies a
           WHERE NOT EXISTS (SELECT 1 FROM nhi_alerts x WHERE x.identity_key = a.identity_key
                               AND (x.created_at AT TIME ZONE 'UTC')::DATE
                                   BETWEEN a.day - 1 AND a.day + 1)""",
)
