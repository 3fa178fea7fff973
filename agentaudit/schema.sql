-- agentaudit canonical schema (documented column by column in docs/schema.md).
-- Every statement is idempotent so that opening an existing database re-applies nothing.

CREATE SEQUENCE IF NOT EXISTS file_id_seq START 1;

CREATE TABLE IF NOT EXISTS meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);

CREATE TABLE IF NOT EXISTS files (
    file_id       INTEGER PRIMARY KEY,
    path          VARCHAR NOT NULL,
    sha256        VARCHAR,  -- NULL for a file that could not be read (status unreadable)
    size_bytes    BIGINT,
    format        VARCHAR,
    container     VARCHAR,
    compression   VARCHAR,
    encoding      VARCHAR,
    status        VARCHAR NOT NULL,
    rows_read     BIGINT NOT NULL DEFAULT 0,
    rows_loaded   BIGINT NOT NULL DEFAULT 0,
    rows_rejected BIGINT NOT NULL DEFAULT 0,
    message       VARCHAR,
    loaded_at     TIMESTAMPTZ NOT NULL,
    seconds       DOUBLE
);

CREATE TABLE IF NOT EXISTS rejects (
    file_id   INTEGER NOT NULL,
    path      VARCHAR NOT NULL,
    record_no BIGINT,
    reason    VARCHAR NOT NULL,
    raw       VARCHAR USING COMPRESSION zstd
);

CREATE TABLE IF NOT EXISTS events (
    file_id            INTEGER NOT NULL,
    record_no          BIGINT NOT NULL,
    source_format      VARCHAR NOT NULL,
    platform           VARCHAR NOT NULL,
    event_id           VARCHAR,
    event_time         TIMESTAMPTZ NOT NULL,
    event_type         VARCHAR,
    category           VARCHAR,
    outcome            VARCHAR,
    outcome_detail     VARCHAR,
    actor_key          VARCHAR NOT NULL,
    actor_id           VARCHAR NOT NULL,
    actor_name         VARCHAR,
    actor_display_name VARCHAR,
    actor_type         VARCHAR,
    session_name       VARCHAR,
    credential_key     VARCHAR,
    credential_id      VARCHAR,
    credential_type    VARCHAR,
    app_id             VARCHAR,
    app_name           VARCHAR,
    user_agent         VARCHAR,
    source_ip          VARCHAR,
    is_interactive     BOOLEAN,
    target_id          VARCHAR,
    target_name        VARCHAR,
    target_type        VARCHAR,
    resource           VARCHAR,
    raw                VARCHAR USING COMPRESSION zstd,  -- long JSON text: zstd is ~6x smaller than FSST and faster to write
    -- the platform's own agent markers (docs/agents.md): the agent acting in the event, what
    -- the platform calls it, its parent (an Entra agent blueprint), and the person it acts for
    agent_id           VARCHAR,
    agent_type         VARCHAR,
    agent_parent_id    VARCHAR,
    on_behalf_of       VARCHAR,
    -- the canonical facts the readers set (agentaudit/readers/vocabulary.py, docs/schema.md):
    -- the OCSF activity, how the actor authenticated, what was issued or consented; the
    -- assessment reads these, never a vendor's event name or the raw record
    class_uid          INTEGER,
    activity_id        INTEGER,
    auth_mfa           BOOLEAN,
    auth_method        VARCHAR,
    session_person     VARCHAR,
    workload           VARCHAR,
    credential_action  VARCHAR,
    issued_kind        VARCHAR,
    issued_for_id      VARCHAR,
    issued_for_name    VARCHAR,
    target_credential  VARCHAR,
    issued_app_id      VARCHAR,
    consent_type       VARCHAR,
    consent_scopes     VARCHAR[],
    correlation_id     VARCHAR,
    app_key     VARCHAR,
    agent_kind         VARCHAR,
    agent_action       VARCHAR,
    agent_alias        VARCHAR,
    PRIMARY KEY (file_id, record_no)
);
-- databases written before the agent markers
ALTER TABLE events ADD COLUMN IF NOT EXISTS agent_id VARCHAR;
ALTER TABLE events ADD COLUMN IF NOT EXISTS agent_type VARCHAR;
ALTER TABLE events ADD COLUMN IF NOT EXISTS agent_parent_id VARCHAR;
ALTER TABLE events ADD COLUMN IF NOT EXISTS on_behalf_of VARCHAR;
-- databases written before the vocabulary columns (their facts stay NULL until re-ingested)
ALTER TABLE events ADD COLUMN IF NOT EXISTS class_uid INTEGER;
ALTER TABLE events ADD COLUMN IF NOT EXISTS activity_id INTEGER;
ALTER TABLE events ADD COLUMN IF NOT EXISTS auth_mfa BOOLEAN;
ALTER TABLE events ADD COLUMN IF NOT EXISTS auth_method VARCHAR;
ALTER TABLE events ADD COLUMN IF NOT EXISTS session_person VARCHAR;
ALTER TABLE events ADD COLUMN IF NOT EXISTS workload VARCHAR;
ALTER TABLE events ADD COLUMN IF NOT EXISTS credential_action VARCHAR;
ALTER TABLE events ADD COLUMN IF NOT EXISTS issued_kind VARCHAR;
ALTER TABLE events ADD COLUMN IF NOT EXISTS issued_for_id VARCHAR;
ALTER TABLE events ADD COLUMN IF NOT EXISTS issued_for_name VARCHAR;
ALTER TABLE events ADD COLUMN IF NOT EXISTS target_credential VARCHAR;
ALTER TABLE events ADD COLUMN IF NOT EXISTS issued_app_id VARCHAR;
ALTER TABLE events ADD COLUMN IF NOT EXISTS consent_type VARCHAR;
ALTER TABLE events ADD COLUMN IF NOT EXISTS consent_scopes VARCHAR[];
ALTER TABLE events ADD COLUMN IF NOT EXISTS correlation_id VARCHAR;
ALTER TABLE events ADD COLUMN IF NOT EXISTS app_key VARCHAR;
ALTER TABLE events ADD COLUMN IF NOT EXISTS agent_kind VARCHAR;
ALTER TABLE events ADD COLUMN IF NOT EXISTS agent_action VARCHAR;
ALTER TABLE events ADD COLUMN IF NOT EXISTS agent_alias VARCHAR;

