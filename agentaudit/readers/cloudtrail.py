"""AWS CloudTrail: `{"Records": [...]}` files (plain or .gz), JSON arrays, NDJSON, and
`aws cloudtrail lookup-events` output, whose `CloudTrailEvent` is the record as a JSON string."""

from agentaudit.containers import Sample
from agentaudit.readers.base import ActorKind, Reader, case_map
from agentaudit.readers.vocabulary import facts_sql


def detect(sample: Sample) -> bool:
    keys = sample.keys()
    if "CloudTrailEvent" in keys and "EventName" in keys:
        return True
    # Logstash's cloudtrail codec moves eventTime to @timestamp
    timed = "eventTime" in keys or "@timestamp" in keys
    return timed and "eventSource" in keys and "eventName" in keys


FIELDS = {
    "event_time": ("$.eventTime", '$."@timestamp"'),
    "event_id": ("$.eventID",),
    "event_name": ("$.eventName",),
    "event_category": ("$.eventCategory",),
    "error_code": ("$.errorCode",),
    "error_message": ("$.errorMessage",),
    "id_type": ("$.userIdentity.type",),
    "arn": ("$.userIdentity.arn",),
    "principal_id": ("$.userIdentity.principalId",),
    "account_id": ("$.userIdentity.accountId",),
    "user_name": ("$.userIdentity.userName",),
    "invoked_by": ("$.userIdentity.invokedBy",),
    "issuer_arn": ("$.userIdentity.sessionContext.sessionIssuer.arn",),
    "issuer_name": ("$.userIdentity.sessionContext.sessionIssuer.userName",),
    "idp": (
        "$.userIdentity.identityProvider",
        "$.userIdentity.sessionContext.webIdFederationData.federatedProvider",
    ),
    "mfa_used": ("$.additionalEventData.MFAUsed",),
    "console_result": ("$.responseElements.ConsoleLogin",),
    "key_id": ("$.userIdentity.accessKeyId",),
    "user_agent": ("$.userAgent",),
    "source_ip": ("$.sourceIPAddress",),
    "from_console": ("$.sessionCredentialFromConsole",),
    "role_arn": ("$.requestParameters.roleArn",),
    "req_user": ("$.requestParameters.userName",),
    "role_name": ("$.requestParameters.roleName",),
    "secret_id": ("$.requestParameters.secretId",),
    "req_key": ("$.requestParameters.accessKeyId",),
    "session_req": ("$.requestParameters.roleSessionName",),
    "resource_arn": ("$.resources[0].ARN",),
    "resource_type": ("$.resources[0].type",),
    "event_source": ("$.eventSource",),
    # Amazon Bedrock AgentCore (eventSource bedrock-agentcore.amazonaws.com; request and
    # response names from the service model): the agent's workload identity, its runtime,
    # and the end user a token was requested for or an invocation named
    "aws_region": ("$.awsRegion",),
    "recipient": ("$.recipientAccountId",),
    "workload_name": ("$.requestParameters.workloadName",),
    "created_name": ("$.requestParameters.name",),
    "workload_arn": (
        "$.responseElements.workloadIdentityArn",
        "$.responseElements.workloadIdentityDetails.workloadIdentityArn",
    ),
    "runtime_arn": ("$.requestParameters.agentRuntimeArn",),
    "created_runtime": ("$.responseElements.agentRuntimeArn",),
    "new_key": ("$.responseElements.accessKey.accessKeyId",),
    "new_key_user": ("$.responseElements.accessKey.userName",),
    "req_status": ("$.requestParameters.status",),
    "session_key": ("$.responseElements.credentials.accessKeyId",),
    "agent_user": ("$.requestParameters.userId", "$.requestParameters.runtimeUserId"),
}

# A role session of IAM Identity Center (roles `AWSReservedSSO_<permission set>_<hex>` under
# the path `/aws-reserved/sso.amazonaws.com/`) is a person's session: its session name is the
# Identity Center user name (usually the e-mail), so the person is the actor, not the role.
SSO = """(id_type = 'AssumedRole' AND (contains(issuer_arn, ':role/aws-reserved/sso.amazonaws.com/')
                                   OR starts_with(issuer_name, 'AWSReservedSSO_')))"""
SESSION = "regexp_extract(arn, '[^/]+$')"

# Who acts: the person of an Identity Center or SAML session; the role a web-identity (OIDC)
# token is exchanged for (the federation step belongs to the workload that assumes the role);
# the role of any other assumed-role session; the service for AWS services.
ACTOR_ID = f"""CASE WHEN {SSO} THEN lower({SESSION})
                   WHEN id_type = 'SAMLUser' THEN lower(coalesce(user_name, principal_id))
                   WHEN id_type = 'WebIdentityUser' AND role_arn IS NOT NULL THEN role_arn
                   WHEN id_type = 'AssumedRole' THEN coalesce(issuer_arn, arn)
                   WHEN id_type = 'AWSService' OR id_type IS NULL
                   THEN coalesce(invoked_by, arn, principal_id)
                   ELSE coalesce(arn, principal_id, account_id) END"""

