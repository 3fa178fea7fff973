"""People whose delegation reaches many AI agents."""

from agentaudit.assess.checks import Check

CHECK = Check(
    id="NHI-DELEGATION-SPRAWL",
    title="A person's access delegated to more than {delegation_agents_max} AI agents",
    severity="medium",
    rationale="Each agent acting for a person carries that person's access; the more agents, "
    "the wider the blast radius of one compromised agent and the harder it is to see what was "
    "done in the person's name.",
    remediation="Review the agents with the person; keep the ones they use, revoke the rest, "
    "and scope each delegation to what the agent's task needs.",
    criterion="G1",
    owasp="NHI5",
    sql="""SELECT 'person:' || person AS identity_key, NULL AS credential_key,
                  person || ' delegates to ' || count(DISTINCT agent_key) || ' agents: '
                  || string_agg(DISTINCT agent_name, ', ' ORDER BY agent_name) AS evidence
           FROM agent_delegations
           WHERE person IS NOT NULL
           GROUP BY person
           HAVING count(DISTINCT agent_key) > aa_policy_int('delegation_agents_max')""",
)