CREATE TABLE IF NOT EXISTS identities (
    identity_key   VARCHAR PRIMARY KEY,
    platform       VARCHAR NOT NULL,
    native_id      VARCHAR NOT NULL,
    name           VARCHAR,
    display_name   VARCHAR,
    email          VARCHAR,
    vendor_type    VARCHAR,
    aliases        VARCHAR[],
    created_at     TIMESTAMPTZ,
    has_password   BOOLEAN,
    mfa_active     BOOLEAN,
    first_seen     TIMESTAMPTZ,
    last_seen      TIMESTAMPTZ,
    event_count    BIGINT NOT NULL DEFAULT 0,
    source_formats VARCHAR[],
    file_ids       INTEGER[] NOT NULL
);

CREATE TABLE IF NOT EXISTS credentials (
    credential_key  VARCHAR PRIMARY KEY,
    platform        VARCHAR NOT NULL,
    credential_id   VARCHAR NOT NULL,
    credential_type VARCHAR,
    identity_key    VARCHAR,
    status          VARCHAR,
    created_at      TIMESTAMPTZ,
    last_rotated_at TIMESTAMPTZ,
    last_used_at    TIMESTAMPTZ,
    revoked_at      TIMESTAMPTZ,
    first_seen      TIMESTAMPTZ,
    last_seen       TIMESTAMPTZ,
    use_count       BIGINT NOT NULL DEFAULT 0,
    source_formats  VARCHAR[],
    file_ids        INTEGER[] NOT NULL
);

CREATE TABLE IF NOT EXISTS roster (
    file_id          INTEGER NOT NULL,
    record_no        BIGINT NOT NULL,
    employee_id      VARCHAR,
    email            VARCHAR NOT NULL,
    display_name     VARCHAR,
    department       VARCHAR,
    status           VARCHAR NOT NULL,
    hire_date        DATE,
    termination_date DATE,
    manager_email    VARCHAR
);

CREATE TABLE IF NOT EXISTS inventory (
    file_id           INTEGER NOT NULL,
    record_no         BIGINT NOT NULL,
    agent_id          VARCHAR NOT NULL,
    name              VARCHAR,
    kind              VARCHAR NOT NULL,
    platform          VARCHAR NOT NULL,
    platform_id       VARCHAR,
    credential_ids    VARCHAR[],
    owner_email       VARCHAR,
    sanctioned        BOOLEAN,
    privileges        VARCHAR[],
    created_at        TIMESTAMPTZ,
    last_reviewed_at  TIMESTAMPTZ,
    decommissioned_at TIMESTAMPTZ,
    purpose           VARCHAR
);

CREATE TABLE IF NOT EXISTS alerts (
    file_id    INTEGER NOT NULL,
    record_no  BIGINT NOT NULL,
    alert_id   VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    source     VARCHAR,
    detection  VARCHAR,
    severity   VARCHAR,
    identity   VARCHAR NOT NULL,
    automated  BOOLEAN,
    action     VARCHAR,
    action_at  TIMESTAMPTZ,
    action_by  VARCHAR
);

-- The identity platforms' own agent registries (Entra agent identities, blueprints and agent
-- users listed through Microsoft Graph; Okta's AI agents API): a third source beside the
-- client's inventory and the logs.
CREATE TABLE IF NOT EXISTS agent_registry (
    file_id     INTEGER NOT NULL,
    record_no   BIGINT NOT NULL,
    source      VARCHAR NOT NULL,   -- entra_agent_registry | okta_ai_agents
    platform    VARCHAR NOT NULL,
    native_id   VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,   -- blueprint | blueprint_principal | agent_identity | agent_user | ai_agent
    name        VARCHAR,
    app_id      VARCHAR,
    parent_id   VARCHAR,            -- the blueprint's appId (agent identities), the agent identity (agent users)
    sponsors    VARCHAR[],          -- sponsors' or owners' UPNs / e-mails (lower case)
    status      VARCHAR,
    created_at  TIMESTAMPTZ
);
