-- name: agent_marker_events
-- measures: the events that carry an identity platform's own agent marker (docs/agents.md):
--           Entra Agent ID sign-ins and audits, Okta AI agent events and token actor chains,
--           Auth0 agent ids, Bedrock AgentCore workload identities and runtimes; per event the
--           agent's identity key, its role, and whether the agent acted (a registration by an
--           admin names the agent without it acting)
-- unit: events
-- feeds: platform_agents, agent_delegations
CREATE OR REPLACE VIEW agent_marker_events AS
-- An agent known by another id (an AgentCore runtime's ARN, for the workload identity it runs
-- as): the events naming the alias are the agent's.
WITH aliases AS (
    SELECT DISTINCT agent_alias AS alias, agent_id AS agent
    FROM events WHERE agent_alias IS NOT NULL AND agent_id IS NOT NULL
)
SELECT e.file_id, e.record_no, e.platform, e.source_format, e.event_time, e.event_type,
       e.actor_key, e.on_behalf_of, e.agent_type, e.agent_kind, e.agent_parent_id,
       e.class_uid = 3002 AS from_signin,
       e.platform || ':' || coalesce(r.agent, e.agent_id) AS agent_key,
       coalesce(r.agent, e.agent_id) AS agent_native_id,
       CASE WHEN e.agent_kind IN ('blueprint', 'blueprint_principal') THEN 'blueprint'
            WHEN e.agent_kind = 'agent_user' THEN 'agent_user'
            ELSE 'agent' END AS role,
       -- the agent acted (itself, through its client, or invoked by a caller); a
       -- registration by an admin names it without it acting
       coalesce(e.agent_action IN ('acts', 'invoked'), false)
           OR e.agent_id = e.actor_id OR e.on_behalf_of IS NOT NULL AS acted,
       e.agent_action = 'invoked' AS invoked
FROM events e LEFT JOIN aliases r ON r.alias = e.agent_id
WHERE e.agent_id IS NOT NULL;

