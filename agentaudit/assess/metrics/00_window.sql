-- name: assessment_window
-- measures: the time span the logs cover (or the policy's window); every age and "in the last
--           N days" is measured at its end, never at the wall clock
-- unit: timestamps (UTC) and days
-- feeds: every metric; the report's cover and methodology
CREATE OR REPLACE VIEW assessment_window AS
SELECT start_at, end_at, date_diff('second', start_at, end_at) / 86400.0 AS days
FROM (SELECT
        coalesce((SELECT TRY_CAST(value AS TIMESTAMPTZ) FROM aa_policy WHERE key = 'window_start'),
                 (SELECT min(event_time) FROM events)) AS start_at,
        coalesce((SELECT TRY_CAST(value AS TIMESTAMPTZ) FROM aa_policy WHERE key = 'window_end'),
                 (SELECT max(event_time) FROM events)) AS end_at);

-- name: assessment_policy
-- measures: the thresholds and settings the last assessment used (defaults or policy file)
-- unit: key, value
-- feeds: the report's methodology; reproducing any criterion by hand
CREATE OR REPLACE VIEW assessment_policy AS
SELECT key, value FROM aa_policy;
