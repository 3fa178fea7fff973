-- name: metric_nhi_ratio
-- measures: active NHIs per active human, overall ('all') and per platform, with the
--           unresolved identities beside it (counted on neither side) and the ratio's bounds
--           if they were all people (ratio_low) or all NHIs (ratio_high); humans are the HR
--           roster's active employees when a roster was supplied, otherwise the distinct people
--           behind the human accounts seen in the identity providers
-- unit: ratio (NHIs per human)
-- feeds: the NHI-to-human ratio KPI and its benchmark (80:1, 100:1, 500:1)
CREATE OR REPLACE VIEW metric_nhi_ratio AS
WITH roster AS (SELECT count(*) > 0 AS supplied FROM roster_people),
humans AS (
    SELECT CASE WHEN (SELECT supplied FROM roster)
                THEN (SELECT count(*) FROM roster_people WHERE is_active)
                ELSE (SELECT count(DISTINCT coalesce(person, identity_key))
                      FROM classified_identities c
                      LEFT JOIN aa_actor_kinds k
                        ON k.platform = c.platform AND k.vendor_type = c.vendor_type
                      -- a root account or a role people assume is not one more person
                      WHERE c.class = 'human' AND c.is_active
                        AND coalesce(k.actor_kind, '') NOT IN ('root', 'role')) END AS n,
           CASE WHEN (SELECT supplied FROM roster) THEN 'hr_roster'
                ELSE 'identity providers' END AS source),
counts AS (
    SELECT 'all' AS platform, count(*) FILTER (class = 'nhi') AS nhis,
           count(*) FILTER (class = 'nhi' AND is_ai_agent) AS ai_agents,
           count(*) FILTER (class = 'unresolved') AS unresolved,
           count(*) FILTER (class = 'external_human') AS external_humans
    FROM classified_identities WHERE is_active
    UNION ALL
    SELECT platform, count(*) FILTER (class = 'nhi'), count(*) FILTER (class = 'nhi' AND is_ai_agent),
           count(*) FILTER (class = 'unresolved'), count(*) FILTER (class = 'external_human')
    FROM classified_identities WHERE is_active GROUP BY platform)
SELECT c.platform, c.nhis, c.ai_agents, c.unresolved, c.external_humans,
       h.n AS humans, h.source AS humans_from,
       CASE WHEN h.n > 0 THEN c.nhis / h.n END AS ratio,
       CASE WHEN h.source = 'hr_roster' THEN CASE WHEN h.n > 0 THEN c.nhis / h.n END
            WHEN h.n + c.unresolved > 0 THEN c.nhis / (h.n + c.unresolved) END AS ratio_low,
       CASE WHEN h.n > 0 THEN (c.nhis + c.unresolved) / h.n END AS ratio_high
FROM counts c, humans h
WHERE c.platform = 'all' OR c.nhis + c.unresolved > 0;