MAPPING = f"""
    event_time AS event_time_raw,
    'cloudtrail' AS source_format, 'aws' AS platform,
    event_id, event_name AS event_type, event_category AS category,
    CASE WHEN error_code IS NULL AND console_result IS DISTINCT FROM 'Failure' THEN 'success'
         ELSE 'failure' END AS outcome,
    error_code || coalesce(': ' || error_message, '') AS outcome_detail,
    'aws:' || CASE WHEN {SSO} THEN 'sso:' WHEN id_type = 'SAMLUser' THEN 'saml:' ELSE '' END
        || {ACTOR_ID} AS actor_key, {ACTOR_ID} AS actor_id,
    CASE WHEN {SSO} THEN {SESSION}
         WHEN id_type = 'AssumedRole' THEN issuer_name
         WHEN id_type = 'WebIdentityUser' AND role_arn IS NOT NULL
              THEN regexp_extract(role_arn, '[^/]+$')
         ELSE coalesce(user_name, invoked_by) END AS actor_name,
    CASE WHEN id_type = 'WebIdentityUser' THEN user_name END AS actor_display_name,
    CASE WHEN {SSO} THEN 'IdentityCenterUser'
         ELSE coalesce(id_type, CASE WHEN invoked_by IS NOT NULL THEN 'AWSService' END)
    END AS actor_type,
    CASE WHEN id_type IN ('AssumedRole', 'FederatedUser') THEN regexp_extract(arn, '[^/]+$') END
        AS session_name,
    'aws:' || key_id AS credential_key, key_id AS credential_id,
    CASE WHEN key_id LIKE 'ASIA%' THEN 'session_credentials'
         WHEN key_id IS NOT NULL THEN 'access_key'
         WHEN event_name = 'ConsoleLogin' AND mfa_used = 'Yes' THEN 'mfa'
         WHEN event_name = 'ConsoleLogin' THEN 'password' END AS credential_type,
    CASE WHEN {SSO} THEN issuer_arn ELSE idp END AS app_id,
    CASE WHEN {SSO} THEN issuer_name ELSE idp END AS app_name, user_agent, source_ip,
    CASE WHEN from_console = 'true' OR event_name = 'ConsoleLogin' THEN true
         WHEN key_id IS NOT NULL THEN false END AS is_interactive,
    coalesce(role_arn, req_user, role_name, secret_id, req_key, resource_arn) AS target_id,
    coalesce(session_req, req_user, role_name, secret_id, resource_arn) AS target_name,
    CASE WHEN role_arn IS NOT NULL OR role_name IS NOT NULL THEN 'role'
         WHEN req_user IS NOT NULL THEN 'user'
         WHEN secret_id IS NOT NULL THEN 'secret'
         ELSE resource_type END AS target_type,
    event_source AS resource
"""

# lookup-events output carries the CloudTrail record as an escaped JSON string.
RECORD = """CASE WHEN contains(raw, '"CloudTrailEvent"')
                 THEN coalesce(try(json_extract_string(raw, '$.CloudTrailEvent')), raw)
                 ELSE raw END"""

_GOOD = """(SELECT *, coalesce(TRY_CAST(raw::JSON->>'CloudTrailEvent' AS JSON), raw::JSON) AS e
           FROM _staged WHERE reject_reason IS NULL)"""
_USER_ARN = "'arn:aws:iam::' || (e->>'recipientAccountId') || ':user/' || "

# Keys created, deactivated or deleted through IAM are credentials with a lifecycle.
ACCESS_KEYS = f"""
INSERT INTO _extra_credentials
SELECT 'aws:' || key_id, 'aws', key_id,
       CASE WHEN key_id LIKE 'ASIA%' THEN 'session_credentials' ELSE 'access_key' END,
       'aws:' || {_USER_ARN} user_name,
       CASE event_type WHEN 'DeleteAccessKey' THEN 'revoked'
            ELSE lower(coalesce(key_status, 'active')) END,
       CASE WHEN event_type = 'CreateAccessKey' THEN event_time END,
       CASE WHEN event_type = 'DeleteAccessKey' THEN event_time END,
       event_time, NULL, source_format, file_id
FROM (SELECT *, coalesce(aa_none(e->>'$.responseElements.accessKey.accessKeyId'),
                         aa_none(e->>'$.requestParameters.accessKeyId')) AS key_id,
             coalesce(aa_none(e->>'$.responseElements.accessKey.userName'),
                      aa_none(e->>'$.requestParameters.userName'), actor_name) AS user_name,
             coalesce(aa_none(e->>'$.responseElements.accessKey.status'),
                      aa_none(e->>'$.requestParameters.status')) AS key_status
      FROM {_GOOD}
      WHERE event_type IN ('CreateAccessKey', 'UpdateAccessKey', 'DeleteAccessKey')
        AND outcome = 'success')
WHERE key_id IS NOT NULL
"""

