"""AWS CloudTrail: `{"Records": [...]}` files (plain or .gz), JSON arrays, NDJSON, and
`aws cloudtrail lookup-events` output, whose `CloudTrailEvent` is the record as a JSON string."""

from agentaudit.containers import Sample
from agentaudit.readers.base import Reader, field_of


def detect(sample: Sample) -> bool:
    keys = sample.keys()
    if "CloudTrailEvent" in keys and "EventName" in keys:
        return True
    return "eventTime" in keys and "eventSource" in keys and "eventName" in keys


def f(*paths: str) -> str:
    return field_of(*paths, src="e")


TYPE = f("$.userIdentity.type")
ACTOR_ID = f"""CASE WHEN {TYPE} = 'AssumedRole'
                    THEN coalesce({f("$.userIdentity.sessionContext.sessionIssuer.arn")},
                                  {f("$.userIdentity.arn")})
                    WHEN {TYPE} = 'AWSService' OR {TYPE} IS NULL
                    THEN coalesce({f("$.userIdentity.invokedBy")}, {f("$.userIdentity.arn")},
                                  {f("$.userIdentity.principalId")})
                    ELSE coalesce({f("$.userIdentity.arn")}, {f("$.userIdentity.principalId")},
                                  {f("$.userIdentity.accountId")}) END"""
KEY = f("$.userIdentity.accessKeyId")

SELECT = f"""
SELECT rec_no,
    {f("$.eventTime")} AS event_time_raw,
    'cloudtrail' AS source_format, 'aws' AS platform,
    {f("$.eventID")} AS event_id,
    {f("$.eventName")} AS event_type,
    {f("$.eventCategory")} AS category,
    CASE WHEN {f("$.errorCode")} IS NULL THEN 'success' ELSE 'failure' END AS outcome,
    {f("$.errorCode")} || coalesce(': ' || {f("$.errorMessage")}, '') AS outcome_detail,
    'aws:' || {ACTOR_ID} AS actor_key,
    {ACTOR_ID} AS actor_id,
    CASE WHEN {TYPE} = 'AssumedRole'
         THEN {f("$.userIdentity.sessionContext.sessionIssuer.userName")}
         ELSE coalesce({f("$.userIdentity.userName")}, {f("$.userIdentity.invokedBy")})
    END AS actor_name,
    NULL AS actor_display_name,
    coalesce({TYPE}, CASE WHEN {f("$.userIdentity.invokedBy")} IS NOT NULL
                          THEN 'AWSService' END) AS actor_type,
    CASE WHEN {TYPE} IN ('AssumedRole', 'FederatedUser')
         THEN regexp_extract({f("$.userIdentity.arn")}, '[^/]+$') END AS session_name,
    CASE WHEN {KEY} IS NOT NULL THEN 'aws:' || {KEY} END AS credential_key,
    {KEY} AS credential_id,
    CASE WHEN {KEY} LIKE 'ASIA%' THEN 'session_credentials'
         WHEN {KEY} IS NOT NULL THEN 'access_key' END AS credential_type,
    NULL AS app_id, NULL AS app_name,
    {f("$.userAgent")} AS user_agent,
    {f("$.sourceIPAddress")} AS source_ip,
    CASE WHEN {f("$.sessionCredentialFromConsole")} = 'true'
              OR {f("$.eventName")} = 'ConsoleLogin' THEN true
         WHEN {KEY} IS NOT NULL THEN false END AS is_interactive,
    coalesce({
    f(
        "$.requestParameters.roleArn",
        "$.requestParameters.userName",
        "$.requestParameters.roleName",
        "$.requestParameters.secretId",
        "$.requestParameters.accessKeyId",
    )
},
             {f("$.resources[0].ARN")}) AS target_id,
    coalesce({
    f(
        "$.requestParameters.roleSessionName",
        "$.requestParameters.userName",
        "$.requestParameters.roleName",
        "$.requestParameters.secretId",
    )
},
             {f("$.resources[0].ARN")}) AS target_name,
    CASE WHEN {f("$.requestParameters.roleArn")} IS NOT NULL THEN 'role'
         WHEN {f("$.requestParameters.userName")} IS NOT NULL THEN 'user'
         WHEN {f("$.requestParameters.roleName")} IS NOT NULL THEN 'role'
         WHEN {f("$.requestParameters.secretId")} IS NOT NULL THEN 'secret'
         ELSE {f("$.resources[0].type")} END AS target_type,
    {f("$.eventSource")} AS resource
FROM (SELECT rec_no, j, coalesce(TRY_CAST(j->>'CloudTrailEvent' AS JSON), j) AS e
      FROM _records)
"""

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

READER = Reader(
    name="cloudtrail",
    title="AWS CloudTrail",
    target="events",
    detect=detect,
    select_sql=SELECT,
    time_field="eventTime",
    actor_field="userIdentity (arn, principalId or invokedBy)",
    extra_sql=(ACCESS_KEYS, CREATED),
)
