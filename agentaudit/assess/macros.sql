-- Macros the metric and check SQL share: one definition each. They are stored in the
-- database beside the views (TEMP ones for a read-only assessment), so the stored views
-- still run from a plain DuckDB session with no agentaudit installed.

-- A policy threshold in force (table aa_policy, written from the policy file), as a number.
CREATE OR REPLACE MACRO aa_policy_int(k) AS (SELECT value::INTEGER FROM aa_policy WHERE key = k);
CREATE OR REPLACE MACRO aa_policy_num(k) AS (SELECT value::DOUBLE FROM aa_policy WHERE key = k);

-- Whether a finding instance (check, identity, credential) is accepted as a risk: an active
-- acceptance for the check, for that identity or the whole check, for that credential or any.
CREATE OR REPLACE MACRO aa_accepted(check_id_, identity_key_, credential_key_) AS EXISTS (
    SELECT 1 FROM aa_exceptions x
    WHERE x.active AND x.check_id = check_id_
      AND (x.identity_key IS NULL OR x.identity_key = identity_key_)
      AND (x.credential_key IS NULL OR x.credential_key = credential_key_));
