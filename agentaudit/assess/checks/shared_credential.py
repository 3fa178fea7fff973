"""Credentials used by more than one identity or workload."""

from agentaudit.assess.checks import Check

CHECK = Check(
    id="NHI-SHARED-CREDENTIAL",
    title="Credential shared between identities or workloads",
    severity="critical",
    rationale="A shared key cannot be revoked without breaking every user of it, and its logs "
    "cannot say which workload acted: one leak compromises all of them.",
    remediation="Issue one credential per agent and workload, move the users off the shared "
    "key, then revoke it.",
    criterion="G1",
    owasp="NHI9",
    sql="""SELECT identity_key, credential_key,
                  array_to_string(reasons, ', ') || ': ' || evidence AS evidence
           FROM shared_credentials WHERE is_live IS NOT false""",
)
