"""Write generated events in each vendor's export format with DuckDB's JSON writer.

Each writer is one SELECT that builds the vendor record as nested structs from three tables:
`ev` (the events of one file), `acc` (accounts) and `cred` (credentials); DuckDB writes one
JSON object per line (or, for CloudTrail, one `{"Records": [...]}` document).
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import uuid
import zlib
from concurrent.futures import Executor
from pathlib import Path

import duckdb
import pyarrow as pa


def _uuid(hashed: str) -> str:
    """SQL formatting a hex hash as a version-4-shaped UUID."""
    return (
        f"(substr({hashed}, 1, 8) || '-' || substr({hashed}, 9, 4) || '-4' || "
        f"substr({hashed}, 14, 3) || '-a' || substr({hashed}, 18, 3) || '-' || "
        f"substr({hashed}, 21, 12))"
    )


OKTA = """
SELECT
  {uuid} AS uuid,
  strftime(ev.ts, '%Y-%m-%dT%H:%M:%S.%gZ') AS published,
  ev.action AS eventType,
  '0' AS version,
  CASE WHEN ev.ok THEN 'INFO' ELSE 'WARN' END AS severity,
  CASE ev.action WHEN 'user.session.start' THEN 'User login to Okta'
       WHEN 'user.authentication.sso' THEN 'User single sign on to app'
       WHEN 'app.oauth2.as.token.grant.access_token' THEN 'OAuth2 access token is granted'
       WHEN 'app.oauth2.as.token.grant.refresh_token' THEN 'OAuth2 refresh token is granted'
       WHEN 'system.api_token.create' THEN 'Create API token'
       WHEN 'system.api_token.revoke' THEN 'Revoke API token'
       ELSE 'Okta directory change' END AS displayMessage,
  {{'id': a.native_id,
    'type': CASE WHEN a.kind IN ('okta_client', 'okta_auto', 'okta_agent') THEN 'PublicClientApp'
                 ELSE 'User' END,
    'alternateId': CASE WHEN a.kind IN ('okta_client', 'okta_auto', 'okta_agent') THEN a.native_id
                        ELSE a.name END,
    'displayName': a.display, 'detailEntry': NULL::VARCHAR}} AS actor,
  {{'userAgent': {{'rawUserAgent': ev.ua,
                  'os': CASE WHEN ev.interactive = 1 THEN 'Windows 10' ELSE 'Unknown' END,
                  'browser': CASE WHEN ev.interactive = 1 THEN 'CHROME' ELSE 'UNKNOWN' END}},
    'zone': 'null', 'device': CASE WHEN ev.interactive = 1 THEN 'Computer' ELSE 'Unknown' END,
    'id': CASE WHEN a.kind IN ('okta_client', 'okta_auto', 'okta_agent') THEN a.native_id END,
    'ipAddress': ev.ip}} AS client,
  {{'externalSessionId': CASE WHEN ev.interactive = 1 THEN 'idx' || substr({hash}, 1, 20) END}}
    AS authenticationContext,
  {{'result': CASE WHEN ev.ok THEN 'SUCCESS' ELSE 'FAILURE' END,
    'reason': CASE WHEN ev.ok THEN NULL ELSE 'INVALID_CREDENTIALS' END}} AS outcome,
  CASE
    -- an AI agent's ID-JAG exchange for a person (Okta for AI Agents): the person, then the
    -- token, whose detailEntry names the subject and the agent in its actor chain
    WHEN a.kind = 'okta_agent' AND ev.target >= 0
      THEN [{{'id': t.native_id, 'type': 'User', 'alternateId': t.name,
             'displayName': t.display, 'detailEntry': NULL::JSON}},
            {{'id': 'IDAAG.' || substr({hash}, 1, 30), 'type': 'id_jag',
             'alternateId': 'unknown', 'displayName': 'ID-JAG',
             'detailEntry': to_json({{
                'subject': t.native_id, 'subject_profile': 'user',
                'audience': 'https://{domain}/oauth2/default', 'scope': 'expenses.read',
                'actor': to_json({{'sub': a.native_id, 'sub_profile': 'ai_agent'}})::VARCHAR
             }})}}]
    WHEN ev.target >= 0 THEN [{{'id': c.id, 'type': 'Token', 'alternateId': 'unknown',
                                'displayName': t.display || '-token', 'detailEntry': NULL::JSON}}]
    WHEN a.kind IN ('okta_client', 'okta_auto', 'okta_agent')
      THEN [{{'id': 'aus1default', 'type': 'AuthorizationServer', 'alternateId': 'default',
             'displayName': 'default', 'detailEntry': NULL::JSON}},
            {{'id': a.native_id, 'type': 'AppInstance', 'alternateId': a.display,
             'displayName': a.display, 'detailEntry': NULL::JSON}}]
    WHEN a.kind = 'okta_svc'
      THEN [{{'id': '00u' || substr({hash}, 1, 17), 'type': 'User',
             'alternateId': 'user' || (ev.seq % 997) || '@{domain}',
             'displayName': 'Directory User', 'detailEntry': NULL::JSON}}]
    ELSE [{{'id': '0oa1salesforce', 'type': 'AppInstance', 'alternateId': 'Salesforce',
           'displayName': 'Salesforce', 'detailEntry': NULL::JSON}}]
  END AS target,
  {{'type': 'WEB', 'id': 'Z' || substr({hash}, 1, 26),
    'detail': {{'requestApiTokenId': CASE WHEN c.type = 'api_token' AND ev.target < 0
                                          THEN c.id END}}}} AS transaction,
  {{'debugData': {{'requestUri': CASE WHEN a.kind IN ('okta_client', 'okta_auto', 'okta_agent')
                                     THEN '/oauth2/default/v1/token'
                                     WHEN a.kind = 'okta_svc' THEN '/api/v1/users'
                                     ELSE '/idp/idx/identify' END}}}} AS debugContext
