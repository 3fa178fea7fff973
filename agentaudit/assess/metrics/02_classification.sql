-- name: identity_signals
-- measures: per identity, the evidence classification weighs (docs/classification.md): the
--           vendor's actor type, how it signs in (interactive, console, browser, MFA), which
--           credential kinds it uses, federation (Identity Center, SAML, OIDC web identity),
--           workload markers (EC2 instance profile, Lambda), the roster link, the inventory
--           listing, vendor first-party application ids, and whether it ever acted
-- unit: identities
-- feeds: classified_identities
-- materialized: table
CREATE OR REPLACE VIEW identity_signals AS
-- Events first collapse to their distinct shapes per actor (a few per identity), so that the
-- signals below are computed over thousands of rows, not every event. Only the vocabulary's
-- facts are read (agentaudit/readers/vocabulary.py): the readers know the vendors.
WITH shapes AS (
    SELECT actor_key, event_type, credential_type, is_interactive, class_uid, activity_id,
           auth_mfa, auth_method, workload, outcome = 'success' AS ok, app_name, app_id,
           user_agent, count(*) AS n
    FROM events GROUP BY ALL),
ev AS (
    SELECT actor_key,
           bool_or(is_interactive) AS any_interactive,
           sum(n) FILTER (is_interactive) AS interactive_events,
           -- a successful interactive logon with the account's password (a console sign-in)
           bool_or(class_uid = 3002 AND activity_id = 1 AND auth_method = 'password' AND ok
                   AND coalesce(is_interactive, false)) AS console_signin,
           bool_or(coalesce(auth_mfa, false)) AS mfa,
           bool_or(credential_type = 'api_token') AS uses_api_token,
           bool_or(credential_type IN ('access_key', 'personal_access_token', 'client_secret',
                                       'certificate', 'api_token', 'oauth_client')
                   AND NOT coalesce(is_interactive, false)) AS uses_secret,
           bool_and(coalesce(NOT is_interactive, false)) AS only_programmatic,
           bool_or(workload = 'ec2_instance') AS ec2_sessions,
           bool_or(workload = 'lambda') AS lambda_sessions,
           max(app_name) FILTER (auth_method = 'web_identity') AS web_identity_provider,
           list(DISTINCT app_name ORDER BY app_name)
               FILTER (auth_method = 'sso' AND app_name IS NOT NULL) AS sso_apps,
           max(app_id) AS own_app_id,
           list(DISTINCT lower(user_agent)) FILTER (user_agent IS NOT NULL) AS agents,
           list(DISTINCT lower(event_type)) AS actions
    FROM shapes GROUP BY actor_key),
-- Roles people reach through SAML federation: every successful assumption of the role
-- (session credentials issued for it) is by SAML (a role also assumed by workloads stays a
-- workload).
assumed AS (
    SELECT platform || ':' || target_id AS identity_key,
           bool_and(auth_method = 'saml') AS saml_only
    FROM events
    WHERE credential_action = 'created' AND outcome = 'success' AND target_type = 'role'
    GROUP BY ALL),
used AS (SELECT identity_key, max(last_used_at) AS last_used FROM credentials GROUP BY ALL),
-- Who granted an app its access, where the log names them: the member who installed an app
-- or authorised it (the earliest).
granted AS (
    SELECT app_key AS identity_key, arg_min(actor_key, event_time) AS granted_by
    FROM events
    WHERE app_key IS NOT NULL AND auth_method IS DISTINCT FROM 'oauth_token'
    GROUP BY ALL),
-- An app acts through the token a member granted it: those events name the member as the
-- actor and the app by its key, and are the app's activity.
delegated AS (
    SELECT app_key AS identity_key, count(*) AS acted_events, max(event_time) AS last_acted
    FROM events
    WHERE app_key IS NOT NULL AND auth_method = 'oauth_token'
    GROUP BY ALL),
-- named by an account listing (the credential report): it exists even if it never acts
listed AS (
    SELECT i.identity_key, min(r.account_listing) AS account_listing
    FROM identities i JOIN aa_readers r ON list_contains(i.source_formats, r.format)
    WHERE r.account_listing IS NOT NULL
    GROUP BY ALL)