-- name: platform_agents
-- measures: every agent an identity platform itself names, from the events' agent markers and
--           from the platforms' registries (agent_registry): its role (blueprint: an Entra
--           agent identity blueprint or its principal; agent; agent_user: an agent's own user
--           account), its parent (the blueprint an agent identity was made from, the agent
--           an agent user belongs to), its sponsors, whether a registry lists it, whether it
--           acted in the logs; and agent_client, the identity an agent acts through (an
--           Auth0 application, an AgentCore runtime's role)
-- unit: agents (identities)
-- feeds: classified_identities (AI agents known from the platform, parent, sponsor),
--        agent_reconciliation, the JSON contract's ai_agents
CREATE OR REPLACE VIEW platform_agents AS
WITH from_logs AS (
    SELECT agent_key AS identity_key, platform, agent_native_id AS native_id, NULL AS name,
           role, agent_type, agent_kind,
           -- sign-ins name the blueprint by appId and audits by object id: sign-ins first
           arg_min(agent_parent_id, NOT from_signin)
               FILTER (agent_parent_id IS NOT NULL) AS parent_id,
           NULL::VARCHAR[] AS sponsors, false AS in_registry, NULL AS registry_source,
           bool_or(acted) AS acted, min(event_time) FILTER (acted) AS first_acted,
           max(event_time) FILTER (acted) AS last_acted,
           CASE WHEN bool_or(from_signin) THEN 0 ELSE 1 END AS pref
    FROM agent_marker_events GROUP BY ALL
),
-- The identity an agent acts through, when it is not the agent itself: an Auth0 application
-- the agent's tokens are issued to, an AgentCore runtime's execution role. Part of the agent,
-- not an agent of its own (a caller invoking the agent, or the person it acts for, is not).
through AS (
    SELECT actor_key, platform, NULL, NULL, 'agent_client', NULL, NULL, min(agent_key), NULL::VARCHAR[],
           false, NULL, true, min(event_time), max(event_time), 1
    FROM agent_marker_events
    WHERE acted AND actor_key <> agent_key AND actor_key IS DISTINCT FROM on_behalf_of
      AND NOT coalesce(invoked, false)
    GROUP BY ALL
),
from_registry AS (
    SELECT platform || ':' || native_id, platform, native_id, name,
           CASE WHEN kind IN ('blueprint', 'blueprint_principal') THEN 'blueprint'
                WHEN kind = 'agent_user' THEN 'agent_user' ELSE 'agent' END,
           kind, kind, parent_id, sponsors, true, source, false, NULL::TIMESTAMPTZ,
           NULL::TIMESTAMPTZ, 0
    FROM agent_registry
),
merged AS (
    SELECT identity_key, any_value(platform) AS platform, any_value(native_id) AS native_id,
           max(name) AS name, arg_min(role, pref) AS role, arg_min(agent_type, pref) AS agent_type,
           arg_min(agent_kind, pref) AS agent_kind,
           arg_min(parent_id, pref) FILTER (parent_id IS NOT NULL) AS parent_id,
           list_distinct(flatten(list(sponsors) FILTER (sponsors IS NOT NULL))) AS sponsors,
           bool_or(in_registry) AS in_registry, max(registry_source) AS registry_source,
           bool_or(acted) AS acted_in_logs, min(first_acted) AS first_acted,
           max(last_acted) AS last_acted
    FROM (SELECT * FROM from_logs UNION ALL SELECT * FROM from_registry
          UNION ALL SELECT * FROM through)
    GROUP BY identity_key
),
-- Entra names a blueprint by its appId (sign-ins, the registry's agent identities), by its
-- application's object id (audits) or by its principal's id: each alias to the appId, and
-- the blueprint's key: its principal when one is known, else its application.
blueprint_alias AS (
    SELECT DISTINCT platform, alias, app_id FROM (
        SELECT platform, native_id AS alias, app_id FROM agent_registry
        WHERE kind IN ('blueprint', 'blueprint_principal') AND app_id IS NOT NULL
        UNION ALL
        SELECT platform, app_id, app_id FROM agent_registry
        WHERE kind IN ('blueprint', 'blueprint_principal') AND app_id IS NOT NULL
        UNION ALL
        SELECT platform, agent_id, app_id FROM events
        WHERE class_uid = 3002 AND agent_kind = 'blueprint_principal' AND app_id IS NOT NULL
        UNION ALL
        SELECT platform, app_id, app_id FROM events
        WHERE class_uid = 3002 AND agent_kind = 'blueprint_principal' AND app_id IS NOT NULL)
),
blueprint_key AS (
    SELECT a.platform, a.app_id,
           arg_min(m.identity_key, m.agent_kind IS DISTINCT FROM 'blueprint_principal')
               AS identity_key,
           max(m.name) AS name
    FROM blueprint_alias a JOIN merged m ON m.platform = a.platform AND m.native_id = a.alias
    WHERE m.role = 'blueprint'
    GROUP BY ALL
)
SELECT m.identity_key, m.platform, m.native_id, m.name, m.role, m.agent_type, m.agent_kind,
       CASE WHEN m.role = 'agent_user' THEN m.platform || ':' || m.parent_id
            WHEN m.role = 'agent_client' THEN m.parent_id
            WHEN m.role = 'agent' AND m.parent_id IS NOT NULL
                 THEN coalesce(b.identity_key, m.platform || ':' || coalesce(a.app_id, m.parent_id))
       END AS parent_key,
       CASE WHEN m.role = 'agent' THEN b.name END AS parent_name,
       nullif(m.sponsors, []) AS sponsors, m.in_registry, m.registry_source, m.acted_in_logs,
       m.first_acted, m.last_acted
FROM merged m
LEFT JOIN blueprint_alias a ON a.platform = m.platform AND a.alias = m.parent_id
LEFT JOIN blueprint_key b ON b.platform = m.platform AND b.app_id = coalesce(a.app_id, m.parent_id);
