"""Microsoft Entra sign-in logs: user, non-interactive user, service-principal and
managed-identity sign-ins, as Azure Monitor diagnostic records (`time`, `category`,
`properties`) or Microsoft Graph `signIn` objects (`{"value": [...]}` or one per line)."""

from agentaudit.containers import Sample
from agentaudit.readers.base import Reader, field_of

CATEGORIES = {
    "signinlogs",
    "noninteractiveusersigninlogs",
    "serviceprincipalsigninlogs",
    "managedidentitysigninlogs",
}


def detect(sample: Sample) -> bool:
    first = sample.first or {}
    category = str(first.get("category", "")).lower()
    if category in CATEGORIES:
        return True
    props = first.get("properties") if isinstance(first.get("properties"), dict) else first
    keys = {k.lower() for k in props}
    return (
        "createddatetime" in keys
        and "appid" in keys
        and ("status" in keys or "userid" in keys or "serviceprincipalid" in keys)
    )


def f(*paths: str) -> str:
    """A text field of the sign-in, wherever the container puts it."""
    return field_of(*paths, src="p")


IS_SP = f"""(lower(coalesce({field_of("$.category")}, '')) IN
                 ('serviceprincipalsigninlogs', 'managedidentitysigninlogs')
             OR list_contains(CAST(json_extract(p, '$.signInEventTypes') AS VARCHAR[]),
                              'servicePrincipal')
             OR list_contains(CAST(json_extract(p, '$.signInEventTypes') AS VARCHAR[]),
                              'managedIdentity')
             OR ({f("$.userId")} IS NULL AND {f("$.servicePrincipalId")} IS NOT NULL))"""
IS_MI = f"""(lower(coalesce({field_of("$.category")}, '')) = 'managedidentitysigninlogs'
             OR list_contains(CAST(json_extract(p, '$.signInEventTypes') AS VARCHAR[]),
                              'managedIdentity')
             OR coalesce({f("$.managedIdentityType", "$.managedServiceIdentity.msiType")},
                         'none') NOT IN ('none', 'None'))"""
ACTOR_ID = f"CASE WHEN {IS_SP} THEN {f('$.servicePrincipalId')} ELSE {f('$.userId')} END"
KEY_ID = f("$.servicePrincipalCredentialKeyId")

SELECT = f"""
SELECT rec_no,
    coalesce({f("$.createdDateTime")}, {field_of("$.time")}) AS event_time_raw,
    'entra_signin' AS source_format, 'entra' AS platform,
    {f("$.id")} AS event_id,
    coalesce({field_of("$.operationName", "$.operationname")}, 'Sign-in activity') AS event_type,
    coalesce({field_of("$.category")},
        CASE WHEN {IS_MI} THEN 'ManagedIdentitySignInLogs'
             WHEN {IS_SP} THEN 'ServicePrincipalSignInLogs'
             WHEN {f("$.isInteractive")} = 'false' THEN 'NonInteractiveUserSignInLogs'
             ELSE 'SignInLogs' END) AS category,
    CASE WHEN coalesce({f("$.status.errorCode")}, {field_of("$.resultType", "$.resulttype")})
              IS NULL THEN 'unknown'
         WHEN coalesce({f("$.status.errorCode")}, {field_of("$.resultType", "$.resulttype")})
              = '0' THEN 'success' ELSE 'failure' END AS outcome,
    coalesce({f("$.status.failureReason")}, 'error ' || {f("$.status.errorCode")})
        AS outcome_detail,
    'entra:' || {ACTOR_ID} AS actor_key,
    {ACTOR_ID} AS actor_id,
    CASE WHEN {IS_SP} THEN coalesce({f("$.servicePrincipalName")}, {f("$.appDisplayName")})
         ELSE {f("$.userPrincipalName")} END AS actor_name,
    CASE WHEN {IS_SP} THEN coalesce({f("$.servicePrincipalName")}, {f("$.appDisplayName")})
         ELSE {f("$.userDisplayName")} END AS actor_display_name,
    CASE WHEN {IS_MI} THEN 'ManagedIdentity' WHEN {IS_SP} THEN 'ServicePrincipal'
         ELSE 'User' END AS actor_type,
    coalesce({f("$.sessionId")}, {f("$.correlationId")}) AS session_name,
    CASE WHEN {KEY_ID} IS NOT NULL THEN 'entra:credential:' || {KEY_ID} END AS credential_key,
    {KEY_ID} AS credential_id,
    CASE lower({f("$.clientCredentialType")})
        WHEN 'clientsecret' THEN 'client_secret' WHEN 'clientassertion' THEN 'certificate'
        WHEN 'certificate' THEN 'certificate'
        WHEN 'federatedidentitycredential' THEN 'federated_credential'
        WHEN 'managedidentity' THEN 'managed_identity' END AS credential_type,
    {f("$.appId")} AS app_id,
    {f("$.appDisplayName")} AS app_name,
    {f("$.userAgent")} AS user_agent,
    coalesce({f("$.ipAddress")}, {field_of("$.callerIpAddress", "$.calleripaddress")})
        AS source_ip,
    CASE WHEN {IS_SP} THEN false
         ELSE TRY_CAST({f("$.isInteractive")} AS BOOLEAN) END AS is_interactive,
    coalesce({f("$.resourceId")}, {f("$.resourceServicePrincipalId")}) AS target_id,
    {f("$.resourceDisplayName")} AS target_name,
    CASE WHEN {f("$.resourceDisplayName")} IS NOT NULL THEN 'resource' END AS target_type,
    {f("$.resourceDisplayName")} AS resource
FROM (SELECT rec_no, j, coalesce(j->'properties', j) AS p FROM _records)
"""

READER = Reader(
    name="entra_signin",
    title="Microsoft Entra sign-in logs",
    target="events",
    detect=detect,
    select_sql=SELECT,
    time_field="createdDateTime (or time)",
    actor_field="userId or servicePrincipalId",
)