# Users and roles created in the window are identities even before they act.
CREATED = f"""
INSERT INTO _extra_identities
SELECT 'aws:' || arn, 'aws', arn, name, NULL, kind, event_time, NULL, NULL, NULL,
       source_format, file_id
FROM (SELECT *, CASE event_type WHEN 'CreateUser' THEN 'IAMUser' ELSE 'Role' END AS kind,
             coalesce(aa_none(e->>'$.responseElements.user.arn'),
                      aa_none(e->>'$.responseElements.role.arn')) AS arn,
             coalesce(aa_none(e->>'$.responseElements.user.userName'),
                      aa_none(e->>'$.responseElements.role.roleName')) AS name
      FROM {_GOOD} WHERE event_type IN ('CreateUser', 'CreateRole') AND outcome = 'success')
WHERE arn IS NOT NULL
"""

# The agent of an AgentCore event: its workload identity (by ARN; a token request names it by
# `workloadName`), else the runtime invoked. The caller is the runtime's execution role or an
# admin; a token for a user id, or an invocation naming one, is the agent acting for them
# (a string the caller asserts: AWS does not verify it).
_WORKLOAD_ARN = """'arn:aws:bedrock-agentcore:' || aws_region || ':'
                   || coalesce(recipient, account_id)
                   || ':workload-identity-directory/default/workload-identity/'"""
AGENTS = f"""
    CASE WHEN event_source = 'bedrock-agentcore.amazonaws.com' THEN coalesce(
        workload_arn,
        {_WORKLOAD_ARN} || coalesce(workload_name,
                                     CASE WHEN event_name = 'CreateWorkloadIdentity'
                                          THEN created_name END),
        runtime_arn) END AS agent_id,
    CASE WHEN event_source = 'bedrock-agentcore.amazonaws.com'
              AND coalesce(workload_arn, workload_name, runtime_arn,
                           CASE WHEN event_name = 'CreateWorkloadIdentity'
                                THEN created_name END) IS NOT NULL
         THEN CASE WHEN coalesce(workload_arn, workload_name, created_name) IS NULL
                   THEN 'agentcore_runtime' ELSE 'agentcore_workload_identity' END
    END AS agent_type,
    NULL::VARCHAR AS agent_parent_id,
    CASE WHEN event_source = 'bedrock-agentcore.amazonaws.com' THEN agent_user END
        AS on_behalf_of
"""

# What each IAM call creates (docs/discovery.md).
ISSUES = {
    "CreateUser": "user",
    "CreateRole": "role",
    "CreateAccessKey": "access_key",
    "CreateLoginProfile": "login_profile",
}
_KIND = case_map("event_name", ISSUES)
ASSUME = "('AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity')"

# How the actor authenticated: Identity Center (sso), SAML federation, an OIDC web identity
# (the provider named in the session), the console password, else the access key's kind.
AUTH_METHOD = f"""CASE WHEN {SSO} THEN 'sso'
    WHEN id_type = 'SAMLUser' OR event_name = 'AssumeRoleWithSAML' THEN 'saml'
    WHEN event_name = 'AssumeRoleWithWebIdentity'
         OR (id_type IN ('WebIdentityUser', 'AssumedRole') AND idp IS NOT NULL) THEN 'web_identity'
    WHEN event_name = 'ConsoleLogin' THEN 'password'
    WHEN key_id LIKE 'ASIA%' THEN 'session_credentials'
    WHEN key_id IS NOT NULL THEN 'access_key' END"""

_OCSF = [
    ("event_name = 'ConsoleLogin'", "Authentication", "Logon"),
    (f"event_name IN {ASSUME}", "Authentication", "Authentication Ticket"),
    ("event_name IN ('CreateUser', 'CreateLoginProfile')", "Account Change", "Create"),
    ("event_name IN ('DeleteUser')", "Account Change", "Delete"),
    (
        "event_name LIKE 'Attach%Policy' OR event_name LIKE 'Put%Policy'",
        "Account Change",
        "Attach Policy",
    ),
    (
        "event_name LIKE 'Detach%Policy' OR event_name LIKE 'Delete%Policy'",
        "Account Change",
        "Detach Policy",
    ),
    ("starts_with(event_name, 'Create')", "API Activity", "Create"),
    ("starts_with(event_name, 'Delete')", "API Activity", "Delete"),
    (
        "starts_with(event_name, 'Update') OR starts_with(event_name, 'Put')",
        "API Activity",
        "Update",
    ),
    ("regexp_matches(event_name, '^(Get|List|Describe)')", "API Activity", "Read"),
    ("event_name IS NOT NULL", "API Activity", "Other"),
]

