-- name: nhi_events_local
-- measures: NHI events with their UTC day, hour and /24 network, the unit baselines read
-- unit: events
-- feeds: nhi_baselines, anomalies
CREATE OR REPLACE VIEW nhi_events_local AS
SELECT e.actor_key AS identity_key, e.event_time,
       (e.event_time AT TIME ZONE 'UTC')::DATE AS day,
       hour(e.event_time AT TIME ZONE 'UTC') AS hour,
       coalesce(nullif(regexp_extract(e.source_ip, '^(\d+\.\d+\.\d+)\.', 1), ''), e.source_ip)
           AS network
FROM events e JOIN nhis n ON n.identity_key = e.actor_key;

-- name: nhi_baselines
-- measures: each NHI's behaviour over the window: active days, median events per active day,
--           the hours (UTC) it works on at least three days, and the /24 networks it uses on
--           at least two days
-- unit: one row per NHI with events
-- feeds: anomalies; the report's "what your monitoring should have caught"
-- materialized: table
CREATE OR REPLACE VIEW nhi_baselines AS
WITH daily AS (SELECT identity_key, day, count(*) AS n FROM nhi_events_local GROUP BY ALL),
hours AS (SELECT identity_key, list(hour ORDER BY hour) AS usual_hours
          FROM (SELECT identity_key, hour FROM nhi_events_local GROUP BY ALL
                HAVING count(DISTINCT day) >= 3)
          GROUP BY identity_key),
nets AS (SELECT identity_key, list(network ORDER BY network) AS usual_networks
         FROM (SELECT identity_key, network FROM nhi_events_local WHERE network IS NOT NULL
               GROUP BY ALL HAVING count(DISTINCT day) >= 2)
         GROUP BY identity_key)
-- joined, not looked up per row: a correlated subquery beside an aggregate is DuckDB's alone
SELECT d.identity_key, count(*) AS active_days, median(d.n) AS median_daily,
       max(d.n) AS max_daily, any_value(h.usual_hours) AS usual_hours,
       any_value(x.usual_networks) AS usual_networks
FROM daily d LEFT JOIN hours h ON h.identity_key = d.identity_key
             LEFT JOIN nets x ON x.identity_key = d.identity_key
GROUP BY d.identity_key;

-- name: anomalies
-- measures: days on which an NHI with a baseline (`anomaly_min_days` active days) broke it:
--           `off_hours`, at least `anomaly_min_events` events in hours it never works;
--           `new_network`, at least that many from a network it never otherwise uses;
--           `volume_spike`, a day of `spike_factor` times its median and `spike_margin` more.
--           Each with a score (how far above the baseline) and the reason in words.
-- unit: (identity, kind, day)
-- feeds: M2 evidence, the anomaly finding, the report's behavioural section
-- materialized: table
CREATE OR REPLACE VIEW anomalies AS
WITH p AS (
    SELECT aa_policy_int('anomaly_min_events') AS min_events,
           aa_policy_int('anomaly_min_days') AS min_days,
           aa_policy_num('spike_factor') AS factor,
           aa_policy_num('spike_margin') AS margin),
b AS (SELECT nb.* FROM nhi_baselines nb, p WHERE nb.active_days >= p.min_days),
off_hours AS (
    SELECT e.identity_key, 'off_hours' AS kind, e.day, count(*) AS events,
           min(e.event_time) AS first_event, max(e.event_time) AS last_event,
           count(*) / greatest(any_value(b.median_daily), 1) AS score,
           -- in order: an aggregate's order is the threads', and the evidence must not vary
           'events at ' || string_agg(DISTINCT lpad(e.hour::VARCHAR, 2, '0') || 'h', ', '
                                      ORDER BY lpad(e.hour::VARCHAR, 2, '0') || 'h')
           || ' UTC; usual hours ' || any_value(b.usual_hours)::VARCHAR AS reason
    FROM nhi_events_local e JOIN b USING (identity_key), p
    WHERE NOT list_contains(coalesce(b.usual_hours, []), e.hour)
    GROUP BY e.identity_key, e.day HAVING count(*) >= any_value(p.min_events)),
new_network AS (
    SELECT e.identity_key, 'new_network', e.day, count(*), min(e.event_time),
           max(e.event_time), count(*) / greatest(any_value(b.median_daily), 1),
           'events from ' || string_agg(DISTINCT e.network || '.0/24', ', '
                                        ORDER BY e.network || '.0/24')
           || '; usual networks ' || any_value(b.usual_networks)::VARCHAR
    FROM nhi_events_local e JOIN b USING (identity_key), p
    WHERE e.network IS NOT NULL
      AND NOT list_contains(coalesce(b.usual_networks, []), e.network)
    GROUP BY e.identity_key, e.day HAVING count(*) >= any_value(p.min_events)),
spikes AS (
    SELECT e.identity_key, 'volume_spike', e.day, count(*), min(e.event_time),
           max(e.event_time), count(*) / greatest(any_value(b.median_daily), 1),
           count(*) || ' events in the day; usual median ' || any_value(b.median_daily)
    FROM nhi_events_local e JOIN b USING (identity_key), p
    GROUP BY e.identity_key, e.day
    HAVING count(*) >= any_value(p.factor) * any_value(b.median_daily)
       AND count(*) >= any_value(b.median_daily) + any_value(p.margin))
SELECT a.*, n.name, n.platform
FROM (SELECT * FROM off_hours UNION ALL SELECT * FROM new_network UNION ALL SELECT * FROM spikes)
     a (identity_key, kind, day, events, first_event, last_event, score, reason)
JOIN nhis n USING (identity_key);
