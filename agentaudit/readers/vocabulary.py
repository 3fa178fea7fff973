"""The canonical vocabulary: the values readers write into the events' fact columns, and the
only values the assessment's SQL may name (docs/schema.md, "The vocabulary").

Readers turn their vendor's fields into these; classification, metrics and checks read them
and never a vendor's event name, actor type or export format (tests/test_vocabulary.py).
"""

from __future__ import annotations

# The fact columns readers set beside the event's own fields, with their SQL types. Readers
# that know none of a fact leave it NULL (`FACT_DEFAULTS`).
FACT_COLUMNS: dict[str, str] = {
    "class_uid": "INTEGER",  # OCSF class (agentaudit/readers/ocsf_ids.py)
    "activity_id": "INTEGER",  # OCSF activity within the class
    "auth_mfa": "BOOLEAN",  # the event shows a second factor passed
    "auth_method": "VARCHAR",  # how the actor authenticated (AUTH_METHODS)
    "session_person": "VARCHAR",  # the person behind a session, when the record names one
    "workload": "VARCHAR",  # the compute a session runs on, when the record shows it
    "credential_action": "VARCHAR",  # what the event does to a credential (CREDENTIAL_ACTIONS)
    "issued_kind": "VARCHAR",  # what the event created or granted (ISSUED_KINDS)
    "issued_for_id": "VARCHAR",  # the identity it was created or granted for (native id)
    "issued_for_name": "VARCHAR",
    "target_credential": "VARCHAR",  # the credential created, rotated or revoked (its own id)
    "issued_app_id": "VARCHAR",  # the application (client id) a grant is for
    "consent_type": "VARCHAR",  # admin | user
    "consent_scopes": "VARCHAR[]",  # the scopes or permissions granted
    "correlation_id": "VARCHAR",  # one flow's records share it
    "app_key": "VARCHAR",  # identity key of the app installed, authorised or acting by a token
    "agent_kind": "VARCHAR",  # the platform's agent marker, canonical (AGENT_KINDS)
    "agent_action": "VARCHAR",  # acts | invoked | managed (AGENT_ACTIONS)
    "agent_alias": "VARCHAR",  # another id the event's agent is known by (a runtime's ARN)
}

ACTOR_KINDS = (
    "account",  # a user account: a person's or a service user's, the evidence decides
    "guest",  # an external person's account
    "person_session",  # a person's federated session (Identity Center, SAML)
    "service_principal",  # an application's own identity in a directory
    "managed_identity",
    "oauth_client",  # an OAuth client acting with its own credential
    "platform_service",  # the platform itself, or its services, acting
    "role",  # a role whose sessions people or workloads assume: the evidence decides
    "federated_session",  # a session issued to a program from another credential
    "installed_app",  # an app installed into the organisation, acting as its bot
    "oauth_app",  # an app acting through a member's token
    "bot",
    "root",  # the account's root user: people, break-glass
    "network",  # an actor that is a network address
)
PLATFORMS = ("aws", "entra", "okta", "github", "auth0")
OUTCOMES = ("success", "failure", "unknown")
AUTH_METHODS = (
    "password",
    "sso",  # a person's session through an identity provider's single sign-on
    "saml",
    "web_identity",  # an OIDC token exchanged for a role (workload federation)
    "assumed_role",  # a role session obtained with another credential
    "api_token",
    "access_key",
    "session_credentials",
    "client_secret",
    "certificate",
    "managed_identity",
    "federated_credential",
    "oauth_client",
    "oauth_token",
    "personal_access_token",
    "github_app_token",
    "browser_session",
)
CREDENTIAL_TYPES = AUTH_METHODS + ("mfa", "deploy_key")
CREDENTIAL_ACTIONS = ("created", "rotated", "revoked", "used")
ISSUED_KINDS = (
    "application",
    "service_principal",
    "credential",
    "oauth_grant",
    "api_token",
    "user",
    "role",
    "access_key",
    "login_profile",
    "personal_access_token",
    "app_install",
    "deploy_key",
)
CONSENT_TYPES = ("admin", "user")
WORKLOADS = ("ec2_instance", "lambda")
AGENT_KINDS = (  # the registries' kinds (agent_registry.kind), which events share
    "blueprint",
    "blueprint_principal",
    "agent_identity",
    "agent_user",
    "ai_agent",
    "workload_identity",
    "agent_runtime",
)
AGENT_ACTIONS = ("acts", "invoked", "managed")
TARGET_TYPES = ("role", "user", "secret")
CREDENTIAL_STATUSES = ("active", "inactive", "revoked")


def declared_values() -> set[str]:
    """Every value the vocabulary declares (what assessment SQL may name)."""
    groups = (
        PLATFORMS,
        OUTCOMES,
        CREDENTIAL_TYPES,
        CREDENTIAL_ACTIONS,
        ISSUED_KINDS,
        CONSENT_TYPES,
        WORKLOADS,
        AGENT_KINDS,
        AGENT_ACTIONS,
        TARGET_TYPES,
        CREDENTIAL_STATUSES,
        ACTOR_KINDS,
    )
    return {v for g in groups for v in g}


def facts_sql(
    helpers: str = "", ocsf: list[tuple[str, str, str]] | None = None, **exprs: str
) -> str:
    """A reader's fact columns, in table order: the SQL it gives for some, NULL for the rest.

    `helpers` are SELECT-list items the expressions read (DuckDB reads a SELECT list's
    aliases left to right: an issuing activity's kind, parsed targets); `ocsf` the rules of
    `ocsf_ids.activity_sql`, which set class_uid and activity_id."""
    from agentaudit.readers.ocsf_ids import activity_sql  # noqa: PLC0415 - ids load on use

    activity = activity_sql(ocsf or [])
    unknown = set(exprs) - set(FACT_COLUMNS)
    if unknown or (activity and {"class_uid", "activity_id"} & set(exprs)):
        raise KeyError(f"not vocabulary columns, or given twice: {', '.join(sorted(unknown))}")
    exprs = {**exprs, **activity}
    head = [helpers.strip().rstrip(",")] if helpers.strip() else []
    if "_ocsf" in exprs:
        head.append(f"{exprs['_ocsf']} AS _ocsf")
    cols = [
        f"({exprs[c]})::{t} AS {c}" if c in exprs else f"NULL::{t} AS {c}"
        for c, t in FACT_COLUMNS.items()
    ]
    return ",\n    ".join(head + cols)


# Readers of platforms that know none of the facts.
FACT_DEFAULTS = facts_sql()
