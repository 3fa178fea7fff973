"""GitHub organisation / enterprise audit log exports: JSON array, NDJSON or CSV."""

from agentaudit.containers import Sample
from agentaudit.readers.base import ActorKind, Reader, case_map
from agentaudit.readers.vocabulary import facts_sql


def detect(sample: Sample) -> bool:
    keys = sample.lower_keys()
    if not {"action", "actor"} <= keys or "eventtype" in keys:
        return False
    markers = {
        "@timestamp",
        "created_at",
        "at_sign_timestamp",
        "org",
        "repo",
        "business",
        "programmatic_access_type",
        "actor_id",
        "_document_id",
    }
    return bool(keys & markers)


FIELDS = {
    "ts": ('$."@timestamp"', "$.created_at", "$.at_sign_timestamp"),
    "doc_id": ("$._document_id",),
    "action": ("$.action",),
    "actor": ("$.actor",),
    "is_bot": ("$.actor_is_bot",),
    "access": ("$.programmatic_access_type",),
    "token_id": ("$.token_id",),
    "hashed_token": ("$.hashed_token",),
    "app_id": ("$.oauth_application_id", "$.integration_id"),
    "app_name": ("$.oauth_application", "$.oauth_application_name", "$.integration"),
    "nameid": ("$.external_identity_nameid",),
    "user_agent": ("$.user_agent",),
    "ip": ("$.actor_ip",),
    "repo": ("$.repo",),
    "user": ("$.user",),
    "team": ("$.team",),
    "org": ("$.org",),
    "business": ("$.business",),
    # what an issuing event names: the app installed or authorised, the token created
    "integration": ("$.integration",),
    "oauth_app_name": ("$.oauth_application_name",),
    "application_name": ("$.application_name",),
    "created_name": ("$.name",),
    "pat_id": ("$.user_programmatic_access_id",),
    "pat_name": ("$.user_programmatic_access_name",),
    "title": ("$.title",),
}

# The credential an event authenticated with (only events carrying programmatic_access_type
# were made with a token; the token fields of a browser event are not a use). token_id is 0 on
# GitHub App installation tokens, so the token's hash names those.
TOKEN = "coalesce(nullif(token_id, '0'), hashed_token)"
# Events that issue a token carry the new token's programmatic_access_type and hashed_token:
# they describe the token being created, not how the member signed in, and a member creates
# a personal access token or authorises an OAuth app in the web UI ("If the action occurred
# outside of GitHub's web UI, the event's data will show details about how the user or
# integration authenticated": docs.github.com, identifying audit log events performed by an
# access token). Their token is the member's new credential (TOKENS_CREATED), never a use.
ISSUING = (
    "action IN ('personal_access_token.create', 'personal_access_token.request_created', "
    "'oauth_access.create', 'oauth_authorization.create')"
)
USED = f"(access IS NOT NULL AND NOT {ISSUING})"
# A member passing a two-factor challenge (security log `user.two_factor_challenge_success`)
# signed in interactively with MFA.
MFA = "action = 'user.two_factor_challenge_success'"

MAPPING = f"""
    ts AS event_time_raw,
    'github_audit' AS source_format, 'github' AS platform,
    doc_id AS event_id, action AS event_type, split_part(action, '.', 1) AS category,
    'success' AS outcome, NULL AS outcome_detail,
    'github:' || actor AS actor_key, actor AS actor_id, actor AS actor_name,
    nameid AS actor_display_name,
    CASE WHEN actor LIKE '%[bot]' OR lower(is_bot) = 'true' THEN 'Bot' ELSE 'User' END
        AS actor_type,
    NULL AS session_name,
    CASE WHEN {USED} THEN 'github:token:' || {TOKEN} END AS credential_key,
    CASE WHEN {USED} THEN {TOKEN} END AS credential_id,
    CASE WHEN {MFA} THEN 'mfa' WHEN NOT {USED} THEN NULL
         WHEN lower(access) LIKE '%personal access token%'
              OR lower(access) LIKE '%personal_access_token%' THEN 'personal_access_token'
         WHEN lower(access) LIKE '%oauth%' THEN 'oauth_token'
         WHEN lower(access) LIKE '%github app%' OR lower(access) = 'github_app'
              OR lower(access) LIKE '%server-to-server%' THEN 'github_app_token'
         WHEN lower(access) LIKE '%deploy%' THEN 'deploy_key'
         WHEN access IS NOT NULL THEN lower(replace(access, ' ', '_')) END AS credential_type,
    app_id, app_name, user_agent, ip AS source_ip,
    CASE WHEN {USED} THEN false
         WHEN user_agent LIKE 'Mozilla/%' OR {MFA} THEN true END AS is_interactive,
    coalesce(repo, user, team, org) AS target_id,
    coalesce(repo, user, team, org) AS target_name,
    CASE WHEN repo IS NOT NULL THEN 'repository' WHEN user IS NOT NULL THEN 'user'
         WHEN team IS NOT NULL THEN 'team' WHEN org IS NOT NULL THEN 'organization' END
        AS target_type,
    coalesce(org, business) AS resource
"""

