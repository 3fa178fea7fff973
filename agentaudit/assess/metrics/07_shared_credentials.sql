-- name: shared_credentials
-- measures: NHI credentials used by more than one identity or workload, each with every reason
--           that applies: listed for two or more agents in the inventory; used under more than
--           one principal in the logs; used by a workload of an NHI a person also signs in as
--           interactively; used from `shared_workload_threshold` or more distinct workloads
--           (user-agent family and /24 network)
-- unit: credentials
-- feeds: G1 (scoped credentials), F2 (attribution), the shared-credential finding,
--        leadership question 2
-- materialized: table
CREATE OR REPLACE VIEW shared_credentials AS
WITH use AS (
    SELECT e.credential_key, e.actor_key, e.is_interactive,
           lower(regexp_extract(e.user_agent, '^([^/ ]+)', 1)) AS ua_family,
           coalesce(nullif(regexp_extract(e.source_ip, '^(\d+\.\d+\.\d+)\.', 1), ''),
                    e.source_ip) AS network
    FROM events e WHERE e.credential_key IS NOT NULL),
listed AS (
    SELECT cid, list(DISTINCT agent_id ORDER BY agent_id) AS agents
    FROM (SELECT agent_id, unnest(credential_ids) AS cid FROM inventory_agents)
    GROUP BY cid HAVING count(DISTINCT agent_id) > 1),
reasons AS (
    SELECT coalesce((SELECT min(c.credential_key) FROM credentials c
                     WHERE c.credential_id = l.cid), 'inventory:' || l.cid) AS credential_key,
           'inventory_multiple_agents' AS reason,
           'listed for agents ' || array_to_string(l.agents, ', ') AS evidence
    FROM listed l
    UNION ALL
    SELECT credential_key, 'multiple_principals',
           'used by ' || count(DISTINCT actor_key) || ' identities'
    FROM use GROUP BY credential_key HAVING count(DISTINCT actor_key) > 1
    UNION ALL
    SELECT u.credential_key, 'human_and_workload',
           'used by workloads of ' || any_value(u.actor_key)
           || ', an identity a person also signs in as interactively'
    FROM use u
    WHERE NOT coalesce(u.is_interactive, false)
      AND u.actor_key IN (SELECT identity_key FROM nhis WHERE any_interactive)
    GROUP BY u.credential_key
    UNION ALL
    SELECT credential_key, 'multiple_workloads',
           'used from ' || count(DISTINCT ua_family || '|' || network)
           || ' distinct workloads (user agent and network)'
    FROM use
    GROUP BY credential_key
    HAVING count(DISTINCT ua_family || '|' || network) >=
           aa_policy_int('shared_workload_threshold'))
SELECT r.credential_key, c.credential_id, c.credential_type,
       coalesce(c.identity_key, NULL) AS identity_key,
       list(DISTINCT r.reason ORDER BY r.reason) AS reasons,
       string_agg(r.evidence, '; ' ORDER BY r.reason) AS evidence,
       coalesce(c.status, 'active') NOT IN ('revoked', 'inactive') AND c.revoked_at IS NULL
           AS is_live
FROM reasons r LEFT JOIN credentials c USING (credential_key)
WHERE c.identity_key IS NULL OR c.identity_key IN (SELECT identity_key FROM nhis)
GROUP BY ALL;

-- name: metric_shared_credentials
-- measures: G1 (first part), share of live NHI credentials that are shared (AWS report slots
--           that describe a key already seen in the logs are not counted twice)
-- unit: share (0..1)
-- feeds: G1; the shared-credential KPI against the 45.6% published figure
CREATE OR REPLACE VIEW metric_shared_credentials AS
SELECT *, shared / nullif(credentials, 0) AS shared_share
FROM (SELECT count(*) > 0 AS evidenced,
             count(*) AS credentials,
             count(*) FILTER (s.credential_key IS NOT NULL AND NOT
                 aa_accepted('NHI-SHARED-CREDENTIAL', c.identity_key, c.credential_key)) AS shared
      FROM nhi_credentials c LEFT JOIN (SELECT DISTINCT credential_key FROM shared_credentials) s
           USING (credential_key)
      WHERE NOT c.slot_duplicate);
