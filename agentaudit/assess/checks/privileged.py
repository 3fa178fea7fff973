"""NHIs holding admin or wildcard privileges."""

from agentaudit.assess.checks import Check

CHECK = Check(
    id="NHI-OVERPRIVILEGED",
    title="NHI holds admin or wildcard privileges",
    severity="high",
    rationale="An agent with administrative scope turns any prompt injection, bug or leaked "
    "key into a full compromise.",
    remediation="Scope each NHI to the actions and resources its purpose needs; replace "
    "wildcards and admin roles with explicit grants.",
    criterion="G1",
    owasp="NHI5",
    sql="""SELECT identity_key, NULL AS credential_key,
                  'holds ' || array_to_string(elevated, ', ') AS evidence
           FROM privileged_nhis""",
)