# What each action creates or grants (docs/discovery.md).
ISSUES = {
    "personal_access_token.create": "personal_access_token",
    "personal_access_token.request_created": "personal_access_token",
    "personal_access_token.access_granted": "personal_access_token",
    "oauth_authorization.create": "oauth_grant",
    "org.oauth_app_access_approved": "oauth_grant",
    "integration_installation.create": "app_install",
    "public_key.create": "deploy_key",
}
_KIND = case_map("action", ISSUES)
# A GitHub App acts as `<app slug>[bot]`; an OAuth app is keyed by its id (else its name).
_SLUG = "lower(trim(regexp_replace(app_name, '[^A-Za-z0-9]+', '-', 'g'), '-'))"
APP_KEY = f"""CASE WHEN starts_with(action, 'integration_installation.') AND app_name IS NOT NULL
                   THEN 'github:' || {_SLUG} || '[bot]'
                   WHEN action IN ('oauth_authorization.create', 'oauth_access.create')
                        AND coalesce(app_id, app_name) IS NOT NULL
                   THEN 'github:oauth_app:' || coalesce(app_id, app_name)
                   WHEN credential_type = 'oauth_token' AND app_id IS NOT NULL
                   THEN 'github:oauth_app:' || app_id END"""

_OCSF = [
    (MFA, "Authentication", "Logon"),
    (
        "action IN ('oauth_authorization.create', 'oauth_access.create', "
        "'org.oauth_app_access_approved', 'integration_installation.create')",
        "User Access Management",
        "Assign Privileges",
    ),
    (
        "action IN ('oauth_authorization.destroy', 'oauth_access.destroy', "
        "'org.oauth_app_access_revoked', 'integration_installation.destroy')",
        "User Access Management",
        "Revoke Privileges",
    ),
    ("action IN ('org.add_member', 'team.add_member')", "Group Management", "Add User"),
    (
        "action IN ('org.remove_member', 'team.remove_member')",
        "Group Management",
        "Remove User",
    ),
    (
        "ends_with(action, '.create') OR ends_with(action, '.request_created')",
        "Entity Management",
        "Create",
    ),
    (
        "regexp_matches(action, '\\.(destroy|delete|revoke|remove)$')",
        "Entity Management",
        "Delete",
    ),
    ("ends_with(action, '.update')", "Entity Management", "Update"),
    ("action IS NOT NULL", "API Activity", "Other"),
]

FACTS = facts_sql(
    helpers=f"{_KIND} AS _kind",
    ocsf=_OCSF,
    auth_mfa=f"CASE WHEN {MFA} THEN true END",
    auth_method=f"CASE WHEN {USED} THEN credential_type END",
    credential_action=f"""CASE WHEN action IN ('personal_access_token.create',
                                               'personal_access_token.access_granted')
                                    AND pat_id IS NOT NULL THEN 'created'
                               WHEN {USED} THEN 'used' END""",
    target_credential="""CASE WHEN action IN ('personal_access_token.create',
                                               'personal_access_token.access_granted')
                               THEN pat_id END""",
    issued_kind="_kind",
    issued_for_id="""CASE WHEN _kind IS NOT NULL THEN coalesce(integration, oauth_app_name,
        application_name, user, repo, target_id) END""",
    issued_for_name="""CASE WHEN _kind IS NOT NULL THEN coalesce(created_name, integration,
        oauth_app_name, pat_name, title, target_name) END""",
    consent_type="""CASE action WHEN 'org.oauth_app_access_approved' THEN 'admin'
                                WHEN 'oauth_authorization.create' THEN 'user' END""",
    app_key=APP_KEY,
)

_GOOD = "(SELECT *, raw::JSON AS j FROM _staged WHERE reject_reason IS NULL)"