FROM evh ev JOIN acc a ON a.idx = ev.acct
LEFT JOIN cred c ON c.idx = ev.cred
LEFT JOIN acc t ON t.idx = ev.target
ORDER BY ev.ts, ev.seq
"""

ENTRA_SIGNIN = """
SELECT
  strftime(ev.ts, '%Y-%m-%dT%H:%M:%S.%fZ') AS time,
  '/tenants/{tenant}/providers/Microsoft.aadiam' AS resourceId,
  'Sign-in activity' AS operationName, '1.0' AS operationVersion,
  CASE WHEN a.kind IN ('entra_user', 'entra_guest') AND ev.target >= 0
            THEN 'NonInteractiveUserSignInLogs'
       WHEN a.kind IN ('entra_user', 'entra_guest') THEN 'SignInLogs'
       WHEN a.kind = 'entra_mi' THEN 'ManagedIdentitySignInLogs'
       ELSE 'ServicePrincipalSignInLogs' END AS category,
  '{tenant}' AS tenantId,
  CASE WHEN ev.ok THEN '0' ELSE '7000215' END AS resultType,
  'None' AS resultSignature, 0 AS durationMs, ev.ip AS callerIpAddress,
  {uuid} AS correlationId, a.display AS identity, 4 AS Level,
  {{'id': {uuid},
    'createdDateTime': strftime(ev.ts, '%Y-%m-%dT%H:%M:%S.%fZ'),
    'userDisplayName': CASE WHEN a.kind IN ('entra_user', 'entra_guest') THEN a.display END,
    'userPrincipalName': CASE WHEN a.kind IN ('entra_user', 'entra_guest') THEN a.name END,
    'userId': CASE WHEN a.kind IN ('entra_user', 'entra_guest') THEN a.native_id END,
    'userType': CASE a.kind WHEN 'entra_user' THEN 'Member' WHEN 'entra_guest' THEN 'Guest' END,
    'crossTenantAccessType': CASE WHEN a.kind = 'entra_guest' THEN 'b2bCollaboration'
                                  ELSE 'none' END,
    'homeTenantId': coalesce(a.home_tenant, '{tenant}'),
    'resourceTenantId': '{tenant}',
    'authenticationRequirement': CASE WHEN a.kind IN ('entra_user', 'entra_guest')
                                      THEN 'multiFactorAuthentication'
                                      ELSE 'singleFactorAuthentication' END,
    'appId': coalesce(gp.app_id, t.app_id, a.app_id, '4765445b-32c6-49b0-83e6-1d93765276ca'),
    'appDisplayName': CASE WHEN gp.app_id IS NOT NULL THEN gp.target_name
                           WHEN t.idx IS NOT NULL THEN t.display
                           WHEN a.kind IN ('entra_user', 'entra_guest') THEN 'Microsoft Teams'
                           ELSE a.display END,
    'ipAddress': ev.ip,
    'userAgent': nullif(ev.ua, ''),
    'isInteractive': a.kind IN ('entra_user', 'entra_guest') AND ev.target < 0,
    'status': {{'errorCode': CASE WHEN ev.ok THEN 0 ELSE 7000215 END,
               'failureReason': CASE WHEN ev.ok THEN NULL
                                     ELSE 'Invalid client secret provided.' END}},
    'resourceDisplayName': CASE WHEN ev.acct % 3 = 0 THEN 'Azure Key Vault'
                                ELSE 'Microsoft Graph' END,
    'resourceId': '00000003-0000-0000-c000-000000000000',
    'servicePrincipalId': CASE WHEN a.kind NOT IN ('entra_user', 'entra_guest')
                               THEN a.native_id END,
    'servicePrincipalName': CASE WHEN a.kind NOT IN ('entra_user', 'entra_guest')
                                 THEN a.display END,
    'servicePrincipalCredentialKeyId': CASE WHEN c.type = 'client_secret' THEN c.id END,
    'clientCredentialType': CASE a.kind WHEN 'entra_sp' THEN 'clientSecret'
                                 WHEN 'entra_agent' THEN 'federatedIdentityCredential'
                                 WHEN 'entra_mi' THEN 'managedIdentity' ELSE 'none' END,
    'managedIdentityType': CASE WHEN a.kind = 'entra_mi' THEN 'systemAssigned' ELSE 'none' END,
    -- Entra Agent ID (Graph beta signIn.agent): the caller's and the subject's agent type
    'agent': CASE
       WHEN a.kind = 'entra_agent' THEN {{'agentType': 'agenticAppInstance',
            'agentSubjectType': 'agenticAppInstance', 'parentAppId': a.parent_app,
            'agentSubjectParentId': a.parent_obj}}
       WHEN a.kind = 'entra_blueprint' THEN {{'agentType': 'agentIdentityBlueprintPrincipal',
            'agentSubjectType': 'agentIdentityBlueprintPrincipal', 'parentAppId': NULL::VARCHAR,
            'agentSubjectParentId': NULL::VARCHAR}}
       WHEN t.idx IS NOT NULL THEN {{'agentType': 'agenticAppInstance',
            'agentSubjectType': 'notAgentic', 'parentAppId': t.parent_app,
            'agentSubjectParentId': NULL::VARCHAR}}
    END
  }} AS properties
