-- name: metric_monitoring
-- measures: M1, share of active NHIs whose activity is visible in the supplied logs over the
--           window (at least one event)
-- unit: share (0..1)
-- feeds: M1 (behavioural monitoring)
CREATE OR REPLACE VIEW metric_monitoring AS
SELECT *, visible / nullif(nhis, 0) AS monitored_share
FROM (SELECT (SELECT count(*) FROM events) > 0 AS evidenced,
             count(*) AS nhis,
             count(*) FILTER (n.event_count > 0 OR aa_accepted('NHI-UNMONITORED', n.identity_key, NULL)) AS visible
      FROM nhis n WHERE n.is_active);

-- name: dormant_nhis
-- measures: active NHIs unused for `dormant_days` or more at the end of the window (last
--           event, or last use the credential report states), or never used
-- unit: identities
-- feeds: F3 (second part), the dormant-NHI finding
CREATE OR REPLACE VIEW dormant_nhis AS
SELECT identity_key, platform, name, agent_id, last_activity,
       date_diff('day', last_activity, (SELECT end_at FROM assessment_window)) AS idle_days
FROM nhis
WHERE is_active AND (last_activity IS NULL OR last_activity <
      (SELECT end_at FROM assessment_window)
      - to_days(aa_policy_int('dormant_days')));

-- name: metric_dormant
-- measures: dormant active NHIs as a share of active NHIs
-- unit: share (0..1)
-- feeds: F3 (second part); the dormant KPI
CREATE OR REPLACE VIEW metric_dormant AS
SELECT *, dormant / nullif(nhis, 0) AS dormant_share
FROM (SELECT (SELECT count(*) FROM nhis WHERE is_active) AS nhis,
             (SELECT count(*) FROM dormant_nhis d
              WHERE NOT aa_accepted('NHI-DORMANT', d.identity_key, NULL)) AS dormant);

-- name: nhi_aliases
-- measures: every id and name an NHI goes by (vendor ids, names, inventory ids), for matching
--           alerts and revocations written by other tools
-- unit: (identity, alias) pairs
-- feeds: nhi_alerts
-- materialized: table
CREATE OR REPLACE VIEW nhi_aliases AS
SELECT DISTINCT identity_key, lower(alias) AS alias FROM (
    SELECT n.identity_key, unnest(i.aliases) AS alias
    FROM nhis n JOIN identities i USING (identity_key)
    UNION ALL SELECT identity_key, name FROM nhis
    UNION ALL SELECT identity_key, native_id FROM nhis
    UNION ALL SELECT identity_key, display_name FROM nhis
    UNION ALL SELECT identity_key, agent_id FROM nhis
    UNION ALL SELECT n.identity_key, v.platform_id FROM nhis n JOIN inventory_agents v
        USING (agent_id))
WHERE alias IS NOT NULL;
