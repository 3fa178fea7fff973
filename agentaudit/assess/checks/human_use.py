"""People signing in interactively as an NHI."""

from agentaudit.assess.checks import Check

CHECK = Check(
    id="NHI-HUMAN-USE",
    title="A person signs in as a non-human identity",
    severity="high",
    rationale="When people use a service account's credentials, actions by people and by "
    "automation become indistinguishable and the account escapes MFA and offboarding.",
    remediation="Give the person their own account; remove console or browser access from the "
    "NHI (no password, sign-in blocked).",
    criterion="G1",
    owasp="NHI10",
    sql="""SELECT identity_key, NULL AS credential_key,
                  interactive_events || ' interactive sign-ins between '
                  || strftime(first_interactive, '%Y-%m-%d') || ' and '
                  || strftime(last_interactive, '%Y-%m-%d') AS evidence
           FROM nhi_human_use""",
)
