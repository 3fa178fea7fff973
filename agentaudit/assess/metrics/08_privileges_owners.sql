-- name: privileged_nhis
-- measures: active NHIs whose inventoried privileges include an admin or wildcard grant
--           (`privileged_patterns` in the policy)
-- unit: identities
-- feeds: G1 (second part), the over-privileged finding
CREATE OR REPLACE VIEW privileged_nhis AS
SELECT * FROM (
    SELECT n.identity_key, n.platform, n.name, n.agent_id, n.privileges,
           list_filter(n.privileges, lambda p: array_length(list_filter(pat.patterns,
               lambda x: contains(lower(p), lower(x)))) > 0) AS elevated
    FROM nhis n,
         (SELECT CAST(json(value) AS VARCHAR[]) AS patterns FROM aa_policy
          WHERE key = 'privileged_patterns') pat
    WHERE n.is_active)
WHERE array_length(elevated) > 0;

-- name: metric_privileged
-- measures: G1 (second part), share of active NHIs holding admin or wildcard privileges
-- unit: share (0..1)
-- feeds: G1
CREATE OR REPLACE VIEW metric_privileged AS
SELECT *, privileged / nullif(nhis, 0) AS privileged_share
FROM (SELECT (SELECT count(*) FROM inventory_agents) > 0 AS evidenced,
             (SELECT count(*) FROM nhis WHERE is_active) AS nhis,
             (SELECT count(*) FROM privileged_nhis p
              WHERE NOT aa_accepted('NHI-OVERPRIVILEGED', p.identity_key, NULL)) AS privileged);

-- name: orphaned_nhis
-- measures: active NHIs the inventory or a platform's agent registry lists whose owner (or
--           registry sponsor) is missing or not an active employee in the HR roster
-- unit: identities
-- feeds: G3, the orphaned-NHI finding
CREATE OR REPLACE VIEW orphaned_nhis AS
SELECT n.identity_key, n.platform, n.name, n.agent_id, n.owner_email,
       CASE WHEN n.owner_email IS NULL THEN 'no owner recorded'
            WHEN p.email IS NULL THEN 'owner not in the HR roster'
            ELSE 'owner status ' || p.status END AS why
FROM nhis n LEFT JOIN roster_people p ON p.email = n.owner_email
WHERE n.is_active AND (n.in_inventory OR n.in_registry) AND NOT coalesce(p.is_active, false);

-- name: metric_owner_coverage
-- measures: G3, share of active NHIs (inventoried or not) whose owner is an active employee
-- unit: share (0..1)
-- feeds: G3; the owner-coverage KPI
CREATE OR REPLACE VIEW metric_owner_coverage AS
SELECT *, owned / nullif(nhis, 0) AS owner_share
FROM (SELECT (SELECT count(*) FROM inventory_agents) > 0
                 AND (SELECT count(*) FROM roster_people) > 0 AS evidenced,
             count(*) AS nhis,
             count(*) FILTER (p.is_active OR aa_accepted('NHI-ORPHANED', n.identity_key, NULL)) AS owned
      FROM nhis n LEFT JOIN roster_people p ON p.email = n.owner_email
      WHERE n.is_active);

-- name: nhi_human_use
-- measures: NHIs that people sign in as interactively (browser or console), and the keys the
--           same NHIs' workloads use
-- unit: identities
-- feeds: the human-use finding (OWASP NHI10), shared credentials
CREATE OR REPLACE VIEW nhi_human_use AS
SELECT e.actor_key AS identity_key, any_value(n.name) AS name,
       count(*) FILTER (e.is_interactive) AS interactive_events,
       min(e.event_time) FILTER (e.is_interactive) AS first_interactive,
       max(e.event_time) FILTER (e.is_interactive) AS last_interactive,
       list(DISTINCT e.credential_key ORDER BY e.credential_key)
           FILTER (NOT coalesce(e.is_interactive, false) AND e.credential_key IS NOT NULL)
           AS workload_credentials
FROM events e JOIN nhis n ON n.identity_key = e.actor_key
GROUP BY e.actor_key HAVING count(*) FILTER (e.is_interactive) > 0;
