"""Alerts on NHIs not followed by a prompt, automated revocation."""

from agentaudit.assess.checks import Check

CHECK = Check(
    id="NHI-SLOW-REVOCATION",
    title="Alert on an NHI not followed by automated revocation within "
    "{revocation_minutes_max} minutes",
    severity="high",
    rationale="Leadership question 3: if an agent misbehaves now, how fast is its access cut "
    "everywhere? Manual hand-offs take hours.",
    remediation="Automate revocation on high-confidence NHI alerts (SOAR playbook per "
    "platform); measure detection-to-revocation time.",
    criterion="F1",
    owasp="NHI2",
    sql="""SELECT identity_key, NULL AS credential_key,
                  alert_id || ' (' || detection || '): '
                  || CASE WHEN minutes_to_action IS NULL THEN 'no revocation'
                          ELSE action || ' by ' || coalesce(action_by, '?') || ' after '
                               || round(minutes_to_action, 1) || ' min' END AS evidence
           FROM nhi_alerts
           WHERE minutes_to_action IS NULL OR minutes_to_action >
                 aa_policy_num('revocation_minutes_max')
              OR coalesce(action_by, '') LIKE '%@%'""",
)
