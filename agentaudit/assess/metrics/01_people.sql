-- name: roster_people
-- measures: one row per employee (the latest roster row per email), with whether they are an
--           active employee at the end of the window
-- unit: people
-- feeds: classification (humans), owner coverage (G3), lifecycle (F3), the NHI-to-human ratio
CREATE OR REPLACE VIEW roster_people AS
SELECT email, employee_id, display_name, department, status, hire_date, termination_date,
       split_part(email, '@', 1) AS local_part,
       status = 'active' AND (termination_date IS NULL
                              OR termination_date > (SELECT end_at FROM assessment_window))
           AS is_active
FROM (SELECT *, row_number() OVER (PARTITION BY email ORDER BY file_id DESC, record_no DESC) AS rn
      FROM roster)
WHERE rn = 1;

-- name: inventory_agents
-- measures: one row per inventoried agent (the latest row per agent_id), with the identity it
--           names in the exports (platform + platform_id among the identity's ids and names)
-- unit: agents
-- feeds: inventory coverage (D1, D2), reviews (D3), owners (G3), privileges (G1)
-- materialized: table
CREATE OR REPLACE VIEW inventory_agents AS
WITH latest AS (
    SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY agent_id
                                                ORDER BY file_id DESC, record_no DESC) AS rn
                   FROM inventory) WHERE rn = 1)
SELECT v.agent_id, v.name, v.kind, v.platform, v.platform_id, v.credential_ids, v.owner_email,
       v.sanctioned, v.privileges, v.created_at, v.last_reviewed_at, v.decommissioned_at,
       v.purpose,
       (SELECT min(i.identity_key) FROM identities i
        WHERE i.platform = v.platform AND list_contains(i.aliases, v.platform_id)) AS identity_key
FROM latest v;
