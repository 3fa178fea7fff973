-- name: credential_issuance
-- measures: every creation in the window of a non-human identity, an NHI credential or an access
--           grant (OAuth consent, app installation, token), from the issuance facts the readers
--           set on the platforms' audit events (docs/discovery.md names each event): what was
--           created, for which identity, by whom (and the person behind), the channel
--           (automation, admin, self_service), the scopes granted, whether the identity is
--           inventoried, and its first use after issuance
-- unit: issuance events
-- feeds: the shadow agent discovery audit (report), NHI-SELF-ISSUED, NHI-AI-BROAD-SCOPES,
--        credential_issuance_summary
-- materialized: table
CREATE OR REPLACE VIEW credential_issuance AS
WITH w AS (SELECT * FROM assessment_window),
-- The readers name what each event created or granted (events.issued_kind and the issued_*
-- and consent_* facts): the ledger reads those, never a vendor's event name.
ev AS (
    SELECT e.* EXCLUDE (raw), e.issued_kind AS created,
           nullif(list_filter(e.consent_scopes, lambda x: x <> ''), []) AS scope_list
    FROM events e CROSS JOIN w
    WHERE e.issued_kind IS NOT NULL
      AND e.event_time BETWEEN w.start_at AND w.end_at
      AND coalesce(e.outcome, 'success') <> 'failure'
),
-- A consent flow writes one grant in several records (Entra: the consent, the permission
-- grant, the app role assignments; one correlation id): the grant to one app is counted once,
-- as its latest record (the consent) lists it, with the consent's type.
flows AS (
    SELECT platform, correlation_id, issued_for_id,
           list_distinct(flatten(list(scope_list) FILTER (scope_list IS NOT NULL))) AS flow_scopes,
           min(consent_type) AS flow_consent
    FROM ev WHERE created = 'oauth_grant' AND correlation_id IS NOT NULL
    GROUP BY ALL
),
ranked AS (
    SELECT ev.*, f.flow_consent,
           -- the kept record's scopes as it lists them, else those of the flow's others
           coalesce(ev.scope_list, nullif(f.flow_scopes, [])) AS scopes_granted,
           row_number() OVER (PARTITION BY ev.platform, ev.correlation_id, ev.issued_for_id,
                                           ev.created
                              ORDER BY ev.event_time DESC, ev.file_id, ev.record_no) AS flow_rank
    FROM ev LEFT JOIN flows f
      ON ev.created = 'oauth_grant' AND f.platform = ev.platform
     AND f.correlation_id = ev.correlation_id
     AND f.issued_for_id IS NOT DISTINCT FROM ev.issued_for_id
),
ledger AS (
    SELECT * EXCLUDE (flow_rank) FROM ranked
    WHERE created <> 'oauth_grant' OR correlation_id IS NULL OR flow_rank = 1
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
-- it is a platform's workload account kind or carries a service name (the classification's
-- naming rule).
numbered AS (
    SELECT l.*, l.issued_for_id AS for_id, t.identity_key AS for_key,
           t.in_inventory AS for_in_inventory, t.label AS for_label,
           row_number() OVER (ORDER BY l.file_id, l.record_no) AS ledger_row
    FROM ledger l
    LEFT JOIN known t ON t.platform = l.platform AND t.k = l.issued_for_id
    WHERE l.created <> 'user'
       OR t.class = 'nhi'
       OR (coalesce(t.class, 'unresolved') = 'unresolved'
           AND (l.platform IN (SELECT platform FROM aa_readers
                               WHERE created_accounts_are_workloads)
                   OR regexp_matches(lower(coalesce(l.issued_for_name, l.issued_for_id, '')),
                                     '(^|[^a-z])(svc|service|bot|robot|automation|sync|integration|daemon|cron|pipeline|deploy|ci)([^a-z]|$)')))
),
-- First use after issuance: by the created credential, by the created identity (grants
-- and user creations are not followed), or by the app's id in authentications. Equality
-- joins, then the earliest later event.
used_credential AS (
    SELECT n.ledger_row, min(u.event_time) AS at
    FROM numbered n JOIN events u ON u.credential_id = n.target_credential
    WHERE u.event_time > n.event_time AND n.credential_action = 'created'
    GROUP BY ALL
),
-- an app connected by consent acts through the users who sign in to it: its app id in a
-- sign-in is its use
used_app AS (
    SELECT n.ledger_row, min(u.event_time) AS at
    FROM numbered n JOIN events u ON lower(u.app_id) = n.issued_app_id
    WHERE u.class_uid = 3002 AND u.platform = n.platform AND u.event_time > n.event_time
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
       l.created, l.for_id, coalesce(l.issued_for_name, l.for_label) AS for_name, l.for_key,
       CASE WHEN l.credential_action = 'created' THEN l.target_credential END
           AS credential_created,
       l.issued_app_id AS app_id,
       l.actor_key AS issued_by, coalesce(l.actor_name, l.actor_display_name) AS issuer_name,
       a.class AS issuer_class, a.person AS issuer_person,
       -- made by a workload, or by a script with a long-lived key or token (an admin's API
       -- token, an IAM user's access key, a personal access token): automation
       CASE WHEN a.class = 'nhi' OR list_contains(automation_credentials, l.credential_type)
            THEN 'nhi' ELSE 'person' END AS issuer_kind,
       CASE
           WHEN issuer_kind = 'nhi' THEN 'automation'  -- the alias defined just above
           WHEN coalesce(l.flow_consent, l.consent_type) = 'user' THEN 'self_service'
           WHEN coalesce(l.flow_consent, l.consent_type) = 'admin' THEN 'admin'
           -- a member making a token for themself
           WHEN l.created = 'personal_access_token' THEN 'self_service'
           -- an account making a key or password for itself
           WHEN l.created IN ('access_key', 'login_profile') AND l.actor_id = l.for_id
               THEN 'self_service'
           ELSE 'admin'
       END AS channel,
       coalesce(l.flow_consent, l.consent_type) AS consent_type, l.scopes_granted AS scopes,
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
QUALIFY row_number() OVER (PARTITION BY g.platform, g.event_id, g.issued_at
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