SELECT i.identity_key, i.platform, i.vendor_type, i.has_password, i.mfa_active,
       ak.actor_kind, ak.label AS kind_label, ak.decides AS kind_decides,
       ak.rule AS kind_rule, ak.confidence AS kind_confidence, ak.detail AS kind_detail,
       ev.* EXCLUDE (actor_key, own_app_id),
       -- an application's own id (a service principal's or managed identity's appId)
       CASE WHEN ak.actor_kind IN ('service_principal', 'managed_identity') THEN ev.own_app_id END
           AS entra_app_id,
       -- from the distinct user agents, not every event: a browser
       array_length(list_filter(ev.agents, lambda a: starts_with(a, 'mozilla/'))) > 0 AS browser,
       coalesce(assumed.saml_only, false) AS saml_role,
       listed.account_listing, listed.account_listing IS NOT NULL AS in_account_listing,
       coalesce(i.event_count, 0) = 0 AND used.last_used IS NULL AND delegated.last_acted IS NULL
           AND listed.account_listing IS NULL
           AND coalesce(ak.actor_kind, '') NOT IN ('installed_app', 'oauth_app') AS target_only,
       greatest(i.last_seen, used.last_used, delegated.last_acted) AS last_activity,
       granted.granted_by,
       coalesce(i.event_count, 0) + coalesce(delegated.acted_events, 0) AS activity_count,
       va.name AS vendor_app, va.vendor AS app_vendor,
       pl.person, pl.rule AS person_rule, pl.strength AS person_strength,
       pl.candidates AS person_candidates, coalesce(pl.ambiguous, false) AS person_ambiguous,
       regexp_matches(lower(coalesce(i.name, i.native_id)),
                      '(^|[^a-z])(svc|service|bot|robot|automation|sync|integration|daemon|cron|pipeline|deploy|ci)([^a-z]|$)')
           AS service_name
FROM identities i
LEFT JOIN aa_actor_kinds ak ON ak.platform = i.platform AND ak.vendor_type = i.vendor_type
LEFT JOIN ev ON ev.actor_key = i.identity_key
LEFT JOIN assumed USING (identity_key)
LEFT JOIN used USING (identity_key)
LEFT JOIN delegated USING (identity_key)
LEFT JOIN granted USING (identity_key)
LEFT JOIN listed USING (identity_key)
LEFT JOIN person_links pl USING (identity_key)
LEFT JOIN aa_vendor_apps va ON va.platform = i.platform
      AND va.app_id = lower(CASE WHEN ak.actor_kind IN ('service_principal', 'managed_identity')
                                 THEN ev.own_app_id END);

-- name: classified_identities
-- measures: every identity seen in the exports (and every inventoried agent never seen, keyed
--           `<platform>:<platform_id>`) as human, external_human, nhi, unresolved or other
--           (a network address), with the rule that decided, its confidence, any consultant
--           override, the roster person it belongs to, and whether an NHI is an AI agent
-- unit: identities
-- feeds: every NHI metric; the NHI-to-human ratio; people; the report's classification appendix
-- materialized: table
CREATE OR REPLACE VIEW classified_identities AS
WITH sig AS (SELECT field, lower(pattern) AS pattern, framework FROM aa_agent_signatures),
seen AS (
    SELECT i.identity_key, i.native_id, coalesce(i.name, v.name) AS name,
           coalesce(i.display_name, i.name, v.name) AS display_name, i.first_seen,
           s.activity_count AS event_count,
           s.* EXCLUDE (identity_key, platform, vendor_type), i.platform, i.vendor_type,
           v.agent_id, v.kind AS inventory_kind, v.owner_email, v.privileges,
           v.last_reviewed_at, v.decommissioned_at,
           pa.role AS agent_role, pa.agent_type AS platform_agent_type,
           pa.parent_key AS agent_parent, pa.sponsors AS agent_sponsors,
           coalesce(pa.in_registry, false) AS in_registry,
           i.identity_key IN (SELECT on_behalf_of FROM agent_marker_events
                              WHERE on_behalf_of IS NOT NULL) AS acted_for_by_agent
    FROM identities i
    JOIN identity_signals s USING (identity_key)
    LEFT JOIN inventory_agents v ON v.identity_key = i.identity_key
    LEFT JOIN platform_agents pa ON pa.identity_key = i.identity_key),
