"""OCSF class and activity ids, taken from the OCSF schema (not typed by hand), for readers.

`ocsf_classes.json` is extracted from the OCSF schema repository (github.com/ocsf/ocsf-schema,
Apache-2.0) at the release named in it: `python -m agentaudit.readers.ocsf_ids <schema-dir>`
writes it again. A reader names an activity by its OCSF captions ("Authentication", "Logon");
`activity_sql` turns its rules into the `class_uid` and `activity_id` expressions.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path

CLASSES_FILE = Path(__file__).with_name("ocsf_classes.json")
# The classes an identity audit reads: IAM (category 3) and API activity (category 6).
EXTRACTED = (
    "events/iam/account_change.json",
    "events/iam/authentication.json",
    "events/iam/authorize_session.json",
    "events/iam/entity_management.json",
    "events/iam/group_management.json",
    "events/iam/user_access.json",
    "events/application/api_activity.json",
)
_BASE_ACTIVITIES = {"0": "Unknown", "99": "Other"}  # base_event's, shared by every class


@cache
def classes() -> dict[str, dict]:
    """Class caption -> {"class_uid": n, "activities": {caption: id}}."""
    data = json.loads(CLASSES_FILE.read_text(encoding="utf-8"))
    return data["classes"]


def ids(class_caption: str, activity: str) -> tuple[int, int]:
    """(class_uid, activity_id) of an OCSF activity named by captions; KeyError names the
    captions OCSF has when one is unknown (a typo in a reader must not pass silently)."""
    known = classes()
    if class_caption not in known:
        raise KeyError(f"no OCSF class {class_caption!r}; known: {', '.join(known)}")
    acts = known[class_caption]["activities"]
    if activity not in acts:
        raise KeyError(
            f"OCSF {class_caption} has no activity {activity!r}; known: {', '.join(acts)}"
        )
    return known[class_caption]["class_uid"], acts[activity]


def activity_sql(rules: list[tuple[str, str, str]]) -> dict[str, str]:
    """The `class_uid` and `activity_id` expressions of a reader's rules, the first rule whose
    SQL condition holds deciding; (condition, class caption, activity caption) each.

    One CASE per record yields `class_uid * 100 + activity_id` (activity ids stay below
    100), read back by both columns: `vocabulary.facts_sql` names it `_ocsf`."""
    if not rules:
        return {}
    whens = " ".join(
        f"WHEN {cond} THEN {uid * 100 + act}"
        for cond, (uid, act) in ((c, ids(cls, a)) for c, cls, a in rules)
    )
    return {"_ocsf": f"CASE {whens} END", "class_uid": "_ocsf // 100", "activity_id": "_ocsf % 100"}


def extract(schema_dir: Path) -> dict:
    """The classes of `EXTRACTED` from an OCSF schema checkout, as ocsf_classes.json holds them."""
    categories = json.loads((schema_dir / "categories.json").read_text())["attributes"]
    version = json.loads((schema_dir / "version.json").read_text())["version"]
    out: dict[str, dict] = {}
    for rel in EXTRACTED:
        spec = json.loads((schema_dir / rel).read_text())
        category = rel.split("/")[1]
        uid = categories[category]["uid"] * 1000 + spec["uid"]
        enum = {**_BASE_ACTIVITIES, **spec["attributes"]["activity_id"]["enum"]}
        out[spec["caption"]] = {
            "class_uid": uid,
            "name": spec["name"],
            "activities": {
                (v["caption"] if isinstance(v, dict) else v): int(k)
                for k, v in sorted(enum.items(), key=lambda kv: int(kv[0]))
            },
        }
    return {"source": "github.com/ocsf/ocsf-schema", "version": version, "classes": out}


if __name__ == "__main__":  # pragma: no cover - run by hand against a schema checkout
    CLASSES_FILE.write_text(json.dumps(extract(Path(sys.argv[1])), indent=2) + "\n")
