-- name: metric_nhi_ratio
-- measures: active NHIs per active human, overall ('all') and per platform; humans are the
--           HR roster's active employees when a roster was supplied, otherwise the human
--           identities seen in the identity providers
-- unit: ratio (NHIs per human)
-- feeds: the NHI-to-human ratio KPI and its benchmark (80:1, 100:1, 500:1)
CREATE OR REPLACE VIEW metric_nhi_ratio AS
WITH humans AS (
    SELECT CASE WHEN (SELECT count(*) FROM roster_people) > 0
                THEN (SELECT count(*) FROM roster_people WHERE is_active)
                ELSE (SELECT count(DISTINCT coalesce(person, identity_key))
                      FROM classified_identities
                      WHERE class = 'human' AND vendor_type IS DISTINCT FROM 'Root') END AS n,
           CASE WHEN (SELECT count(*) FROM roster_people) > 0 THEN 'hr_roster'
                ELSE 'identity providers' END AS source),
counts AS (
    SELECT 'all' AS platform, count(*) AS nhis, count(*) FILTER (is_ai_agent) AS ai_agents
    FROM nhis WHERE is_active
    UNION ALL
    SELECT platform, count(*), count(*) FILTER (is_ai_agent) FROM nhis WHERE is_active
    GROUP BY platform)
SELECT c.platform, c.nhis, c.ai_agents, h.n AS humans, h.source AS humans_from,
       CASE WHEN h.n > 0 THEN c.nhis / h.n END AS ratio
FROM counts c, humans h;
