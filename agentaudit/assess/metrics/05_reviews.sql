-- name: metric_reviews
-- measures: D3, share of inventoried agents reviewed in the last `review_days` days (the
--           inventory's last_reviewed_at, measured at the end of the window)
-- unit: share (0..1)
-- feeds: D3 (manual access review)
CREATE OR REPLACE VIEW metric_reviews AS
SELECT *, reviewed / nullif(inventoried, 0) AS reviewed_share
FROM (SELECT count(*) > 0 AND count(last_reviewed_at) > 0 AS evidenced,
             count(*) AS inventoried,
             count(*) FILTER (last_reviewed_at >= w.end_at - to_days(
                 aa_policy_int('review_days'))
                 OR aa_accepted('NHI-UNREVIEWED', coalesce(ia.identity_key, ia.platform || ':' || ia.platform_id), NULL))
                 AS reviewed
      FROM inventory_agents ia, (SELECT end_at FROM assessment_window) w
      WHERE decommissioned_at IS NULL OR decommissioned_at > w.end_at);
