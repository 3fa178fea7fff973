"""NHI secrets and keys not rotated within the rotation period."""

from agentaudit.assess.checks import Check

CHECK = Check(
    id="NHI-STALE-CREDENTIAL",
    title="NHI secret or key not rotated within {rotation_days} days",
    severity="medium",
    rationale="The longer a secret lives, the more copies of it exist in code, CI variables and "
    "laptops, and the longer a leaked copy stays useful.",
    remediation="Rotate the key, then automate rotation (or replace it with short-lived, "
    "federated credentials).",
    criterion="G2",
    owasp="NHI7",
    sql="""SELECT identity_key, credential_key,
                  credential_type || ' created or rotated ' || age_days || ' days before the '
                  || 'end of the window' AS evidence
           FROM credential_ages WHERE stale""",
)
