"""Gaps in a source's log longer than allowed."""

from agentaudit.assess.checks import Check

CHECK = Check(
    id="NHI-LOG-GAP",
    title="Gap of more than {log_gap_hours_max} hours in an audit log",
    severity="medium",
    rationale="What happened during a gap cannot be investigated: an audit trail with holes "
    "cannot prove what an agent did.",
    remediation="Monitor log delivery per source and alert on silence; backfill the missing "
    "interval from the provider's retention.",
    criterion="F2",
    owasp="NHI6",
    sql="""SELECT source_format AS identity_key, NULL AS credential_key,
                  'no event from ' || strftime(gap_start, '%Y-%m-%d %H:%M') || ' to '
                  || strftime(gap_end, '%Y-%m-%d %H:%M') || ' UTC (' || round(hours, 1)
                  || ' h)' AS evidence
           FROM log_gaps""",
)