FACTS = facts_sql(
    helpers=f"{_KIND} AS _kind",
    ocsf=_OCSF,
    auth_mfa="CASE WHEN event_name = 'ConsoleLogin' AND mfa_used = 'Yes' THEN true END",
    auth_method=AUTH_METHOD,
    # EC2 instance-profile sessions are named for the instance; Lambda's runtime says so in
    # the user agent
    workload="""CASE WHEN id_type = 'AssumedRole'
                          AND starts_with(regexp_extract(arn, '[^/]+$'), 'i-') THEN 'ec2_instance'
                     WHEN contains(lower(user_agent), 'exec-env/aws_lambda') THEN 'lambda' END""",
    credential_action=f"""CASE WHEN outcome <> 'success' THEN NULL
        WHEN event_name = 'CreateAccessKey' THEN 'created'
        WHEN event_name IN {ASSUME} AND session_key IS NOT NULL THEN 'created'
        WHEN event_name = 'DeleteAccessKey' THEN 'revoked'
        WHEN event_name = 'UpdateAccessKey' THEN CASE lower(req_status)
             WHEN 'inactive' THEN 'revoked' END END""",
    target_credential=f"""CASE WHEN event_name = 'CreateAccessKey' THEN new_key
        WHEN event_name IN {ASSUME} THEN session_key
        WHEN event_name IN ('DeleteAccessKey', 'UpdateAccessKey') THEN req_key END""",
    issued_kind="_kind",
    issued_for_id="""CASE _kind WHEN 'access_key' THEN coalesce(new_key_user, req_user, actor_id)
        WHEN 'login_profile' THEN coalesce(req_user, target_id)
        WHEN 'user' THEN coalesce(req_user, target_id)
        WHEN 'role' THEN coalesce(role_name, target_id) END""",
    issued_for_name="CASE WHEN _kind IS NOT NULL THEN target_name END",
    agent_kind=case_map(
        "agent_type",
        {"agentcore_workload_identity": "workload_identity", "agentcore_runtime": "agent_runtime"},
    ),
    # registering or changing an agent names it without it acting; a caller invoking a
    # runtime makes the agent act, but the caller is not part of the agent
    agent_action="""CASE WHEN agent_id IS NULL THEN NULL
        WHEN starts_with(event_name, 'Create') THEN 'managed'
        WHEN event_name = 'InvokeAgentRuntime' THEN 'invoked' ELSE 'acts' END""",
    agent_alias="CASE WHEN event_name = 'CreateAgentRuntime' THEN created_runtime END",
)

# AWS actor types (CloudTrail userIdentity.type, the credential report's users).
ROLE = ActorKind("role", "IAM role", rule="AWS role")
ACTOR_KINDS = {
    "IAMUser": ActorKind("account", "IAM user"),
    "Root": ActorKind("root", "AWS root", "human", "AWS root account (people, break-glass)"),
    "IdentityCenterUser": ActorKind(
        "person_session",
        "Identity Center user",
        "human",
        "AWS IAM Identity Center session",
        detail="permission sets",
    ),
    "SAMLUser": ActorKind(
        "person_session",
        "SAML-federated user",
        "human",
        "AWS SAML federation (AssumeRoleWithSAML) of a person",
    ),
    "AssumedRole": ROLE,
    "Role": ROLE,
    "WebIdentityUser": ROLE,
    "AWSService": ActorKind(
        "platform_service", "AWS service", "nhi", "AWS service acting in the account"
    ),
    "FederatedUser": ActorKind(
        "federated_session",
        "federated user",
        "nhi",
        "AWS federated session issued by GetFederationToken",
        "medium",
    ),
}

READER = Reader(
    name="cloudtrail",
    platform="aws",
    title="AWS CloudTrail",
    target="events",
    detect=detect,
    fields=FIELDS,
    columns_sql=MAPPING,
    record_sql=RECORD,
    time_field="eventTime (or @timestamp)",
    actor_field="userIdentity (arn, principalId or invokedBy)",
    extra_sql=(ACCESS_KEYS, CREATED),
    agent_sql=AGENTS,
    facts_sql=FACTS,
    actor_kinds=ACTOR_KINDS,
    created_accounts_are_workloads=True,
)
