"""AWS IAM credential report: the 22-column CSV, or the `get-credential-report` JSON whose
`Content` holds that CSV as plain text or base64. One row per IAM user (and the root account)."""

from __future__ import annotations

import base64
import binascii

from agentaudit.containers import Sample, sniff, temp_path
from agentaudit.errors import InputError
from agentaudit.readers.base import Reader
from agentaudit.readers.cloudtrail import ACTOR_KINDS

REQUIRED = ("user", "arn", "user_creation_time", "password_enabled", "access_key_1_active")


def detect(sample: Sample) -> bool:
    if sample.container == "csv":
        return set(REQUIRED) <= set(sample.header or [])
    doc = sample.document
    return isinstance(doc, dict) and "Content" in doc and "ReportFormat" in doc


def unwrap(sample: Sample) -> Sample:
    """Turn the JSON response into the CSV it carries (base64 or plain text)."""
    if sample.container == "csv":
        return sample
    content = str(sample.document.get("Content", ""))
    text = content
    if not content.lstrip().startswith("user,"):
        try:
            text = base64.b64decode(content, validate=True).decode("utf-8-sig")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise InputError(
                str(sample.path), "Content is neither the credential report CSV nor base64 of it"
            ) from exc
    out = temp_path(".csv")
    out.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    inner = sniff(out)
    inner.path = sample.path
    inner.notes.append("CSV unwrapped from the get-credential-report JSON")
    return inner


FIELDS = {
    "user_name": ("$.user",),
    "arn": ("$.arn",),
    "created": ("$.user_creation_time",),
}

MAPPING = """
    user_name, arn,
    CASE WHEN user_name IS NULL THEN 'missing user'
         WHEN arn IS NULL THEN 'missing arn'
         WHEN arn NOT LIKE 'arn:%' THEN 'arn is not an ARN: ' || arn
         WHEN created IS NOT NULL AND aa_ts(created) IS NULL
              THEN 'unparseable user_creation_time ' || created
    END AS invalid
"""

USERS = """
INSERT INTO _extra_identities
SELECT 'aws:' || (j->>'arn'), 'aws', j->>'arn', j->>'user', NULL,
       CASE WHEN j->>'user' = '<root_account>' THEN 'Root' ELSE 'IAMUser' END,
       aa_ts(j->>'user_creation_time'), aa_bool(j->>'password_enabled'),
       aa_bool(j->>'mfa_active'),
       greatest(aa_ts(j->>'password_last_used'), aa_ts(j->>'access_key_1_last_used_date'),
                aa_ts(j->>'access_key_2_last_used_date')),
       'aws_credential_report', file_id
FROM (SELECT *, raw::JSON AS j FROM _staged WHERE reject_reason IS NULL)
"""

_SLOT = """
SELECT 'aws:' || (j->>'arn') || '#{slot}', 'aws', (j->>'user') || '#{slot}', '{kind}',
       'aws:' || (j->>'arn'),
       CASE WHEN aa_bool(j->>'{active}') THEN 'active' ELSE 'inactive' END,
       aa_ts(j->>'{rotated}'), NULL, NULL, {used}, 'aws_credential_report', file_id
FROM (SELECT *, raw::JSON AS j FROM _staged WHERE reject_reason IS NULL)
WHERE aa_bool(j->>'{active}') OR aa_ts(j->>'{rotated}') IS NOT NULL
"""
CREDENTIALS = "INSERT INTO _extra_credentials " + " UNION ALL ".join(
    [
        _SLOT.format(
            slot=f"access_key_{n}",
            kind="access_key",
            active=f"access_key_{n}_active",
            rotated=f"access_key_{n}_last_rotated",
            used=f"aa_ts(j->>'access_key_{n}_last_used_date')",
        )
        for n in (1, 2)
    ]
    + [
        _SLOT.format(
            slot=f"cert_{n}",
            kind="certificate",
            active=f"cert_{n}_active",
            rotated=f"cert_{n}_last_rotated",
            used="NULL",
        )
        for n in (1, 2)
    ]
    + [
        _SLOT.format(
            slot="password",
            kind="password",
            active="password_enabled",
            rotated="password_last_changed",
            used="aa_ts(j->>'password_last_used')",
        )
    ]
)

READER = Reader(
    name="aws_credential_report",
    platform="aws",
    title="AWS IAM credential report",
    target="extras",
    detect=detect,
    fields=FIELDS,
    columns_sql=MAPPING,
    required_columns=REQUIRED,
    containers=("csv", "json_document"),
    prepare=unwrap,
    extra_sql=(USERS, CREDENTIALS),
    actor_kinds={k: ACTOR_KINDS[k] for k in ("IAMUser", "Root")},
    account_listing="credential report",
)
