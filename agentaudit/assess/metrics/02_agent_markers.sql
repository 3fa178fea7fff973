-- name: agent_marker_events
-- measures: the events that carry an identity platform's own agent marker (docs/agents.md):
--           Entra Agent ID sign-ins and audits, Okta AI agent events and token actor chains,
--           Auth0 agent ids, Bedrock AgentCore workload identities and runtimes; per event the
--           agent's identity key, its role, and whether the agent acted (a registration by an
--           admin names the agent without it acting)
-- unit: events
-- feeds: platform_agents, agent_delegations
CREATE OR REPLACE VIEW agent_marker_events AS
-- AgentCore: a runtime is invoked by its ARN; CreateAgentRuntime names the workload identity
-- the runtime acts as.
WITH runtimes AS (
    SELECT DISTINCT json_extract_string(raw, '$.responseElements.agentRuntimeArn') AS runtime,
           agent_id AS workload
    FROM events
    WHERE platform = 'aws' AND event_type = 'CreateAgentRuntime' AND agent_id IS NOT NULL
)
SELECT e.file_id, e.record_no, e.platform, e.source_format, e.event_time, e.event_type,
       e.actor_key, e.on_behalf_of, e.agent_type, e.agent_parent_id,
       e.platform || ':' || coalesce(r.workload, e.agent_id) AS agent_key,
       coalesce(r.workload, e.agent_id) AS agent_native_id,
       CASE WHEN e.agent_type IN ('agentIdentityBlueprintPrincipal', 'agenticApp')
                THEN 'blueprint'
            WHEN e.agent_type = 'agentIDuser' THEN 'agent_user'
            ELSE 'agent' END AS role,
       e.agent_id = e.actor_id OR e.on_behalf_of IS NOT NULL
           OR (e.platform = 'aws' AND NOT starts_with(e.event_type, 'Create'))
           OR e.source_format = 'auth0_log' AS acted
FROM events e LEFT JOIN runtimes r ON r.runtime = e.agent_id
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
           role, agent_type,
           -- sign-ins name the blueprint by appId and audits by object id: sign-ins first
           arg_min(agent_parent_id, CASE source_format WHEN 'entra_signin' THEN 0 ELSE 1 END)
               FILTER (agent_parent_id IS NOT NULL) AS parent_id,
           NULL::VARCHAR[] AS sponsors, false AS in_registry, NULL AS registry_source,
           bool_or(acted) AS acted, min(event_time) FILTER (acted) AS first_acted,
           max(event_time) FILTER (acted) AS last_acted,
           CASE WHEN bool_or(source_format = 'entra_signin') THEN 0 ELSE 1 END AS pref
    FROM agent_marker_events GROUP BY ALL
),
-- The identity an agent acts through, when it is not the agent itself: an Auth0 application
-- the agent's tokens are issued to, an AgentCore runtime's execution role. Part of the agent,
-- not an agent of its own (a caller invoking the agent, or the person it acts for, is not).
through AS (
    SELECT actor_key, platform, NULL, NULL, 'agent_client', NULL, min(agent_key), NULL::VARCHAR[],
           false, NULL, true, min(event_time), max(event_time), 1
    FROM agent_marker_events
    WHERE acted AND actor_key <> agent_key AND actor_key IS DISTINCT FROM on_behalf_of
      AND event_type <> 'InvokeAgentRuntime'
    GROUP BY ALL
),
from_registry AS (
    SELECT platform || ':' || native_id, platform, native_id, name,
           CASE WHEN kind IN ('blueprint', 'blueprint_principal') THEN 'blueprint'
                WHEN kind = 'agent_user' THEN 'agent_user' ELSE 'agent' END,
           kind, parent_id, sponsors, true, source, false, NULL::TIMESTAMPTZ,
           NULL::TIMESTAMPTZ, 0
    FROM agent_registry
),
merged AS (
    SELECT identity_key, any_value(platform) AS platform, any_value(native_id) AS native_id,
           max(name) AS name, arg_min(role, pref) AS role, arg_min(agent_type, pref) AS agent_type,
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
    SELECT DISTINCT alias, app_id FROM (
        SELECT native_id AS alias, app_id FROM agent_registry
        WHERE kind IN ('blueprint', 'blueprint_principal') AND app_id IS NOT NULL
        UNION ALL
        SELECT app_id, app_id FROM agent_registry
        WHERE kind IN ('blueprint', 'blueprint_principal') AND app_id IS NOT NULL
        UNION ALL
        SELECT agent_id, app_id FROM events
        WHERE source_format = 'entra_signin' AND agent_type = 'agentIdentityBlueprintPrincipal'
          AND app_id IS NOT NULL
        UNION ALL
        SELECT app_id, app_id FROM events
        WHERE source_format = 'entra_signin' AND agent_type = 'agentIdentityBlueprintPrincipal'
          AND app_id IS NOT NULL)
),
blueprint_key AS (
    SELECT a.app_id,
           arg_min(m.identity_key,
                   m.agent_type NOT IN ('agentIdentityBlueprintPrincipal', 'blueprint_principal'))
               AS identity_key,
           max(m.name) AS name
    FROM blueprint_alias a JOIN merged m ON m.platform = 'entra' AND m.native_id = a.alias
    WHERE m.role = 'blueprint'
    GROUP BY ALL
)
SELECT m.identity_key, m.platform, m.native_id, m.name, m.role, m.agent_type,
       CASE WHEN m.role = 'agent_user' THEN m.platform || ':' || m.parent_id
            WHEN m.role = 'agent_client' THEN m.parent_id
            WHEN m.role = 'agent' AND m.parent_id IS NOT NULL
                 THEN coalesce(b.identity_key, m.platform || ':' || coalesce(a.app_id, m.parent_id))
       END AS parent_key,
       CASE WHEN m.role = 'agent' THEN b.name END AS parent_name,
       nullif(m.sponsors, []) AS sponsors, m.in_registry, m.registry_source, m.acted_in_logs,
       m.first_acted, m.last_acted
FROM merged m
LEFT JOIN blueprint_alias a ON a.alias = m.parent_id
LEFT JOIN blueprint_key b ON b.app_id = coalesce(a.app_id, m.parent_id);
