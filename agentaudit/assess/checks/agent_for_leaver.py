"""AI agents acting for people who have left the company."""

from agentaudit.assess.checks import Check

CHECK = Check(
    id="NHI-AGENT-FOR-LEAVER",
    title="AI agent acted on behalf of a person who has left",
    severity="high",
    rationale="An agent holding a delegated token acts with the person's access: when the person "
    "leaves, their account is disabled but the agent's grant, refresh token or token exchange "
    "often is not, so the agent keeps acting for someone who no longer works here.",
    remediation="Revoke the agent's delegated grants and tokens for the person; make the "
    "leaver process end every agent delegation (Entra: the user's sessions and grants; Okta: "
    "the ID-JAG and token-exchange grants; Auth0 and AgentCore: the agent's tokens for them).",
    criterion="F3",
    owasp="NHI1",
    sql="""SELECT agent_key AS identity_key, NULL AS credential_key,
                  'acted for ' || person || ' (' || coalesce(person_status, 'left')
                  || coalesce(', left ' || strftime(termination_date, '%Y-%m-%d'), '')
                  || ') ' || events || ' times, last ' || strftime(last_at, '%Y-%m-%d')
                  AS evidence
           FROM agent_delegations
           WHERE in_roster AND NOT person_active""",
)