ai AS (
    SELECT *, coalesce(ai_platform, ai_inventory, ai_agent_ua, ai_calls, ai_catalogue, ai_name)
                  AS ai_rule
    FROM (SELECT *,
              -- the identity platform registers it as an agent (a blueprint or an agent's
              -- user account is part of an agent, not one of its own)
              CASE WHEN agent_role = 'agent' THEN 'platform: ' || platform_agent_type END
                  AS ai_platform,
              CASE WHEN inventory_kind = 'ai_agent' THEN 'inventory kind ai_agent' END
                  AS ai_inventory,
              (SELECT 'user agent of ' || min(s.framework) FROM sig s
               WHERE s.field = 'user_agent'
                 AND array_length(list_filter(agents, lambda a: contains(a, s.pattern))) > 0)
                  AS ai_agent_ua,
              (SELECT 'calls ' || min(s.framework) FROM sig s
               WHERE s.field = 'event_type' AND list_contains(actions, s.pattern))
                  AS ai_calls,
              -- an app of the AI app catalogue (assess/ai_apps.csv), by its Entra appId or
              -- its name; the catalogue's generic name row is left to the name signatures
              'AI app catalogue: ' || coalesce(
                  (SELECT min(c.app) FROM aa_ai_apps c
                   WHERE c.match = 'app_id' AND c.platform IN (platform, 'any')
                     AND c.pattern = lower(entra_app_id)),
                  aa_ai_app_name(platform, coalesce(display_name, name, ''))) AS ai_catalogue,
              (SELECT 'name ' || min(s.framework) FROM sig s
               WHERE s.field = 'name' AND (contains(lower(name), s.pattern)
                                           OR contains(lower(display_name), s.pattern)))
                  AS ai_name
          FROM seen)),
decided AS (
    SELECT *,
        CASE
          WHEN agent_id IS NOT NULL THEN ['nhi', 'listed in the agent inventory as '
                                                 || inventory_kind || ' (' || agent_id || ')', 'high']
          WHEN agent_role IS NOT NULL
               THEN ['nhi', 'the identity platform names it an agent ' || replace(agent_role, '_', ' ')
                            || ' (' || platform_agent_type || ')', 'high']
          WHEN vendor_app IS NOT NULL
               THEN ['nhi', app_vendor || ' first-party application ' || vendor_app
                            || ' (vendor-managed)', 'high']
          -- a role: people or workloads, as its sessions show
          WHEN actor_kind = 'role' AND saml_role
               AND NOT coalesce(ec2_sessions OR lambda_sessions, false)
               THEN ['human', kind_rule || ' people assume through SAML federation only', 'medium']
          WHEN actor_kind = 'role'
               THEN CASE
                 WHEN web_identity_provider IS NOT NULL
                      THEN ['nhi', kind_rule || ' assumed with an OIDC web identity from '
                                   || regexp_extract(web_identity_provider, '[^/]+$'), 'high']
                 WHEN ec2_sessions THEN ['nhi', kind_rule || ' of an EC2 instance profile', 'high']
                 WHEN lambda_sessions THEN ['nhi', kind_rule || ' of a Lambda function (execution role)', 'high']
                 ELSE ['nhi', kind_rule || ' (sessions assumed by workloads)', 'high'] END
          -- the platform's actor type decides by itself (the readers declare which)
          WHEN kind_decides IS NOT NULL AND actor_kind <> 'guest'
               THEN [kind_decides,
                     kind_rule || coalesce(' (' || kind_detail || ' '
                                           || array_to_string(coalesce(sso_apps, []), ', ') || ')', ''),
                     kind_confidence]
          WHEN target_only THEN ['unresolved', 'seen only as the target of an event; never acts',
                                 'low']
          WHEN actor_kind = 'guest' THEN [kind_decides, kind_rule, kind_confidence]
          WHEN person IS NOT NULL AND person_strength <= 3
               THEN ['human', 'matches employee ' || person || ' in the HR roster (' || person_rule
                              || ')', 'high']
          WHEN coalesce(any_interactive, false) AND mfa
               THEN ['human', 'signs in interactively with MFA'
                              || CASE WHEN console_signin THEN ' (console password sign-in)' ELSE '' END,
                     'high']
          WHEN coalesce(any_interactive, false) AND uses_secret AND person_strength IS NULL
               THEN ['nhi', 'acts through keys or tokens and is also signed in to '
                            || 'interactively without MFA, matching no employee', 'medium']
          WHEN coalesce(any_interactive, false)
               THEN ['human', 'signs in interactively ('
                              || CASE WHEN console_signin THEN 'console password sign-in'
                                      WHEN browser THEN 'browser' ELSE 'interactive sign-in' END
                              || ')' || coalesce('; ' || person_rule || ' of ' || person, ''),
                     'medium']
          WHEN acted_for_by_agent
               THEN ['human', 'an AI agent acts on its behalf (the platform''s delegation '
                              || 'marker: a person is the subject of the agent''s token)', 'medium']
          WHEN ai_agent_ua IS NOT NULL OR ai_calls IS NOT NULL
               THEN ['nhi', 'AI agent signature: ' || coalesce(ai_agent_ua, ai_calls), 'medium']
          WHEN uses_api_token
               THEN ['nhi', coalesce(kind_label, 'account')
                            || ' acting only through an API token (service user)', 'medium']
          WHEN in_account_listing AND has_password = false
               THEN ['nhi', coalesce(kind_label, 'account') || ' with no console password ('
                            || account_listing || ')', 'high']
          WHEN only_programmatic AND uses_secret
               THEN ['nhi', 'acts only through keys or tokens, never interactively', 'medium']
          WHEN in_account_listing AND has_password
               THEN ['human', coalesce(kind_label, 'account') || ' with a console password ('
                              || account_listing || ')'
                              || CASE WHEN mfa_active THEN ' and MFA' ELSE '' END, 'low']
          WHEN service_name
               THEN ['nhi', 'named like a service account', 'low']
          ELSE ['unresolved', 'no evidence decides: no interactive sign-in, no credential use '
                              || 'that only workloads make, no roster match', 'low']
        END AS rule_decision
    FROM ai),
