-- name: nhi_credentials
-- measures: the credentials of active NHIs that are live at the end of the window (not
--           revoked, not inactive), with their age. AWS keys are dated by the credential
--           report's slots; an IAM user's key ids seen in CloudTrail are then the same keys,
--           so they are not counted again. Temporary session credentials are not counted.
-- unit: credentials
-- feeds: G1 (shared share), G2 (rotation), F2 (attribution)
CREATE OR REPLACE VIEW nhi_credentials AS
WITH w AS (SELECT * FROM assessment_window),
-- access keys an account listing reports by slot (the credential report's access_key_1/2,
-- dated, with no key id), and the accounts they belong to
slotted AS (SELECT c.*, EXISTS (SELECT 1 FROM aa_readers r
                                 WHERE r.account_listing IS NOT NULL
                                   AND list_contains(c.source_formats, r.format)) AS in_listing
            FROM credentials c),
reported AS (SELECT DISTINCT identity_key FROM slotted
             WHERE in_listing AND credential_type = 'access_key'),
-- accounts whose keys the logs show in use by their id
seen_in_use AS (SELECT DISTINCT identity_key FROM slotted
                WHERE NOT in_listing AND credential_type = 'access_key'
                  AND last_used_at IS NOT NULL
                  AND coalesce(status, 'active') NOT IN ('revoked', 'inactive'))
SELECT c.* EXCLUDE (in_listing), coalesce(c.last_rotated_at, c.created_at) AS dated_at,
       date_diff('day', coalesce(c.last_rotated_at, c.created_at), w.end_at) AS age_days,
       c.credential_type IN ('access_key', 'client_secret', 'api_token', 'certificate',
                             'personal_access_token', 'oauth_token') AS is_secret,
       (NOT c.in_listing AND c.credential_type = 'access_key'
        AND c.identity_key IN (SELECT * FROM reported)) AS reported_elsewhere,
       (c.in_listing AND c.credential_type = 'access_key'
        AND c.identity_key IN (SELECT * FROM seen_in_use)) AS slot_duplicate
FROM slotted c JOIN nhis n ON n.identity_key = c.identity_key, w
WHERE n.is_active
  AND coalesce(c.status, 'active') NOT IN ('revoked', 'inactive')
  AND (c.revoked_at IS NULL OR c.revoked_at > w.end_at)
  AND c.credential_type NOT IN ('session_credentials', 'password', 'managed_identity');

-- name: credential_ages
-- measures: NHI secrets and keys whose creation or rotation an export dates, their age at the
--           end of the window, and whether they are older than `rotation_days`
-- unit: credentials, days
-- feeds: G2 (credential rotation), the stale-credential finding
CREATE OR REPLACE VIEW credential_ages AS
SELECT credential_key, credential_id, credential_type, identity_key, dated_at, age_days,
       age_days > aa_policy_int('rotation_days') AS stale
FROM nhi_credentials
WHERE is_secret AND NOT reported_elsewhere AND dated_at IS NOT NULL;

-- name: metric_rotation
-- measures: G2, share of dated NHI secrets created or rotated in the last `rotation_days` days;
--           undated ones are a data gap, not failures
-- unit: share (0..1)
-- feeds: G2; the stale-credential KPI
CREATE OR REPLACE VIEW metric_rotation AS
SELECT *, fresh / nullif(dated, 0) AS rotated_share
FROM (SELECT count(*) > 0 AS evidenced,
             count(*) AS dated,
             count(*) FILTER (NOT ca.stale OR aa_accepted('NHI-STALE-CREDENTIAL', ca.identity_key, ca.credential_key)) AS fresh,
             count(*) FILTER (ca.stale AND NOT aa_accepted('NHI-STALE-CREDENTIAL', ca.identity_key, ca.credential_key)) AS stale,
             (SELECT count(*) FROM nhi_credentials
              WHERE is_secret AND NOT reported_elsewhere AND dated_at IS NULL) AS undated
      FROM credential_ages ca);
