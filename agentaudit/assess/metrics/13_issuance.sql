-- name: credential_issuance
-- measures: every creation in the window of a non-human identity, an NHI credential or an access
--           grant (OAuth consent, app installation, token), read from the platforms' own audit
--           events (docs/discovery.md names each event and where its fields sit): what was
--           created, for which identity, by whom (and the person behind), the channel
--           (automation, admin, self_service), the scopes granted, whether the identity is
--           inventoried, and its first use after issuance
-- unit: issuance events
-- feeds: the shadow agent discovery audit (report), NHI-SELF-ISSUED, NHI-AI-BROAD-SCOPES,
--        credential_issuance_summary
-- materialized: table
CREATE OR REPLACE VIEW credential_issuance AS
WITH w AS (SELECT * FROM assessment_window),
-- Entra writes the activity with an en dash (and, in Graph, a trailing space): fold both.
kinds(action, created) AS (VALUES
    ('Add application', 'application'),
    ('Add service principal', 'service_principal'),
    ('Add service principal credentials', 'credential'),
    ('Update application - Certificates and secrets management', 'credential'),
    ('Consent to application', 'oauth_grant'),
    ('Add delegated permission grant', 'oauth_grant'),
    ('Add app role assignment to service principal', 'oauth_grant'),
    ('system.api_token.create', 'api_token'),
    ('application.lifecycle.create', 'application'),
    ('app.oauth2.client.lifecycle.create', 'application'),
    ('app.oauth2.credentials.lifecycle.create', 'credential'),
    ('app.oauth2.as.consent.grant', 'oauth_grant'),
    ('app.oauth2.admin.consent.grant', 'oauth_grant'),
    ('user.lifecycle.create', 'user'),
    ('CreateUser', 'user'),
    ('CreateRole', 'role'),
    ('CreateAccessKey', 'access_key'),
    ('CreateLoginProfile', 'login_profile'),
    ('personal_access_token.create', 'personal_access_token'),
    ('personal_access_token.request_created', 'personal_access_token'),
    ('personal_access_token.access_granted', 'personal_access_token'),
    ('oauth_authorization.create', 'oauth_grant'),
    ('org.oauth_app_access_approved', 'oauth_grant'),
    ('integration_installation.create', 'app_install'),
    ('public_key.create', 'deploy_key')),