FROM evh ev JOIN acc a ON a.idx = ev.acct
LEFT JOIN cred c ON c.idx = ev.cred
LEFT JOIN acc t ON t.idx = ev.target
LEFT JOIN consent gp ON gp."grant" = ev."grant" AND gp.action = 'Consent to application'
ORDER BY ev.ts, ev.seq
"""

ENTRA_AUDIT = """
SELECT
  strftime(ev.ts, '%Y-%m-%dT%H:%M:%S.%fZ') AS time,
  '/tenants/{tenant}/providers/Microsoft.aadiam' AS resourceId,
  ev.action AS operationName, '1.0' AS operationVersion, 'AuditLogs' AS category,
  '{tenant}' AS tenantId, 'None' AS resultSignature, 0 AS durationMs,
  ev.ip AS callerIpAddress, coalesce(gp.correlation, {uuid}) AS correlationId, 4 AS Level,
  {{'id': 'Directory_' || {uuid},
    'category': CASE WHEN ev.target >= 0 OR ev."grant" >= 0 THEN 'ApplicationManagement'
                     ELSE 'UserManagement' END,
    'correlationId': coalesce(gp.correlation, {uuid}), 'result': 'success', 'resultReason': '',
    'activityDisplayName': ev.action,
    'activityDateTime': strftime(ev.ts, '%Y-%m-%dT%H:%M:%S.%fZ'),
    'loggedByService': CASE WHEN ev.target >= 0 OR ev."grant" >= 0 THEN 'Core Directory'
                            ELSE 'Microsoft Entra Connect' END,
    'operationType': CASE WHEN ev."grant" >= 0 AND ev.action <> 'Add service principal'
                          THEN 'Assign' WHEN ev.action LIKE 'Add%' THEN 'Add'
                          ELSE 'Update' END,
    'initiatedBy': {{
       'user': CASE WHEN a.kind = 'entra_user'
                    THEN {{'id': a.native_id, 'displayName': a.display,
                          'userPrincipalName': a.name, 'ipAddress': ev.ip}} END,
       'app': CASE WHEN a.kind <> 'entra_user'
                   THEN {{'appId': a.app_id, 'displayName': a.display,
                         'servicePrincipalId': a.native_id,
                         'servicePrincipalName': a.display}} END}},
    'targetResources': CASE
       WHEN ev."grant" >= 0 THEN [{{
         'id': gp.target_id, 'displayName': gp.target_name, 'type': 'ServicePrincipal',
         'userPrincipalName': NULL::VARCHAR, 'modifiedProperties': gp.props}}]
       WHEN ev.target >= 0 THEN [{{
         'id': t.native_id, 'displayName': t.display, 'type': 'ServicePrincipal',
         'userPrincipalName': NULL::VARCHAR,
         'modifiedProperties': [{{
            'displayName': 'KeyDescription',
            'oldValue': CASE WHEN ev.action LIKE 'Remove%'
                             THEN '[KeyIdentifier=' || c.id
                                  || ',KeyType=Password,KeyUsage=Verify,DisplayName='
                                  || t.display || '-secret]' ELSE '[]' END,
            'newValue': CASE WHEN ev.action LIKE 'Add%'
                             THEN '[KeyIdentifier=' || c.id
                                  || ',KeyType=Password,KeyUsage=Verify,DisplayName='
                                  || t.display || '-secret]' ELSE '[]' END}}]}}]
       ELSE [{{'id': u.native_id, 'displayName': u.display, 'type': 'User',
               'userPrincipalName': u.name,
               'modifiedProperties': [{{'displayName': 'Department', 'oldValue': '[]',
                                       'newValue': '[]'}}]}}]
       END}} AS properties
FROM evh ev JOIN acc a ON a.idx = ev.acct
LEFT JOIN cred c ON c.idx = ev.cred
LEFT JOIN acc t ON t.idx = ev.target
LEFT JOIN consent gp ON gp."grant" = ev."grant" AND gp.action = ev.action
LEFT JOIN (SELECT row_number() OVER (ORDER BY idx) - 1 AS k, * FROM acc
           WHERE kind = 'entra_user') u ON u.k = ev.seq % {n_entra_users}
