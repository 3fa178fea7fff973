"""Credentials not revoked after the owner left or the NHI was decommissioned."""

from agentaudit.assess.checks import Check

CHECK = Check(
    id="NHI-OFFBOARDING",
    title="Credentials live {lifecycle_revoke_days} days after the owner left or the NHI "
    "was decommissioned",
    severity="high",
    rationale="Offboarding that stops at people leaves their agents' keys working for whoever "
    "still has a copy.",
    remediation="Tie NHI credentials to the owner's leaver process and to decommissioning; "
    "revoke within {lifecycle_revoke_days} days.",
    criterion="F3",
    owasp="NHI1",
    sql="""SELECT identity_key, NULL AS credential_key,
                  trigger_kind || ' on ' || strftime(trigger_at, '%Y-%m-%d') || '; '
                  || (credentials - revoked_in_time) || ' of ' || credentials
                  || ' credentials not revoked within '
                  || aa_policy_int('lifecycle_revoke_days') || ' days' AS evidence
           FROM lifecycle_revocations WHERE NOT all_revoked_in_time""",
)
