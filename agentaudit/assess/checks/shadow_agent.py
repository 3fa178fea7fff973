"""NHIs active in the logs that the client's inventory does not list."""

from agentaudit.assess.checks import Check

CHECK = Check(
    id="NHI-SHADOW",
    title="Shadow NHI: active but not in the agent inventory",
    severity="high",
    rationale="An identity nobody registered has no owner, no review and no offboarding: it "
    "outlives the project that created it and nobody notices when it misbehaves.",
    remediation="Run a shadow-agent discovery audit: register each identity with an owner and "
    "a purpose, or decommission it and revoke its credentials.",
    criterion="D2",
    owasp="NHI1",
    sql="""SELECT identity_key, NULL AS credential_key,
                  'seen ' || event_count || ' times, last ' || strftime(last_activity, '%Y-%m-%d')
                  || '; classified by: ' || classification_rule AS evidence
           FROM shadow_agents""",
)
