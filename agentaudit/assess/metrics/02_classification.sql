-- name: classified_identities
-- measures: every identity seen in the exports (and every inventoried agent never seen, keyed
--           `<platform>:<platform_id>`) as
--           human, nhi or other, whether an NHI is an AI agent, and the rule that decided each
-- unit: identities
-- feeds: every NHI metric; the NHI-to-human ratio; the report's classification appendix
-- materialized: table
CREATE OR REPLACE VIEW classified_identities AS
WITH ev AS (
    SELECT actor_key,
           bool_or(is_interactive) AS any_interactive,
           bool_or(credential_type = 'api_token') AS uses_api_token,
           bool_and(coalesce(NOT is_interactive, false)) AS only_programmatic,
           list(DISTINCT lower(user_agent)) FILTER (WHERE user_agent IS NOT NULL) AS agents,
           list(DISTINCT lower(event_type)) AS actions
    FROM events GROUP BY actor_key),
sig AS (SELECT field, lower(pattern) AS pattern, framework FROM aa_agent_signatures),
used AS (SELECT identity_key, max(last_used_at) AS last_used FROM credentials GROUP BY ALL),
people AS (SELECT * FROM roster_people),
has_roster AS (SELECT count(*) > 0 AS yes FROM roster_people),
seen AS (
    SELECT i.*, v.agent_id, v.kind AS inventory_kind, v.owner_email, v.privileges,
           v.last_reviewed_at, v.decommissioned_at,
           ev.any_interactive, ev.uses_api_token, ev.only_programmatic, ev.agents, ev.actions,
           greatest(i.last_seen, used.last_used) AS last_activity,
           (SELECT min(p.email) FROM people p
            WHERE p.email = lower(i.name) OR p.email = i.email
               OR (i.platform = 'aws' AND p.local_part = lower(i.name))
               OR (i.platform = 'github' AND replace(p.local_part, '.', '-') = lower(i.name)))
               AS person
    FROM identities i
    LEFT JOIN inventory_agents v ON v.identity_key = i.identity_key
    LEFT JOIN ev ON ev.actor_key = i.identity_key
    LEFT JOIN used ON used.identity_key = i.identity_key),
decided AS (
    SELECT *,
        CASE
          WHEN agent_id IS NOT NULL THEN ['nhi', 'listed in the agent inventory as '
                                                 || inventory_kind || ' (' || agent_id || ')']
          WHEN vendor_type IN ('PublicClientApp', 'Client', 'AppInstance', 'SystemPrincipal')
               THEN ['nhi', 'Okta actor type ' || vendor_type]
          WHEN vendor_type = 'ServicePrincipal' THEN ['nhi', 'Entra service principal']
          WHEN vendor_type = 'ManagedIdentity' THEN ['nhi', 'Entra managed identity']
          WHEN vendor_type IN ('AssumedRole', 'Role')
               THEN ['nhi', 'AWS IAM role (sessions assumed by workloads)']
          WHEN vendor_type = 'AWSService' THEN ['nhi', 'AWS service acting in the account']
          WHEN vendor_type = 'FederatedUser'
               THEN ['nhi', 'AWS federated session issued by GetFederationToken']
          WHEN vendor_type = 'Bot' OR name LIKE '%[bot]' THEN ['nhi', 'GitHub bot account']
          WHEN vendor_type = 'Root' THEN ['human', 'AWS root account (people, break-glass)']
          WHEN vendor_type = 'IP address' THEN ['other', 'Okta actor that is a network address']
          WHEN person IS NOT NULL THEN ['human', 'matches employee ' || person
                                                 || ' in the HR roster']
          WHEN platform = 'okta' AND uses_api_token
               THEN ['nhi', 'Okta user acting through an API token']
          WHEN (SELECT yes FROM has_roster)
               THEN ['nhi', 'matches no employee in the HR roster']
          WHEN platform = 'aws' AND has_password IS DISTINCT FROM true
               THEN ['nhi', 'IAM user with access keys and no console password']
          WHEN only_programmatic THEN ['nhi', 'acts only through keys or tokens, never '
                                              || 'interactively']
          ELSE ['human', 'signs in interactively and no other rule applies']
        END AS decision
    FROM seen)
SELECT identity_key, platform, native_id, name, display_name, vendor_type,
       decision[1] AS class, decision[2] AS classification_rule,
       decision[1] = 'nhi' AND ai_rule IS NOT NULL AS is_ai_agent, ai_rule,
       agent_id, inventory_kind, owner_email, privileges, last_reviewed_at, decommissioned_at,
       agent_id IS NOT NULL AS in_inventory, true AS seen_in_exports, person,
       first_seen, last_activity, event_count, any_interactive,
       decommissioned_at IS NULL
           OR decommissioned_at > (SELECT end_at FROM assessment_window) AS is_active
FROM (SELECT *, coalesce(ai_inventory, ai_agent_ua, ai_calls, ai_name) AS ai_rule
      FROM (SELECT *,
                CASE WHEN inventory_kind = 'ai_agent' THEN 'inventory kind ai_agent' END
                    AS ai_inventory,
                (SELECT 'user agent of ' || min(s.framework) FROM sig s
                 WHERE s.field = 'user_agent'
                   AND len(list_filter(agents, lambda a: contains(a, s.pattern))) > 0)
                    AS ai_agent_ua,
                (SELECT 'calls ' || min(s.framework) FROM sig s
                 WHERE s.field = 'event_type' AND list_contains(actions, s.pattern))
                    AS ai_calls,
                (SELECT 'name ' || min(s.framework) FROM sig s
                 WHERE s.field = 'name' AND (contains(lower(name), s.pattern)
                                             OR contains(lower(display_name), s.pattern)))
                    AS ai_name
            FROM decided))
UNION ALL
SELECT v.platform || ':' || v.platform_id, v.platform, v.platform_id, v.name, v.name, NULL,
       'nhi', 'listed in the agent inventory as ' || v.kind || ' (' || v.agent_id
              || '), never seen in the exports',
       v.kind = 'ai_agent', CASE WHEN v.kind = 'ai_agent' THEN 'inventory kind ai_agent' END,
       v.agent_id, v.kind, v.owner_email, v.privileges, v.last_reviewed_at, v.decommissioned_at,
       true, false, NULL, NULL, NULL, 0, false,
       v.decommissioned_at IS NULL OR v.decommissioned_at > (SELECT end_at FROM assessment_window)
FROM inventory_agents v WHERE v.identity_key IS NULL;

-- name: nhis
-- measures: the non-human identities (classified_identities where class = 'nhi')
-- unit: identities
-- feeds: every NHI metric
CREATE OR REPLACE VIEW nhis AS
SELECT * FROM classified_identities WHERE class = 'nhi';