overridden AS (
    SELECT d.*, o.decision AS override_decision, o.reason AS override_reason,
           o.reviewer AS override_reviewer,
           CASE WHEN o.decision IS NOT NULL
                THEN [o.decision, 'consultant review: ' || o.reason
                                  || coalesce(' (' || o.reviewer || ')', ''), 'reviewed']
                ELSE rule_decision END AS decision
    FROM decided d LEFT JOIN aa_overrides o USING (identity_key))
SELECT identity_key, platform, native_id, name, display_name, vendor_type,
       CASE WHEN vendor_app IS NOT NULL THEN app_vendor || ' application'
            WHEN agent_id IS NOT NULL AND inventory_kind = 'ai_agent' THEN 'AI agent'
            ELSE coalesce(kind_label, vendor_type, 'account')
       END AS kind,
       decision[1] AS class, decision[2] AS classification_rule, decision[3] AS confidence,
       override_decision IS NOT NULL AS overridden, override_reason, override_reviewer,
       rule_decision[1] AS rule_class, rule_decision[2] AS rule_reason,
       decision[1] = 'nhi' AND ai_rule IS NOT NULL AND coalesce(agent_role, 'agent') = 'agent'
           AS is_ai_agent, ai_rule,
       vendor_app IS NOT NULL AS vendor_managed,
       agent_id, inventory_kind, coalesce(owner_email, agent_sponsors[1]) AS owner_email,
       privileges, last_reviewed_at, decommissioned_at,
       agent_id IS NOT NULL AS in_inventory, true AS seen_in_exports,
       CASE WHEN decision[1] IN ('human', 'unresolved')
                 OR (decision[1] = 'external_human' AND person_strength = 1) THEN person END
           AS person,
       CASE WHEN decision[1] IN ('human', 'unresolved')
                 OR (decision[1] = 'external_human' AND person_strength = 1) THEN person_rule END
           AS person_rule,
       person_candidates, person_ambiguous,
       granted_by, first_seen, last_activity, event_count, any_interactive,
       (decommissioned_at IS NULL
        OR decommissioned_at > (SELECT end_at FROM assessment_window))
           AND NOT (target_only AND agent_id IS NULL AND override_decision IS NULL
                    AND NOT in_registry)
           AS is_active,
       agent_role, agent_parent, agent_sponsors[1] AS sponsor, in_registry,
       CASE WHEN decision[1] <> 'nhi' OR coalesce(agent_role, 'agent') <> 'agent' THEN NULL
            WHEN ai_platform IS NOT NULL THEN 'platform'
            WHEN ai_inventory IS NOT NULL THEN 'inventory'
            WHEN ai_rule IS NOT NULL THEN 'signature' END AS known_from
FROM overridden
UNION ALL
SELECT v.platform || ':' || v.platform_id, v.platform, v.platform_id, v.name, v.name, NULL,
       CASE WHEN v.kind = 'ai_agent' THEN 'AI agent' ELSE replace(v.kind, '_', ' ') END,
       coalesce(o.decision, 'nhi'),
       CASE WHEN o.decision IS NOT NULL
            THEN 'consultant review: ' || o.reason || coalesce(' (' || o.reviewer || ')', '')
            ELSE 'listed in the agent inventory as ' || v.kind || ' (' || v.agent_id
                 || '), never seen in the exports' END,
       CASE WHEN o.decision IS NOT NULL THEN 'reviewed' ELSE 'high' END,
       o.decision IS NOT NULL, o.reason, o.reviewer,
       'nhi', 'listed in the agent inventory as ' || v.kind || ' (' || v.agent_id
              || '), never seen in the exports',
       coalesce(o.decision, 'nhi') = 'nhi' AND v.kind = 'ai_agent',
       CASE WHEN v.kind = 'ai_agent' THEN 'inventory kind ai_agent' END, false,
       v.agent_id, v.kind, v.owner_email, v.privileges, v.last_reviewed_at, v.decommissioned_at,
       true, false, NULL, NULL, NULL, false, NULL, NULL, NULL, 0, false,
       v.decommissioned_at IS NULL OR v.decommissioned_at > (SELECT end_at FROM assessment_window),
       pa.role, pa.parent_key, pa.sponsors[1], coalesce(pa.in_registry, false),
       CASE WHEN pa.role = 'agent' THEN 'platform' WHEN v.kind = 'ai_agent' THEN 'inventory' END
