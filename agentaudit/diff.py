"""Compare two assessments (their JSON): level, criteria, KPIs and findings by fingerprint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agentaudit.errors import InputError

KPIS = ("nhi_count", "human_count", "ai_agent_count", "nhi_to_human_ratio")


def load(path: str | Path) -> dict[str, Any]:
    """An assessment's JSON contract: an assessment.json, or a bundle folder holding one."""
    path = Path(path)
    if path.is_dir():
        path = path / "assessment.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(
            str(path),
            f"not an assessment's JSON ({type(exc).__name__}); expected the output of "
            "`agentaudit assess --format json` or an assessment bundle",
        ) from exc
    if not isinstance(data, dict) or "criteria" not in data:
        raise InputError(str(path), "JSON without `criteria`: not an assessment's JSON")
    return data


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What changed from `old` to `new` (assessment JSON documents)."""
    criteria = {}
    for cid in sorted(set(old["criteria"]) | set(new["criteria"])):
        a, b = old["criteria"].get(cid, {}), new["criteria"].get(cid, {})
        if a.get("status") != b.get("status") or a.get("value") != b.get("value"):
            criteria[cid] = {
                "old": {"status": a.get("status"), "value": a.get("value")},
                "new": {"status": b.get("status"), "value": b.get("value")},
            }
    old_f = set(old.get("finding_fingerprints", []))
    new_f = set(new.get("finding_fingerprints", []))
    sets = {}
    for key in ("shadow_agents", "orphaned_nhis", "dormant_nhis"):
        a, b = set(old.get(key, [])), set(new.get(key, []))
        sets[key] = {"new": sorted(b - a), "resolved": sorted(a - b)}
    return {
        "level": {"old": old["level"], "new": new["level"], "change": new["level"] - old["level"]},
        "first_failing_criterion": {
            "old": old["first_failing_criterion"],
            "new": new["first_failing_criterion"],
        },
        "criteria": criteria,
        "kpis": {
            k: {"old": old.get(k), "new": new.get(k)} for k in KPIS if old.get(k) != new.get(k)
        },
        "findings": {
            "new": sorted(new_f - old_f),
            "resolved": sorted(old_f - new_f),
            "still_open": sorted(old_f & new_f),
            "by_check": {
                k: {
                    "old": old["findings"].get(k, {}).get("count", 0),
                    "new": new["findings"].get(k, {}).get("count", 0),
                }
                for k in sorted(set(old["findings"]) | set(new["findings"]))
            },
        },
        "sets": sets,
    }
