-- name: shadow_agents
-- measures: NHIs active in the logs or credential exports that neither the client's inventory
--           nor an identity platform's agent registry lists (an app seen only as the target
--           of a consent never acts: the discovery audit lists it)
-- unit: identities
-- feeds: D2 (shadow agents tracked), the shadow-agent finding, leadership question 1
CREATE OR REPLACE VIEW shadow_agents AS
SELECT identity_key, platform, name, display_name, vendor_type, classification_rule,
       is_ai_agent, first_seen, last_activity, event_count
FROM nhis WHERE seen_in_exports AND is_active AND NOT in_inventory AND NOT in_registry;

-- name: metric_inventory_coverage
-- measures: D1, share of the active NHIs seen in the exports that the inventory (or a
--           platform's agent registry) lists; D2,
--           shadow NHIs as a share of inventoried NHIs (shadow agents accepted as exceptions count as listed)
-- unit: shares (0..1)
-- feeds: D1, D2; the inventory KPI against "30-40% more agents than documented"
CREATE OR REPLACE VIEW metric_inventory_coverage AS
SELECT *, seen_and_listed / nullif(seen, 0) AS coverage,
       shadow / nullif(inventoried, 0) AS shadow_share
FROM (SELECT (SELECT count(*) FROM inventory) > 0 AS evidenced,
             count(*) FILTER (nh.seen_in_exports AND nh.is_active) AS seen,
             count(*) FILTER (nh.seen_in_exports AND nh.is_active
                              AND (nh.in_inventory OR nh.in_registry OR
                 aa_accepted('NHI-SHADOW', nh.identity_key, NULL))) AS seen_and_listed,
             (SELECT count(*) FROM inventory_agents) AS inventoried,
             (SELECT count(*) FROM shadow_agents s
              WHERE NOT aa_accepted('NHI-SHADOW', s.identity_key, NULL)) AS shadow
      FROM nhis nh);