FROM inventory_agents v LEFT JOIN aa_overrides o ON o.identity_key = v.platform || ':' || v.platform_id
LEFT JOIN platform_agents pa ON pa.identity_key = v.platform || ':' || v.platform_id
WHERE v.identity_key IS NULL
UNION ALL
-- agents a platform names that act under another identity (an AgentCore workload identity
-- is used by its runtime's role) or that only its registry lists; a blueprint's application
-- object is its template, not an identity (its principal is, and audits name it as a target)
SELECT pa.identity_key, pa.platform, pa.native_id, pa.name, pa.name, NULL,
       'agent ' || replace(pa.role, '_', ' '),
       coalesce(o.decision, 'nhi'),
       CASE WHEN o.decision IS NOT NULL
            THEN 'consultant review: ' || o.reason || coalesce(' (' || o.reviewer || ')', '')
            ELSE 'the identity platform names it an agent ' || replace(pa.role, '_', ' ')
                 || ' (' || pa.agent_type || ')' END,
       CASE WHEN o.decision IS NOT NULL THEN 'reviewed' ELSE 'high' END,
       o.decision IS NOT NULL, o.reason, o.reviewer,
       'nhi', 'the identity platform names it an agent ' || replace(pa.role, '_', ' '),
       coalesce(o.decision, 'nhi') = 'nhi' AND pa.role = 'agent',
       CASE WHEN pa.role = 'agent' THEN 'platform: ' || pa.agent_type END, false,
       NULL, NULL, pa.sponsors[1], NULL, NULL, NULL,
       false, true, NULL, NULL, NULL, false, NULL, pa.first_acted, pa.last_acted, 0, false,
       true,
       pa.role, pa.parent_key, pa.sponsors[1], pa.in_registry,
       CASE WHEN pa.role = 'agent' THEN 'platform' END
FROM platform_agents pa LEFT JOIN aa_overrides o USING (identity_key)
WHERE pa.identity_key NOT IN (SELECT identity_key FROM identities)
  AND pa.agent_kind IS DISTINCT FROM 'blueprint'
  AND pa.identity_key NOT IN (SELECT platform || ':' || platform_id FROM inventory_agents
                              WHERE platform_id IS NOT NULL);

-- name: nhis
-- measures: the non-human identities (classified_identities where class = 'nhi')
-- unit: identities
-- feeds: every NHI metric
CREATE OR REPLACE VIEW nhis AS
SELECT * FROM classified_identities WHERE class = 'nhi';

-- name: people
-- measures: people and accounts side by side: each roster person with the accounts linked to
--           them per platform, each person-like account (human, external_human, unresolved)
--           that links to no person, and each active employee with no account in the exports
-- unit: rows of (person, platform, account)
-- feeds: the report's people section
CREATE OR REPLACE VIEW people AS
SELECT p.email AS person, p.display_name AS person_name, p.is_active AS active_employee,
       c.platform, c.identity_key, coalesce(c.display_name, c.name) AS account_name, c.class,
       c.person_rule AS linked_by,
       CASE WHEN c.identity_key IS NULL THEN 'no account in the exports'
            ELSE 'account of this person' END AS status
FROM roster_people p
LEFT JOIN classified_identities c ON c.person = p.email AND c.class <> 'nhi'
UNION ALL
SELECT NULL, NULL, NULL, c.platform, c.identity_key, coalesce(c.display_name, c.name), c.class,
       NULL,
       CASE WHEN c.person_ambiguous THEN 'several possible people: '
                                         || array_to_string(c.person_candidates, ', ')
            WHEN NOT EXISTS (SELECT 1 FROM roster_people) THEN 'no HR roster supplied'
            ELSE 'no person in the HR roster' END
FROM classified_identities c
WHERE c.class IN ('human', 'external_human', 'unresolved') AND c.person IS NULL
  AND c.seen_in_exports;
