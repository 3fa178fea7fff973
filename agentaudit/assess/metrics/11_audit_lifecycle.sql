-- name: source_gaps
-- measures: per source format's log, the longest interval with no event and every interval
--           longer than `log_gap_hours_max` hours, from one sort of the events
-- unit: hours; gaps (start, end, hours)
-- feeds: log_gaps, metric_audit_trail (F2)
-- materialized: table
CREATE OR REPLACE VIEW source_gaps AS
SELECT source_format, max(hours) AS longest_hours,
       list({'gap_start': gap_start, 'gap_end': gap_end, 'hours': hours} ORDER BY gap_start)
           FILTER (WHERE long_gap) AS gaps
FROM (SELECT source_format, gap_start, gap_end, hours,
             hours > aa_policy_num('log_gap_hours_max') AS long_gap
      FROM (SELECT source_format, gap_start, gap_end,
                   date_diff('second', gap_start, gap_end) / 3600.0 AS hours
      FROM (SELECT source_format, event_time AS gap_end,
                   lag(event_time) OVER (PARTITION BY source_format ORDER BY event_time)
                       AS gap_start
            FROM events)
      WHERE gap_start IS NOT NULL))
GROUP BY source_format;

-- name: log_gaps
-- measures: every interval longer than `log_gap_hours_max` hours with no event in a source
--           format's log, within the window
-- unit: gaps (start, end, hours)
-- feeds: F2 (second part), the log-gap finding
CREATE OR REPLACE VIEW log_gaps AS
SELECT source_format, g.gap_start, g.gap_end, g.hours
FROM source_gaps, unnest(gaps) AS t(g);

-- name: metric_audit_trail
-- measures: F2, share of NHI events attributable to one identity and one unshared credential;
--           the longest gap in any source's log
-- unit: share (0..1); hours
-- feeds: F2 (complete audit trail)
CREATE OR REPLACE VIEW metric_audit_trail AS
SELECT *, attributable / nullif(nhi_events, 0) AS attributable_share
FROM (SELECT count(*) > 0 AS evidenced,
             count(*) AS nhi_events,
             count(*) FILTER (s.credential_key IS NULL OR
                 aa_accepted('NHI-SHARED-CREDENTIAL', e.actor_key, e.credential_key)) AS attributable,
             (SELECT max(longest_hours) FROM source_gaps) AS longest_gap_hours,
             (SELECT count(*) FROM log_gaps) AS gaps
      FROM events e JOIN nhis n ON n.identity_key = e.actor_key
      LEFT JOIN (SELECT DISTINCT credential_key FROM shared_credentials) s
           ON s.credential_key = e.credential_key);

-- name: lifecycle_revocations
-- measures: NHIs whose owner left or that were decommissioned in the window, and whether
--           every credential live at that moment was revoked within `lifecycle_revoke_days`
-- unit: identities
-- feeds: F3 (first part), the offboarding finding
CREATE OR REPLACE VIEW lifecycle_revocations AS
WITH w AS (SELECT * FROM assessment_window),
triggers AS (
    SELECT n.identity_key, n.name, n.agent_id,
           coalesce(CASE WHEN n.decommissioned_at BETWEEN w.start_at AND w.end_at
                         THEN n.decommissioned_at END,
                    CASE WHEN p.termination_date IS NOT NULL
                              AND p.termination_date::TIMESTAMPTZ BETWEEN w.start_at AND w.end_at
                         THEN p.termination_date::TIMESTAMPTZ END) AS trigger_at,
           CASE WHEN n.decommissioned_at BETWEEN w.start_at AND w.end_at THEN 'decommissioned'
                ELSE 'owner ' || p.email || ' left' END AS trigger_kind
    FROM nhis n LEFT JOIN roster_people p ON p.email = n.owner_email, w),
creds AS (
    SELECT t.identity_key, t.trigger_at, c.credential_key, c.revoked_at,
           c.revoked_at IS NOT NULL AND c.revoked_at <= t.trigger_at + to_days(
               aa_policy_int('lifecycle_revoke_days'))
               AS revoked_in_time
    FROM triggers t JOIN credentials c USING (identity_key)
    WHERE t.trigger_at IS NOT NULL
      AND c.credential_type NOT IN ('session_credentials', 'password', 'managed_identity')
      AND (c.revoked_at IS NULL OR c.revoked_at >= t.trigger_at))
SELECT t.identity_key, t.name, t.agent_id, t.trigger_kind, t.trigger_at,
       count(c.credential_key) AS credentials,
       count(c.credential_key) FILTER (c.revoked_in_time) AS revoked_in_time,
       bool_and(c.revoked_in_time) AS all_revoked_in_time
FROM triggers t JOIN creds c USING (identity_key)
GROUP BY ALL;

-- name: metric_lifecycle
-- measures: F3, share of NHIs whose owner left or that were decommissioned whose credentials
--           were revoked in time
-- unit: share (0..1)
-- feeds: F3 (first part)
CREATE OR REPLACE VIEW metric_lifecycle AS
SELECT *, revoked / nullif(nhis, 0) AS revoked_share
FROM (SELECT count(*) AS nhis,
             count(*) FILTER (l.all_revoked_in_time OR aa_accepted('NHI-OFFBOARDING', l.identity_key, NULL)) AS revoked
      FROM lifecycle_revocations l);