# A GitHub App installed in the organisation is an NHI from its installation on; it acts as
# `<app slug>[bot]`, so it is keyed as that bot account and named by its display name.
APPS = f"""
INSERT INTO _extra_identities
SELECT 'github:' || slug || '[bot]', 'github', slug || '[bot]', slug || '[bot]',
       coalesce(aa_none(j->>'name'), integration), 'GitHubApp', event_time, NULL, NULL,
       event_time, source_format, file_id
FROM (SELECT *, aa_none(j->>'integration') AS integration,
             lower(trim(regexp_replace(aa_none(j->>'integration'), '[^A-Za-z0-9]+', '-', 'g'),
                        '-')) AS slug
      FROM {_GOOD} WHERE event_type LIKE 'integration_installation.%')
WHERE slug IS NOT NULL AND slug <> ''
"""

# An OAuth app is an NHI acting for the member who authorised it: seen when a member
# authorises it (oauth_authorization.create, oauth_access.create), and whenever an event is
# made with its OAuth access token (the member is then the actor; oauth_application_id names
# the app).
OAUTH_APPS = f"""
INSERT INTO _extra_identities
SELECT 'github:oauth_app:' || coalesce(app_id, app_name), 'github', coalesce(app_id, app_name),
       app_name, app_name, 'OAuthApp',
       CASE WHEN granted THEN event_time END, NULL, NULL, event_time, source_format, file_id
FROM (SELECT *, aa_none(j->>'oauth_application_id') AS app_id,
             coalesce(aa_none(j->>'oauth_application_name'), aa_none(j->>'oauth_application'))
                 AS app_name,
             event_type IN ('oauth_authorization.create', 'oauth_access.create',
                            'oauth_application.create') AS granted
      FROM {_GOOD}
      WHERE event_type IN ('oauth_authorization.create', 'oauth_access.create',
                           'oauth_application.create')
         OR credential_type = 'oauth_token')
WHERE coalesce(app_id, app_name) IS NOT NULL
"""

# A fine-grained personal access token's creation is not a use: the token is a credential of
# its owner from `personal_access_token.create` (which names it) and `.access_granted` (which
# adds its id, the token_id later uses carry).
TOKENS_CREATED = f"""
INSERT INTO _extra_credentials
SELECT 'github:token:' || pat_id, 'github', pat_id, 'personal_access_token', actor_key,
       'active', event_time, NULL, event_time, NULL, source_format, file_id
FROM (SELECT *, coalesce(aa_none(j->>'user_programmatic_access_id'),
                         max(aa_none(j->>'user_programmatic_access_id'))
                             OVER (PARTITION BY actor_key,
                                   j->>'user_programmatic_access_name')) AS pat_id
      FROM {_GOOD}
      WHERE event_type IN ('personal_access_token.create',
                           'personal_access_token.access_granted'))
WHERE pat_id IS NOT NULL
"""

# A deploy key (`public_key.create` on a repository) is a repository's credential.
DEPLOY_KEYS = f"""
INSERT INTO _extra_credentials
SELECT 'github:deploy_key:' || repo || ':' || coalesce(fp, title), 'github', coalesce(title, fp),
       'deploy_key', NULL,
       CASE WHEN event_type = 'public_key.delete' THEN 'revoked' ELSE 'active' END,
       CASE WHEN event_type = 'public_key.create' THEN event_time END,
       CASE WHEN event_type = 'public_key.delete' THEN event_time END,
       event_time, NULL, source_format, file_id
FROM (SELECT *, aa_none(j->>'repo') AS repo, aa_none(j->>'fingerprint') AS fp,
             aa_none(j->>'title') AS title
      FROM {_GOOD} WHERE event_type IN ('public_key.create', 'public_key.delete',
                                        'deploy_key.create', 'deploy_key.delete'))
WHERE repo IS NOT NULL AND coalesce(fp, title) IS NOT NULL
"""

# GitHub actor types (and the apps the audit log names).
ACTOR_KINDS = {
    "User": ActorKind("account", "GitHub user"),
    "Bot": ActorKind("bot", "GitHub bot", "nhi", "GitHub bot account"),
    "GitHubApp": ActorKind(
        "installed_app", "GitHub App", "nhi", "GitHub App installed in the organisation"
    ),
    "OAuthApp": ActorKind("oauth_app", "OAuth app", "nhi", "OAuth app a member authorised"),
}

READER = Reader(
    name="github_audit",
    platform="github",
    title="GitHub audit log",
    target="events",
    detect=detect,
    fields=FIELDS,
    columns_sql=MAPPING,
    time_field="@timestamp (or created_at)",
    actor_field="actor",
    containers=("ndjson", "json_array", "json_wrapper", "json_document", "csv"),
    extra_sql=(APPS, OAUTH_APPS, TOKENS_CREATED, DEPLOY_KEYS),
    facts_sql=FACTS,
    actor_kinds=ACTOR_KINDS,
)
