"""Inventoried NHIs without an active human owner."""

from agentaudit.assess.checks import Check

CHECK = Check(
    id="NHI-ORPHANED",
    title="NHI without an active human owner",
    severity="medium",
    rationale="Nobody reviews, rotates or decommissions an identity nobody owns.",
    remediation="Assign an active employee as owner; make ownership transfer part of the "
    "leaver process.",
    criterion="G3",
    owasp="NHI1",
    sql="""SELECT identity_key, NULL AS credential_key,
                  why || coalesce(' (' || owner_email || ')', '') AS evidence
           FROM orphaned_nhis""",
)
