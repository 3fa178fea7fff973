-- name: nhi_alerts
-- measures: alerts in the window that name an NHI (by any of its ids or names)
-- unit: alerts
-- feeds: M2 (anomaly detection), M3 (automated alerts), F1 (auto-revocation)
CREATE OR REPLACE VIEW nhi_alerts AS
SELECT a.alert_id, a.created_at, a.source, a.detection, a.severity, a.identity,
       x.identity_key, a.automated, a.action, a.action_at, a.action_by,
       CASE WHEN a.action IN ('revoked', 'suspended', 'disabled') AND a.action_at IS NOT NULL
            THEN date_diff('second', a.created_at, a.action_at) / 60.0 END
           AS minutes_to_action
FROM alerts a
JOIN (SELECT alias, min(identity_key) AS identity_key FROM nhi_aliases GROUP BY alias) x
     ON x.alias = lower(a.identity)
JOIN assessment_window w
     ON a.created_at BETWEEN w.start_at - INTERVAL 1 DAY AND w.end_at + INTERVAL 1 DAY;

-- name: metric_alerts
-- measures: M2, alerts naming an NHI and the sources raising them; M3, the share raised by
--           automation
-- unit: alerts; share (0..1)
-- feeds: M2, M3
CREATE OR REPLACE VIEW metric_alerts AS
SELECT *, automated_alerts / nullif(alert_count, 0) AS automated_share
FROM (SELECT (SELECT count(*) FROM alerts) > 0 AS evidenced,
             count(*) AS alert_count,
             count(DISTINCT a.source) AS sources,
             count(*) FILTER (a.automated) AS automated_alerts
      FROM nhi_alerts a);

-- name: nhi_revocations
-- measures: every revocation or suspension of an NHI credential: from the alerts export
--           (action, who, when) and from the logs (key deletions, secret removals, token
--           revocations), with who performed it and the time from detection
-- unit: revocations; minutes
-- feeds: F1 (auto-revocation), leadership question 3
CREATE OR REPLACE VIEW nhi_revocations AS
SELECT 'alerts' AS evidence, identity_key, NULL AS credential_key, action_at AS revoked_at,
       coalesce(action_by, '') AS performed_by,
       action_by = 'automation' OR (action_by IS NOT NULL AND action_by NOT LIKE '%@%')
           AS automated,
       minutes_to_action, alert_id
FROM nhi_alerts WHERE minutes_to_action IS NOT NULL
UNION ALL
SELECT 'logs', c.identity_key, c.credential_key, c.revoked_at, e.actor_key,
       coalesce(actor.class = 'nhi', false), NULL, NULL
FROM credentials c
JOIN nhis n ON n.identity_key = c.identity_key
-- the event that revoked it (the readers mark revocations and name the credential revoked)
LEFT JOIN (SELECT platform, target_credential, event_time, min(actor_key) AS actor_key
           FROM events WHERE credential_action = 'revoked' AND target_credential IS NOT NULL
           GROUP BY ALL) e
     ON e.platform = c.platform AND e.target_credential = c.credential_id
    AND e.event_time = c.revoked_at
LEFT JOIN classified_identities actor ON actor.identity_key = e.actor_key
WHERE c.revoked_at IS NOT NULL;

-- name: metric_revocations
-- measures: F1, revocations performed by automation, and the median minutes from detection
--           to revocation over alerts that led to one
-- unit: revocations; minutes
-- feeds: F1; leadership question 3
CREATE OR REPLACE VIEW metric_revocations AS
SELECT (SELECT count(*) FROM alerts) > 0 OR count(*) > 0 AS evidenced,
       count(*) AS revocations,
       count(*) FILTER (automated) AS automated_revocations,
       median(minutes_to_action) AS median_minutes,
       max(minutes_to_action) AS max_minutes
FROM nhi_revocations;
