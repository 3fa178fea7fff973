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

-- name: person_candidates
-- measures: every (account, roster person) pair some evidence links, with the rule and its
--           strength (1 strongest): the account's e-mail, UPN, login, SSO session name or SAML
--           name id equals the person's e-mail (1); its name equals the e-mail's local part or
--           that local part with hyphens, as GitHub handles are written (2); its display name
--           equals the person's (3); its name holds the person's first and last name (4), first
--           name and last initial (5), or first name only (6)
-- unit: (account, person) pairs
-- feeds: person_links
-- materialized: table
CREATE OR REPLACE VIEW person_candidates AS
WITH acc AS (
    SELECT identity_key, lower(name) AS name, lower(email) AS email,
           lower(display_name) AS display,
           list_filter(regexp_split_to_array(lower(split_part(coalesce(name, ''), '@', 1)),
                                             '[^a-z0-9]+'), lambda t: t <> '') AS tokens
    FROM identities WHERE platform IN ('okta', 'entra', 'aws', 'github')),
ppl AS (
    SELECT email, local_part, lower(display_name) AS display,
           lower(split_part(trim(display_name), ' ', 1)) AS first,
           lower(regexp_extract(trim(display_name), '(\S+)$', 1)) AS last
    FROM roster_people),
keys AS (  -- each account's names, each compared by equality (hash joins, no OR)
    SELECT identity_key, name AS k, 1 AS strength FROM acc
    UNION ALL SELECT identity_key, email, 1 FROM acc WHERE email IS DISTINCT FROM name
    UNION ALL SELECT identity_key, split_part(name, '@', 1), 2 FROM acc
    UNION ALL SELECT identity_key, display, 3 FROM acc WHERE contains(display, ' ')),
pkeys AS (
    SELECT email AS person, email AS k, 1 AS strength FROM ppl
    UNION ALL SELECT email, local_part, 2 FROM ppl
    UNION ALL SELECT email, replace(local_part, '.', '-'), 2 FROM ppl
    WHERE contains(local_part, '.')
    UNION ALL SELECT email, display, 3 FROM ppl WHERE contains(display, ' ')),
exact AS (
    SELECT k.identity_key, p.person, k.strength
    FROM keys k JOIN pkeys p ON p.k = k.k AND p.strength = k.strength),
tokens AS (
    SELECT a.identity_key, p.email AS person,
           CASE WHEN list_contains(a.tokens, p.last) THEN 4
                WHEN list_contains(a.tokens, left(p.last, 1)) THEN 5 ELSE 6 END AS strength
    FROM (SELECT identity_key, tokens, unnest(tokens) AS token FROM acc) a
    JOIN ppl p ON p.first = a.token AND length(p.first) >= 3 AND p.first <> p.last)
SELECT identity_key, person, min(strength) AS strength,
       CASE min(strength) WHEN 1 THEN 'e-mail' WHEN 2 THEN 'e-mail local part'
            WHEN 3 THEN 'display name' WHEN 4 THEN 'first and last name in the account name'
            WHEN 5 THEN 'first name and last initial in the account name'
            ELSE 'first name in the account name' END AS rule
FROM (SELECT identity_key, person, strength FROM exact
      UNION ALL SELECT identity_key, person, strength FROM tokens)
GROUP BY ALL;

-- name: person_links
-- measures: one row per account that some evidence links to a roster person: the person when
--           the strongest rule names exactly one, else no person and the candidates listed
--           (an ambiguous link is never picked silently)
-- unit: accounts
-- feeds: classification (roster match), people, the report's people section
-- materialized: table
CREATE OR REPLACE VIEW person_links AS
SELECT identity_key, strength, any_value(rule) AS rule,
       CASE WHEN count(*) = 1 THEN any_value(person) END AS person,
       list(person ORDER BY person) AS candidates, count(*) > 1 AS ambiguous
FROM (SELECT *, min(strength) OVER (PARTITION BY identity_key) AS best FROM person_candidates)
WHERE strength = best
GROUP BY identity_key, strength;
