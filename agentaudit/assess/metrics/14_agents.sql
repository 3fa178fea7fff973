-- name: ai_agents
-- measures: every AI agent, with how it is known: platform (the identity platform registers
--           it: Entra Agent ID, Okta AI agents, Auth0 agents, AgentCore workload identities),
--           inventory (the client's inventory lists it as ai_agent), signature (its user agent,
--           model calls or name); its parent (the blueprint an agent identity was made from),
--           its sponsor or owner, and the three sources side by side
-- unit: agents
-- feeds: the JSON contract's ai_agents, the executive summary's first question,
--        metric_native_agents
CREATE OR REPLACE VIEW ai_agents AS
SELECT c.identity_key,
       coalesce(c.display_name, c.name, regexp_extract(c.native_id, '[^/]+$')) AS name,
       c.platform, c.known_from,
       c.agent_parent AS parent, p.name AS parent_name,
       coalesce(c.sponsor, c.owner_email) AS sponsor,
       c.in_registry, c.in_inventory,
       c.event_count > 0 OR coalesce(a.acted_in_logs, false) AS acted_in_logs,
       c.is_active, c.ai_rule
FROM classified_identities c
LEFT JOIN platform_agents a USING (identity_key)
LEFT JOIN platform_agents p ON p.identity_key = c.agent_parent
WHERE c.is_ai_agent;

-- name: agent_reconciliation
-- measures: the agents of the three sources reconciled: in the identity platform's registry,
--           in the client's inventory, seen acting in the logs; the sponsor or owner and
--           whether they are an active employee per the HR roster
-- unit: agents
-- feeds: the report's agent identity section; shadow (acting, in neither list), registry-only
--        (the platform lists it, the client's inventory does not) and orphaned agents
CREATE OR REPLACE VIEW agent_reconciliation AS
SELECT g.identity_key, g.name, g.platform, g.known_from, g.parent, g.parent_name, g.sponsor,
       g.in_registry, g.in_inventory, g.acted_in_logs,
       p.email IS NOT NULL AND p.is_active AS sponsor_active,
       CASE WHEN NOT g.in_registry AND NOT g.in_inventory AND g.acted_in_logs THEN 'shadow'
            WHEN NOT g.in_registry AND NOT g.in_inventory THEN 'seen only as a target'
            WHEN g.in_registry AND NOT g.in_inventory THEN 'registry only'
            WHEN g.in_inventory AND NOT g.in_registry AND g.known_from = 'platform'
                 THEN 'inventory only'
            WHEN NOT g.acted_in_logs THEN 'listed, not seen acting'
            ELSE 'reconciled' END AS status
FROM ai_agents g LEFT JOIN roster_people p ON p.email = lower(g.sponsor);

-- name: agent_delegations
-- measures: on-behalf-of chains the logs show: an agent acting for a person (an Entra agent
--           identity's delegated token, an Okta ID-JAG or token exchange, an Auth0 on-behalf-of
--           exchange, an AgentCore token for a user id), with the person resolved to the HR
--           roster and whether they are still employed
-- unit: (agent, person) pairs
-- feeds: agents acting for people who left, people whose delegation reaches many agents
--        (policy delegation_agents_max), the report's agent identity section
CREATE OR REPLACE VIEW agent_delegations AS
WITH chains AS (
    SELECT agent_key, on_behalf_of, count(*) AS events, min(event_time) AS first_at,
           max(event_time) AS last_at
    FROM agent_marker_events WHERE on_behalf_of IS NOT NULL GROUP BY ALL
)
SELECT c.agent_key, coalesce(a.display_name, a.name, c.agent_key) AS agent_name,
       c.on_behalf_of,
       -- a platform's user (its identity key), else an e-mail the agent was given
       coalesce(u.person, CASE WHEN contains(c.on_behalf_of, '@') THEN lower(c.on_behalf_of) END,
                u.display_name, u.name, c.on_behalf_of) AS person,
       p.email IS NOT NULL AS in_roster, coalesce(p.is_active, false) AS person_active,
       p.status AS person_status, p.termination_date, c.events, c.first_at, c.last_at
FROM chains c
LEFT JOIN classified_identities a ON a.identity_key = c.agent_key
LEFT JOIN classified_identities u ON u.identity_key = c.on_behalf_of
LEFT JOIN roster_people p
  ON p.email = coalesce(u.person, CASE WHEN contains(c.on_behalf_of, '@')
                                       THEN lower(c.on_behalf_of) END);

-- name: metric_native_agents
-- measures: the share of active AI agents with an identity of their own on an identity platform
--           (known_from platform), beside the published 21.9% of organisations treating agents
--           as identity-bearing entities; agents acting for people who left; people whose
--           delegation reaches more than delegation_agents_max agents
-- unit: share (0..1); agents; people
-- feeds: the executive summary, roadmap step 2 (scoped identity framework)
CREATE OR REPLACE VIEW metric_native_agents AS
SELECT count(*) > 0 AS evidenced,
       count(*) AS agents,
       count(*) FILTER (known_from = 'platform') AS platform,
       count(*) FILTER (known_from = 'inventory') AS inventory,
       count(*) FILTER (known_from = 'signature') AS signature,
       count(*) FILTER (known_from = 'platform') / nullif(count(*), 0) AS native_share,
       (SELECT count(DISTINCT agent_key) FROM agent_delegations
        WHERE in_roster AND NOT person_active) AS acting_for_leavers,
       (SELECT count(*) FROM (SELECT person FROM agent_delegations WHERE person IS NOT NULL
                              GROUP BY person
                              HAVING count(DISTINCT agent_key)
                                     > aa_policy_int('delegation_agents_max')))
           AS people_over_delegated
FROM ai_agents WHERE is_active;