ORDER BY ev.ts, ev.seq
"""

# Microsoft Graph's appId and service principal names, as a consent's resource is written.
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_SPNS = ";".join(
    [
        f"{GRAPH_APP_ID}/ags.windows.net",
        GRAPH_APP_ID,
        "https://canary.graph.microsoft.com",
        "https://graph.microsoft.com",
        "https://ags.windows.net",
        "https://graph.microsoft.us",
        "https://graph.microsoft.com/",
        "https://dod-graph.microsoft.us",
        "https://canary.graph.microsoft.com/",
        "https://graph.microsoft.us/",
        "https://dod-graph.microsoft.us/",
    ]
)
_PROP = pa.struct(
    [("displayName", pa.string()), ("oldValue", pa.string()), ("newValue", pa.string())]
)


def _quoted(value: str) -> str:
    """A consent property's value: a JSON string written as text (`"\"False\""`)."""
    return json.dumps(value)


def _grant_id(*guids: str) -> str:
    """An oAuth2PermissionGrant id as Entra builds it: base64url of the little-endian bytes of
    the client, the resource and (for one user's consent) the principal."""
    raw = b"".join(uuid.UUID(g).bytes_le for g in guids)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def consent_table(grants: list, accounts: list, graph_sp: str) -> pa.Table:
    """`consent`: per consent flow event (grant, action), its target and modified properties,
    written as in Entra's audit log (tests/fixtures_issuance/entra follows the same records)."""
    rows = []
    for gi, g in enumerate(grants):
        admin = g.consent == "admin"
        kind = "AllPrincipals" if admin else "Principal"
        user = "" if admin else accounts[g.grantor].native_id
        scope = " ".join(g.scopes)
        ids = [g.sp_id, graph_sp] + ([user] if user else [])
        sp_props = [
            ("AccountEnabled", "[]", "[true]"),
            ("AppPrincipalId", "[]", json.dumps([g.app_id])),
            ("DisplayName", "[]", json.dumps([g.app])),
            ("ServicePrincipalName", "[]", json.dumps([g.app_id])),
            (
                "Included Updated Properties",
                None,
                _quoted("AccountEnabled, AppPrincipalId, DisplayName, ServicePrincipalName"),
            ),
            ("TargetId.ServicePrincipalNames", None, _quoted(g.app_id)),
        ]
        grant_props = [
            ("DelegatedPermissionGrant.Scope", None, _quoted(" " + scope)),
            ("DelegatedPermissionGrant.ConsentType", None, _quoted(kind)),
            ("ServicePrincipal.ObjectID", None, _quoted(g.sp_id)),
            ("ServicePrincipal.DisplayName", None, None),
            ("ServicePrincipal.AppId", None, None),
            ("ServicePrincipal.Name", None, None),
            ("TargetId.ServicePrincipalNames", None, _quoted(GRAPH_SPNS)),
        ]
        permissions = (
            f"[] => [[Id: {_grant_id(*ids)}, ClientId: {g.sp_id}, PrincipalId: {user}, "
            f"ResourceId: {graph_sp}, ConsentType: {kind}, Scope:  {scope}, "
            "CreatedDateTime: , LastModifiedDateTime ]]; "
        )
        consent_props = [
            ("ConsentContext.IsAdminConsent", None, _quoted(str(admin))),
            ("ConsentContext.IsAppOnly", None, _quoted("False")),
            ("ConsentContext.OnBehalfOfAll", None, _quoted(str(admin))),
            ("ConsentContext.Tags", None, _quoted("WindowsAzureActiveDirectoryIntegratedApp")),
            ("ConsentAction.Permissions", None, _quoted(permissions)),
            ("TargetId.ServicePrincipalNames", None, _quoted(g.app_id)),
        ]
        for action, target_id, target_name, props in (
            ("Add service principal", g.sp_id, g.app, sp_props),
            ("Add delegated permission grant", graph_sp, "Microsoft Graph", grant_props),
            ("Consent to application", g.sp_id, g.app, consent_props),
        ):
            rows.append(
                {
                    "grant": gi,
                    "action": action,
                    "app_id": g.app_id,
                    "target_id": target_id,
                    "target_name": target_name,
                    "correlation": g.correlation,
                    "props": [
                        dict(zip(("displayName", "oldValue", "newValue"), p, strict=True))
                        for p in props
                    ],
                }
            )
    schema = pa.schema(
        [
            ("grant", pa.int32()),
            ("action", pa.string()),
            ("app_id", pa.string()),
            ("target_id", pa.string()),
            ("target_name", pa.string()),
            ("correlation", pa.string()),
            ("props", pa.list_(_PROP)),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


_SOURCE = """CASE
     WHEN ev.action IN ('GetObject', 'PutObject', 'ListBuckets') THEN 's3.amazonaws.com'
     WHEN ev.action = 'SendMessage' THEN 'sqs.amazonaws.com'
     WHEN ev.action = 'GetSecretValue' THEN 'secretsmanager.amazonaws.com'
     WHEN ev.action = 'DescribeInstances' THEN 'ec2.amazonaws.com'
     WHEN ev.action = 'ConsoleLogin' THEN 'signin.amazonaws.com'
     WHEN ev.action IN ('GetCallerIdentity', 'AssumeRoleWithWebIdentity')
          THEN 'sts.amazonaws.com'
     WHEN ev.action = 'Decrypt' THEN 'kms.amazonaws.com'
     WHEN ev.action = 'InvokeModel' THEN 'bedrock.amazonaws.com'
     WHEN ev.action = 'Retrieve' THEN 'bedrock-agent-runtime.amazonaws.com'
     ELSE 'iam.amazonaws.com' END"""

# Role sessions by runtime, as AWS documents them: an EC2 instance profile's session is the
# instance id (with `ec2RoleDelivery`), a Lambda function's is the function name, an ECS task's
# the task id, a GitHub Actions OIDC session carries `webIdFederationData`; an IAM Identity
# Center session is the person's user name on an `AWSReservedSSO_*` role under
# `/aws-reserved/sso.amazonaws.com/`.
_SESSION = """CASE
     WHEN a.kind = 'aws_sso' THEN a.native_id
     WHEN a.runtime = 'ec2' THEN 'i-0' || substr(md5(a.native_id), 1, 16)
     WHEN a.runtime = 'lambda' THEN replace(a.name, '-svc-', '-fn-')
     WHEN a.runtime = 'ecs' THEN substr(md5(a.native_id || strftime(ev.ts, '%Y%m%d')), 1, 32)
     WHEN a.runtime = 'oidc' THEN 'GitHubActions'
     ELSE 'session-' || strftime(ev.ts, '%Y%m%d') END"""
_ROLE_ARN = """CASE WHEN a.kind = 'aws_sso'
     THEN 'arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/eu-west-1/' || a.sso_role
     ELSE a.native_id END"""
_ROLE_NAME = "CASE WHEN a.kind = 'aws_sso' THEN a.sso_role ELSE a.name END"
_SUBJECT = "'repo:{org}/' || replace(a.name, '-svc-', '-') || ':ref:refs/heads/main'"

CLOUDTRAIL_RECORD = """
SELECT ev.ts, ev.seq, {{
  'eventVersion': '1.09',
  'userIdentity': CASE
     WHEN ev.action = 'AssumeRoleWithWebIdentity' THEN to_json({{
       'type': 'WebIdentityUser',
       'principalId': 'token.actions.githubusercontent.com:sts.amazonaws.com:' || {subject},
       'userName': {subject},
       'identityProvider': 'token.actions.githubusercontent.com'}})
     WHEN a.kind IN ('aws_role', 'aws_auto', 'aws_sso') THEN to_json({{
       'type': 'AssumedRole',
       'principalId': 'AROA' || upper(substr(md5({role_arn}), 1, 17)) || ':' || sess,
       'arn': 'arn:aws:sts::{account}:assumed-role/' || {role_name} || '/' || sess,
       'accountId': '{account}',
       'accessKeyId': 'ASIA' || upper(substr(md5(a.native_id || sess), 1, 16)),
       'sessionContext': json_merge_patch(to_json({{
            'sessionIssuer': {{'type': 'Role',
                              'principalId': 'AROA' || upper(substr(md5({role_arn}), 1, 17)),
                              'arn': {role_arn}, 'accountId': '{account}',
                              'userName': {role_name}}},
            'attributes': {{'creationDate': strftime(date_trunc('hour', ev.ts),
                                                    '%Y-%m-%dT%H:%M:%SZ'),
                           'mfaAuthenticated': 'false'}}}}),
          CASE a.runtime
            WHEN 'ec2' THEN to_json({{'ec2RoleDelivery': '2.0'}})
            WHEN 'oidc' THEN to_json({{'webIdFederationData': {{
              'federatedProvider':
                'arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com',
              'attributes': {{}}}}}})
            ELSE '{{}}'::JSON END)}})
     WHEN ev.action = 'ConsoleLogin' THEN to_json({{
       'type': 'IAMUser',
       'principalId': 'AIDA' || upper(substr(md5(a.native_id), 1, 17)),
       'arn': a.native_id, 'accountId': '{account}', 'userName': a.name}})
     ELSE to_json({{
       'type': 'IAMUser',
       'principalId': 'AIDA' || upper(substr(md5(a.native_id), 1, 17)),
       'arn': a.native_id, 'accountId': '{account}',
       'accessKeyId': CASE WHEN c.type = 'access_key' AND ev.target < 0 THEN c.id
                           WHEN ev.target >= 0 AND a.kind = 'aws_human'
                           THEN 'ASIA' || upper(substr(md5(a.native_id || 'console'), 1, 16))
                           WHEN ev.interactive = 1
                           THEN 'ASIA' || upper(substr(md5(a.native_id || 'console'), 1, 16))
                           END,
       'userName': a.name}})
     END,
  'eventTime': strftime(ev.ts, '%Y-%m-%dT%H:%M:%SZ'),
  'eventSource': {source},
  'eventName': ev.action,
  'awsRegion': CASE WHEN ev.action = 'ConsoleLogin' THEN 'us-east-1' ELSE 'eu-west-1' END,
  'sourceIPAddress': ev.ip,
  'userAgent': ev.ua,
  'errorCode': CASE WHEN NOT ev.ok AND ev.action <> 'ConsoleLogin' THEN 'AccessDenied' END,
  'errorMessage': CASE WHEN NOT ev.ok AND ev.action = 'ConsoleLogin' THEN 'Failed authentication'
                       WHEN NOT ev.ok THEN 'User is not authorized to perform this action'
                  END,
  'requestParameters': CASE
     WHEN ev.action = 'CreateAccessKey' THEN to_json({{'userName': t.name}})
     WHEN ev.action = 'DeleteAccessKey' THEN to_json({{'userName': t.name, 'accessKeyId': c.id}})
     WHEN ev.action = 'AssumeRoleWithWebIdentity' THEN to_json({{
          'roleArn': a.native_id, 'roleSessionName': 'GitHubActions',
          'durationSeconds': 3600}})
     END,
  'responseElements': CASE
     WHEN ev.action = 'CreateAccessKey' THEN to_json({{'accessKey': {{
          'accessKeyId': c.id, 'createDate': strftime(ev.ts, '%b %-d, %Y %-I:%M:%S %p'),
          'status': 'Active', 'userName': t.name}}}})
     WHEN ev.action = 'ConsoleLogin' THEN to_json({{
          'ConsoleLogin': CASE WHEN ev.ok THEN 'Success' ELSE 'Failure' END}})
     WHEN ev.action = 'AssumeRoleWithWebIdentity' THEN to_json({{
          'subjectFromWebIdentityToken': {subject},
          'assumedRoleUser': {{
            'assumedRoleId': 'AROA' || upper(substr(md5(a.native_id), 1, 17)) || ':GitHubActions',
            'arn': 'arn:aws:sts::{account}:assumed-role/' || a.name || '/GitHubActions'}},
          'provider': 'arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com',
          'audience': 'sts.amazonaws.com'}})
     END,
  'additionalEventData': CASE WHEN ev.action = 'ConsoleLogin'
                              THEN to_json({{'LoginTo': 'https://console.aws.amazon.com/console/home',
                                            'MobileVersion': 'No',
                                            'MFAUsed': CASE WHEN a.kind = 'aws_human' THEN 'Yes'
                                                            ELSE 'No' END}}) END,
  'requestID': {uuid},
  'eventID': {uuid},
  'readOnly': ev.action IN ('GetObject', 'ListBuckets', 'DescribeInstances',
                            'GetCallerIdentity', 'GetSecretValue', 'Decrypt'),
  'eventType': CASE WHEN ev.action = 'ConsoleLogin' THEN 'AwsConsoleSignIn'
                    ELSE 'AwsApiCall' END,
  'managementEvent': ev.action NOT IN ('GetObject', 'PutObject', 'InvokeModel', 'Decrypt'),
  'recipientAccountId': '{account}',
  'eventCategory': CASE WHEN ev.action IN ('GetObject', 'PutObject', 'InvokeModel')
                        THEN 'Data' ELSE 'Management' END,
  'sessionCredentialFromConsole': CASE WHEN ev.interactive = 1 AND ev.action <> 'ConsoleLogin'
                                       THEN 'true' END
}} AS rec
FROM (SELECT ev.*, {session} AS sess FROM evh ev JOIN acc a ON a.idx = ev.acct) ev
JOIN acc a ON a.idx = ev.acct
LEFT JOIN cred c ON c.idx = ev.cred
LEFT JOIN acc t ON t.idx = ev.target
"""

# The actor of an OAuth app's events is the member whose token it uses; installing a GitHub App
# or authorising an OAuth app is the member's browser event, naming the app.
GITHUB = """
SELECT
  epoch_ms(ev.ts) AS "@timestamp",
  substr({hash}, 1, 22) AS _document_id,
  ev.action AS action,
  CASE WHEN grant_event OR a.kind = 'github_oauth' THEN m.native_id ELSE a.native_id END
    AS actor,
  (hash(CASE WHEN grant_event OR a.kind = 'github_oauth' THEN m.native_id ELSE a.native_id END)
   % 90000000)::BIGINT AS actor_id,
  a.kind = 'github_bot' AND NOT grant_event AS actor_is_bot,
  CASE WHEN grant_event THEN m.ip ELSE ev.ip END AS actor_ip,
  CASE WHEN grant_event THEN m.ua ELSE ev.ua END AS user_agent,
  '{org}' AS org,
  CASE WHEN ev.action LIKE 'integration_installation.%' OR ev.action LIKE 'oauth_%' THEN NULL
       ELSE '{org}/' || CASE ev.acct % 5 WHEN 0 THEN 'payments' WHEN 1 THEN 'platform'
                             WHEN 2 THEN 'data-pipelines' WHEN 3 THEN 'web' ELSE 'agents' END
  END AS repo,
  CASE WHEN ev.interactive = 1 OR grant_event THEN NULL
       WHEN c.type = 'github_app_token' THEN 'GitHub App server-to-server token'
       WHEN c.type = 'personal_access_token' THEN 'Fine-grained personal access token'
       WHEN c.type = 'oauth_token' THEN 'OAuth access token'
       END AS programmatic_access_type,
  CASE WHEN ev.interactive = 1 OR grant_event THEN NULL
       WHEN c.type = 'github_app_token' THEN 0 ELSE c.id::BIGINT END AS token_id,
  CASE WHEN ev.interactive = 1 OR grant_event OR c.id IS NULL THEN NULL
       ELSE to_base64(unhex(sha256(c.id))) END AS hashed_token,
  CASE WHEN a.kind = 'github_oauth' THEN a.native_id::BIGINT END AS oauth_application_id,
  CASE WHEN a.kind = 'github_oauth' AND grant_event THEN a.display END
    AS oauth_application_name,
  CASE WHEN a.kind = 'github_bot' AND grant_event THEN replace(a.native_id, '[bot]', '') END
    AS integration,
  CASE WHEN a.kind = 'github_bot' AND grant_event THEN a.display END AS name,
  CASE WHEN {saml} THEN coalesce(CASE WHEN grant_event OR a.kind = 'github_oauth'
                                      THEN m.email END, a.email) END
    AS external_identity_nameid,
  CASE WHEN ev.action LIKE '%create%' THEN 'create' WHEN ev.action LIKE 'git.%' THEN 'access'
       ELSE 'modify' END AS operation_type,
  epoch_ms(ev.ts) AS created_at,
  'example' AS business
FROM (SELECT *, action LIKE 'integration_installation.%' OR action LIKE 'oauth_a%'
                AS grant_event FROM evh) ev
JOIN acc a ON a.idx = ev.acct
LEFT JOIN acc m ON m.idx = a.member
LEFT JOIN cred c ON c.idx = ev.cred
ORDER BY ev.ts, ev.seq
"""


def _hash_view(con: duckdb.DuckDBPyConnection, seed: str, source: str) -> None:
    """`evh`: the events with `h`, a deterministic hex hash of seed, source and position
    (`seed` names the chunk too: positions restart in each chunk, event ids must not)."""
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW evh AS SELECT *, md5('{seed}/{source}/' || seq) AS h FROM ev"
    )


def write_ndjson(
    con: duckdb.DuckDBPyConnection,
    template: str,
    out: Path,
    gzip: bool,
    pool: Executor | None = None,
    layout: str = "api",
    **params: object,
) -> None:
    """Write one NDJSON file (optionally gzip) from a vendor template over `ev`, `acc`, `cred`,
    in the vendor's own shape or as a SIEM exports it (`layout`: log_analytics, splunk)."""
    seed, source = params.pop("seed"), params.pop("source")
    _hash_view(con, str(seed), str(source))
    sql = template.format(uuid=_uuid("ev.h"), hash="ev.h", **params)
    if layout == "log_analytics":
        sql = _log_analytics(con, sql)
    elif layout == "splunk":
        sql = _splunk(sql)
    _copy(con, sql, out, gzip, pool)


# Azure Monitor diagnostic categories -> the Log Analytics tables they land in
# (learn.microsoft.com/azure/azure-monitor/reference/tables/signinlogs and siblings).
LOG_ANALYTICS_TABLES = {
    "SignInLogs": "SigninLogs",
    "NonInteractiveUserSignInLogs": "AADNonInteractiveUserSignInLogs",
    "ServicePrincipalSignInLogs": "AADServicePrincipalSignInLogs",
    "ManagedIdentitySignInLogs": "AADManagedIdentitySignInLogs",
    "AuditLogs": "AuditLogs",
}
# Columns whose Log Analytics name is not the property name with a capital first letter.
_LOG_ANALYTICS_NAMES = {"ipAddress": "IPAddress"}


def _log_analytics(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """A diagnostic-settings query rewritten as rows of a Log Analytics table: TimeGenerated,
    TenantId, Type, then each property as a PascalCase column, nested values as JSON text
    (as the Log Analytics query API returns `dynamic` columns)."""
    names = _struct_fields(con, sql)
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in LOG_ANALYTICS_TABLES.items())
    cols = []
    for name, nested in names:
        column = _LOG_ANALYTICS_NAMES.get(name, name[:1].upper() + name[1:])
        value = f"properties.{name}"
        cols.append(f'{"to_json(" + value + ")::VARCHAR" if nested else value} AS "{column}"')
    if "correlationId" not in dict(names):  # a sign-in's correlation id sits outside
        cols.append("correlationId AS CorrelationId")
    return f"""SELECT strftime(time::TIMESTAMP, '%Y-%m-%dT%H:%M:%S.%fZ') AS TimeGenerated,
        tenantId AS TenantId, CASE category {cases} END AS Type, {", ".join(cols)}
        FROM ({sql})"""


def _struct_fields(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[str, bool]]:
    """The fields of the query's `properties` struct, and whether each is nested."""
    rel = con.sql(f"SELECT unnest(properties) FROM ({sql}) LIMIT 0")
    return [
        (name, str(kind).startswith(("STRUCT", "MAP")) or str(kind).endswith("]"))
        for name, kind in zip(rel.columns, rel.types, strict=True)
    ]


def _splunk(sql: str) -> str:
    """Okta LogEvents as a Splunk search exports them (`output_mode=json`): one object per
    line, the event's text in `result._raw`, sourcetype `OktaIM2:log` (Splunk Add-on for
    Okta Identity Cloud); `lastrow` is omitted (Splunk writes it on the last line only)."""
    return f"""SELECT false AS preview,
        row_number() OVER (ORDER BY t.published, t.uuid) - 1 AS "offset",
        {{'_raw': to_json(t)::VARCHAR, '_time': t.published, 'index': 'okta',
          'source': 'Okta', 'sourcetype': 'OktaIM2:log', 'host': 'okta.example.com'}}
          AS result
        FROM ({sql}) t"""


def write_cloudtrail(
    con: duckdb.DuckDBPyConnection, out: Path, pool: Executor | None = None, **params: object
) -> None:
    """Write one CloudTrail log file: `{"Records": [...]}`, gzip-compressed."""
    seed = params.pop("seed")
    _hash_view(con, str(seed), "cloudtrail")
    parts = {
        "session": _SESSION,
        "role_arn": _ROLE_ARN,
        "role_name": _ROLE_NAME,
        "subject": _SUBJECT,
    }
    parts = {
        k: v.replace("{account}", str(params["account"])).replace("{org}", str(params["org"]))
        for k, v in parts.items()
    }
    rec = CLOUDTRAIL_RECORD.format(
        uuid=_uuid("ev.h"), hash="ev.h", source=_SOURCE, **parts, **params
    )
    if not out.name.endswith(".json.gz"):  # a folder: the S3 delivery tree
        _cloudtrail_tree(con, rec, out, str(params["account"]), str(seed))
        return
    _copy(con, f"SELECT list(rec ORDER BY ts, seq) AS Records FROM ({rec})", out, True, pool)


def _cloudtrail_tree(
    con: duckdb.DuckDBPyConnection, rec: str, root: Path, account: str, seed: str
) -> None:
    """CloudTrail as it delivers to S3: per region, one `{"Records": [...]}` file about every
    five minutes, under `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`, named
    `<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<16 characters>.json.gz`."""
    staging = root / ".slots"
    shutil.rmtree(staging, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"""COPY (SELECT region, slot, list(rec ORDER BY ts, seq) AS Records
                  FROM (SELECT *, rec.awsRegion AS region,
                               strftime(time_bucket(INTERVAL 5 MINUTE, ts), '%Y%m%dT%H%MZ')
                                   AS slot
                        FROM ({rec}))
                  GROUP BY ALL)
            TO '{staging}' (FORMAT json, PARTITION_BY (region, slot))"""
    )
    for part in sorted(staging.glob("region=*/slot=*/*.json")):
        region = part.parent.parent.name.split("=", 1)[1]
        slot = part.parent.name.split("=", 1)[1]
        day = f"{slot[:4]}/{slot[4:6]}/{slot[6:8]}"
        tag = hashlib.sha256(f"{seed}/{region}/{slot}".encode()).hexdigest()[:16]
        name = f"{account}_CloudTrail_{region}_{slot}_{tag}.json.gz"
        dest = root / "AWSLogs" / account / "CloudTrail" / region / day / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        gzip_file(part, dest)
    shutil.rmtree(staging, ignore_errors=True)


def _copy(
    con: duckdb.DuckDBPyConnection, sql: str, out: Path, gzip: bool, pool: Executor | None = None
) -> None:
    """Write a query as NDJSON; gzip it with a fast level (DuckDB's own gzip is the slow part),
    on `pool` when given so that compression overlaps the next query."""
    if not gzip:
        con.execute(f"COPY ({sql}) TO '{out}' (FORMAT json)")
        return
    plain = out.with_name(out.name + ".part")
    con.execute(f"COPY ({sql}) TO '{plain}' (FORMAT json)")
    if pool is None:
        gzip_file(plain, out)
    else:
        pool.submit(gzip_file, plain, out)


def gzip_file(plain: Path, out: Path) -> None:
    """Compress `plain` into `out` and delete it; deterministic (no time or name in the header)."""
    try:
        z = zlib.compressobj(1, zlib.DEFLATED, 31)
        with open(plain, "rb") as src, open(out, "wb") as dst:
            while chunk := src.read(1 << 22):
                dst.write(z.compress(chunk))
            dst.write(z.flush())
    finally:
        plain.unlink(missing_ok=True)