-- Only the issuance events are parsed (a scan of the event types first, then their JSON).
ev AS (
    SELECT e.*, k.action, k.created, e.raw::JSON AS j
    FROM events e
    JOIN kinds k ON k.action = trim(replace(e.event_type, '–', '-'))
    CROSS JOIN w
    WHERE e.event_time BETWEEN w.start_at AND w.end_at
      AND coalesce(e.outcome, 'success') <> 'failure'
      AND e.source_format IN ('entra_audit', 'okta_system_log', 'cloudtrail', 'github_audit')
),
issued AS (
    SELECT ev.*,
           -- Entra: the modified properties of the first target, by name (a Graph record,
           -- or the same record under `properties` as diagnostic settings stream it)
           CASE WHEN source_format = 'entra_audit'
                THEN CAST(coalesce(
                    json_extract(j, '$.targetResources[0].modifiedProperties'),
                    json_extract(j, '$.properties.targetResources[0].modifiedProperties'))
                    AS JSON[])
           END AS props,
           -- Okta: the targets (an app, the scopes of a consent)
           -- (an array: one odd record must not stop the assessment; text, read as both
           -- engines read it)
           CASE WHEN source_format = 'okta_system_log'
                 AND starts_with(ltrim(json_extract(j, '$.target')::VARCHAR), '[')
                THEN CAST(json_extract(j, '$.target') AS JSON[])
           END AS okta_targets
    FROM ev
),
named AS (
    SELECT i.*,
           -- Entra property values are JSON strings ("\"True\""): their text, unquoted
           trim(list_filter(props, lambda p: p->>'displayName' = 'ConsentContext.IsAdminConsent')[1]->>'newValue', '" ') AS entra_admin_consent,
           list_filter(props, lambda p: p->>'displayName' = 'ConsentAction.Permissions')[1]->>'newValue' AS entra_permissions,
           trim(list_filter(props, lambda p: p->>'displayName' = 'DelegatedPermissionGrant.Scope')[1]->>'newValue', '" ') AS entra_grant_scope,
           trim(list_filter(props, lambda p: p->>'displayName' = 'DelegatedPermissionGrant.ConsentType')[1]->>'newValue', '" ') AS entra_grant_type,
           trim(list_filter(props, lambda p: p->>'displayName' = 'AppRole.Value')[1]->>'newValue', '" ') AS entra_app_role,
           trim(list_filter(props, lambda p: p->>'displayName' = 'ServicePrincipal.ObjectID')[1]->>'newValue', '" ') AS entra_grantee_id,
           trim(list_filter(props, lambda p: p->>'displayName' = 'ServicePrincipal.DisplayName')[1]->>'newValue', '" ') AS entra_grantee_name,
           regexp_extract(
               list_filter(props, lambda p: p->>'displayName' = 'KeyDescription')[1]->>'newValue',
               'KeyIdentifier=([0-9a-fA-F-]+)', 1) AS entra_key_id,
           regexp_extract(
               list_filter(props, lambda p: p->>'displayName' = 'TargetId.ServicePrincipalNames')[1]->>'newValue',
               '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}')
               AS entra_app_id,
           coalesce(j->>'correlationId', j->>'$.properties.correlationId') AS correlation_id
    FROM issued i
),
shaped AS (
    SELECT n.*,
           CASE
               WHEN action IN ('Add delegated permission grant',
                               'Add app role assignment to service principal')
                   THEN coalesce(entra_grantee_id, target_id)
               WHEN created = 'access_key'
                   THEN coalesce(j->>'$.responseElements.accessKey.userName',
                                 j->>'$.requestParameters.userName', actor_id)
               WHEN created = 'login_profile'
                   THEN coalesce(j->>'$.requestParameters.userName', target_id)
               WHEN created = 'user' AND source_format = 'cloudtrail'
                   THEN coalesce(j->>'$.requestParameters.userName', target_id)
               WHEN created = 'role' THEN coalesce(j->>'$.requestParameters.roleName', target_id)
               WHEN source_format = 'okta_system_log' AND created = 'oauth_grant'
                   THEN coalesce(j->>'$.client.id', target_id)
               WHEN source_format = 'github_audit'
                   THEN coalesce(j->>'$.integration', j->>'$.oauth_application_name',
                                 j->>'$.application_name', j->>'$.user',
                                 j->>'$.repo', target_id)
               ELSE target_id
           END AS for_id,
           CASE
               WHEN action IN ('Add delegated permission grant',
                               'Add app role assignment to service principal')
                   THEN coalesce(entra_grantee_name, target_name)
               -- an Okta consent names the app as an AppInstance target when at all (a
               -- user's consent lists only the scopes): else the client's known name
               WHEN source_format = 'okta_system_log' AND created = 'oauth_grant'
                   THEN list_filter(okta_targets,
                                    lambda t: t->>'type' = 'AppInstance')[1]->>'displayName'
               WHEN source_format = 'github_audit'
                   THEN coalesce(j->>'$.name', j->>'$.integration',
                                 j->>'$.oauth_application_name', j->>'$.user_programmatic_access_name',
                                 j->>'$.title', target_name)
               ELSE target_name
           END AS for_name,
           CASE
               WHEN created = 'access_key' THEN j->>'$.responseElements.accessKey.accessKeyId'
               WHEN created = 'api_token' THEN target_id
               WHEN created = 'credential' THEN entra_key_id
           END AS credential_created,
           CASE
               WHEN entra_permissions IS NOT NULL
                   THEN string_split(trim(regexp_extract(entra_permissions,
                                                         'Scope:\s*([^,\]]*)', 1)), ' ')
               WHEN entra_grant_scope IS NOT NULL
                   THEN string_split(trim(entra_grant_scope), ' ')
               WHEN entra_app_role IS NOT NULL THEN [entra_app_role]
               WHEN source_format = 'okta_system_log' AND created = 'oauth_grant'
                   -- one target per scope, named in displayName (beside the app's own)
                   THEN list_transform(
                       list_filter(okta_targets,
                                   lambda t: coalesce(t->>'type', '') NOT IN (
                                       'AppInstance', 'PublicClientApp', 'User',
                                       'AuthorizationServer')),
                       lambda t: t->>'displayName')
           END AS scope_list,
           CASE
               WHEN entra_admin_consent IS NOT NULL
                   THEN CASE WHEN lower(entra_admin_consent) = 'true' THEN 'admin' ELSE 'user' END
               WHEN entra_grant_type IS NOT NULL
                   THEN CASE WHEN entra_grant_type = 'AllPrincipals' THEN 'admin' ELSE 'user' END
               WHEN action = 'Add app role assignment to service principal' THEN 'admin'
               WHEN event_type IN ('app.oauth2.admin.consent.grant',
                                   'org.oauth_app_access_approved') THEN 'admin'
               WHEN event_type IN ('app.oauth2.as.consent.grant',
                                   'oauth_authorization.create') THEN 'user'
           END AS consent_type
    FROM named n
),
-- An Entra consent writes the grant twice (the consent and the permission grant, one
-- correlation id) and creates the app's service principal in the same flow: the grant is
-- counted once, and the flow's channel is the consent's.
flows AS (
    SELECT correlation_id, min(consent_type) FILTER (action = 'Consent to application') AS flow_consent
    FROM shaped WHERE source_format = 'entra_audit' AND correlation_id IS NOT NULL
    GROUP BY ALL
),
ledger AS (
    SELECT s.*, f.flow_consent
    FROM shaped s LEFT JOIN flows f USING (correlation_id)
    WHERE NOT (s.action = 'Add delegated permission grant' AND f.flow_consent IS NOT NULL)
),
-- The created identity among those classified: by its native id, else by its name (one
-- equality join on either key; an OR in the join would compare every pair).
known AS (
    SELECT platform, k, identity_key, in_inventory, class, label
    FROM (SELECT platform, native_id AS k, identity_key, in_inventory, class,
                 coalesce(display_name, name) AS label, 0 AS pref
          FROM classified_identities WHERE native_id IS NOT NULL
          UNION ALL
          SELECT platform, name, identity_key, in_inventory, class,
                 coalesce(display_name, name), 1
          FROM classified_identities WHERE name IS NOT NULL)
    QUALIFY row_number() OVER (PARTITION BY platform, k ORDER BY pref, identity_key) = 1
),
-- A user account created for a person (a new hire provisioned) is not NHI issuance: a
-- created user counts when it is classified an NHI or, unresolved (never seen acting), when
-- it is an IAM user or carries a service name (the classification's naming rule).
numbered AS (
    SELECT l.*, t.identity_key AS for_key, t.in_inventory AS for_in_inventory,
           t.label AS for_label,
           row_number() OVER (ORDER BY l.file_id, l.record_no) AS ledger_row
    FROM ledger l
    LEFT JOIN known t ON t.platform = l.platform AND t.k = l.for_id
    WHERE l.created <> 'user'
       OR t.class = 'nhi'
       OR (coalesce(t.class, 'unresolved') = 'unresolved'
           AND (l.platform = 'aws'
                   OR regexp_matches(lower(coalesce(l.for_name, l.for_id, '')),
                                     '(^|[^a-z])(svc|service|bot|robot|automation|sync|integration|daemon|cron|pipeline|deploy|ci)([^a-z]|$)')))
),
-- First use after issuance: by the created credential, by the created identity (grants
-- and user creations are not followed), or by the app's appId in sign-ins. Equality joins, then the earliest later event.
used_credential AS (
    SELECT n.ledger_row, min(u.event_time) AS at
    FROM numbered n JOIN events u ON u.credential_id = n.credential_created
    WHERE u.event_time > n.event_time
    GROUP BY ALL
),
-- an app connected by consent acts through the users who sign in to it: its appId in the
-- sign-in log is its use
used_app AS (
    SELECT n.ledger_row, min(u.event_time) AS at
    FROM numbered n JOIN events u ON u.app_id = n.entra_app_id
    WHERE u.source_format = 'entra_signin' AND u.event_time > n.event_time
      AND n.created IN ('service_principal', 'application', 'oauth_grant')
    GROUP BY ALL
),
used_identity AS (
    SELECT n.ledger_row, min(u.event_time) AS at
    FROM numbered n JOIN events u ON u.actor_key = n.for_key
    WHERE u.event_time > n.event_time AND n.created NOT IN ('user', 'login_profile')
    GROUP BY ALL
)
SELECT l.event_time AS issued_at, l.platform, l.source_format, l.event_id, l.event_type,
       l.created, l.for_id, coalesce(l.for_name, l.for_label) AS for_name, l.for_key,
       l.credential_created,
       lower(coalesce(nullif(l.entra_app_id, ''),
                      CASE WHEN l.source_format = 'okta_system_log' THEN l.j->>'$.client.id' END))
           AS app_id,
       l.actor_key AS issued_by, coalesce(l.actor_name, l.actor_display_name) AS issuer_name,
       a.class AS issuer_class, a.person AS issuer_person,
       -- made by a workload, or by a script with a long-lived key or token (an admin's Okta
       -- API token, an IAM user's access key, a personal access token): automation
       CASE WHEN a.class = 'nhi' OR list_contains(automation_credentials, l.credential_type)
            THEN 'nhi' ELSE 'person' END AS issuer_kind,
       CASE
           WHEN issuer_kind = 'nhi' THEN 'automation'  -- the alias defined just above
           WHEN coalesce(l.consent_type, l.flow_consent) = 'user' THEN 'self_service'
           WHEN coalesce(l.consent_type, l.flow_consent) = 'admin' THEN 'admin'
           WHEN l.event_type IN ('personal_access_token.create',
                                 'personal_access_token.request_created',
                                 'personal_access_token.access_granted') THEN 'self_service'
           -- an IAM user making a key or password for itself
           WHEN l.created IN ('access_key', 'login_profile') AND l.actor_id = l.for_id
               THEN 'self_service'
           ELSE 'admin'
       END AS channel,
       l.consent_type, nullif(list_filter(l.scope_list, lambda x: x <> ''), []) AS scopes,
       coalesce(l.for_in_inventory, false) AS in_inventory,
       least(uc.at, ui.at, ua.at) AS first_used_at
FROM numbered l
CROSS JOIN (SELECT ['api_token', 'access_key', 'personal_access_token', 'client_secret',
                    'github_app_token', 'oauth_client'] AS automation_credentials)
LEFT JOIN classified_identities a ON a.identity_key = l.actor_key
LEFT JOIN used_credential uc USING (ledger_row)
LEFT JOIN used_identity ui USING (ledger_row)
LEFT JOIN used_app ua USING (ledger_row);

-- name: ai_app_grants
-- measures: access granted to AI apps and agents: consent grants, app installations and OAuth
--           authorisations whose app matches the AI app catalogue (assess/ai_apps.csv, by app id
--           or by name), with who granted them, the consent type and the scopes
-- unit: grants
-- feeds: NHI-AI-BROAD-SCOPES; the JSON contract's ai_app_grants; the discovery audit (report)
CREATE OR REPLACE VIEW ai_app_grants AS
SELECT g.for_name AS app, g.app_id, g.platform, g.issued_by AS granted_by,
       g.issuer_name AS granted_by_name, g.issuer_person AS granted_by_person, g.consent_type,
       g.scopes, g.issued_at AS granted_at, g.in_inventory, g.channel, g.for_key, g.event_id,
       c.app AS catalogue_app, c.vendor AS catalogue_vendor, c.match AS matched_by,
       c.category = 'generic' AS by_name_only
FROM credential_issuance g
JOIN aa_ai_apps c
  ON c.platform IN (g.platform, 'any')
 AND ((c.match = 'app_id' AND c.pattern = g.app_id)
      OR (c.match = 'name' AND regexp_matches(coalesce(g.for_name, ''), c.pattern, 'i')))
WHERE g.created IN ('oauth_grant', 'app_install')
QUALIFY row_number() OVER (PARTITION BY g.source_format, g.event_id, g.issued_at
                           ORDER BY c.match = 'app_id' DESC, c.category = 'generic', c.app) = 1;

-- name: metric_issuance
-- measures: issuance of NHIs, NHI credentials and grants in the window: how many, how many
--           through self-service by an employee (outside IT's admins and automation), and
--           how many of the issued identities the inventory lists; the months the logs cover
-- unit: issuance events; share (0..1); months
-- feeds: the discovery audit beside D1 and D2 (threshold self_service_issuance_share_max);
--        credential_issuance_summary
CREATE OR REPLACE VIEW metric_issuance AS
SELECT count(*) > 0 AS evidenced,
       count(*) AS issued,
       count(*) FILTER (channel = 'self_service') AS self_service,
       count(*) FILTER (channel = 'self_service') / nullif(count(*), 0) AS self_service_share,
       count(*) FILTER (in_inventory) AS inventoried,
       count(*) FILTER (first_used_at IS NULL
                        AND created NOT IN ('oauth_grant', 'user', 'login_profile'))
           AS never_used,
       (SELECT days / 30.44 FROM assessment_window) AS months_covered
FROM credential_issuance;
