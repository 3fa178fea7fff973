"""The consultant's review of the classification: `identity_review.csv` lists every identity
with the decision, its confidence, the rule and the evidence; the consultant edits `decision`
(with a reason and their name) and passes the file back as `--overrides`. An override decides
that identity's class and says so, with who and why, wherever the identity appears."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from agentaudit.errors import InputError

DECISIONS = ("human", "external_human", "nhi", "unresolved")
REVIEW_COLUMNS = (
    "identity_key",
    "name",
    "platform",
    "kind",
    "decision",
    "confidence",
    "rule",
    "evidence",
    "reason",
    "reviewer",
)
REQUIRED = ("identity_key", "decision", "reason")


@dataclass(frozen=True)
class Override:
    """One consultant decision about one identity (`reason` empty: a review row left as the
    rules decided it, which must then match the rules' decision)."""

    identity_key: str
    decision: str
    reason: str
    reviewer: str | None
    line: int


def load_overrides(path: str | Path) -> list[Override]:
    """Read an overrides file: the exported review file, or just `identity_key,decision,
    reason,reviewer`. Every problem names the line."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(str(p), f"cannot read the overrides file: {exc}") from exc
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = raw.decode("utf-16")
    else:
        text = raw.decode("utf-8-sig", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("identity_key", "decision") if c not in header]
    if missing:
        raise InputError(
            str(p),
            f"line 1: missing column(s) {', '.join(missing)}; expected at least "
            "identity_key,decision,reason,reviewer",
        )
    exported = "rule" in header  # the full review file: untouched rows carry no reason
    out: dict[str, Override] = {}
    for line, row in enumerate(reader, start=2):
        r = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        key, decision = r.get("identity_key", ""), r.get("decision", "").lower()
        reason, reviewer = r.get("reason", ""), r.get("reviewer") or None
        if not key and not decision:
            continue
        if not key:
            raise InputError(str(p), f"line {line}: no identity_key")
        if decision not in DECISIONS:
            raise InputError(
                str(p),
                f"line {line}: decision {decision!r} for {key!r} is not one of "
                f"{', '.join(DECISIONS)}",
            )
        if not reason and not exported:
            raise InputError(str(p), f"line {line}: the override of {key!r} needs a reason")
        if key in out:
            raise InputError(
                str(p),
                f"line {line}: {key!r} appears twice (first on line {out[key].line})",
            )
        out[key] = Override(key, decision, reason, reviewer, line)
    return list(out.values())


def check_overrides(path: str | Path, overrides: list[Override], known: set[str]) -> list[Override]:
    """Check that each row names an identity of the database; return the rows that change
    something (those with a reason)."""
    for o in overrides:
        if o.identity_key not in known:
            raise InputError(
                str(path),
                f"line {o.line}: identity_key {o.identity_key!r} is not an identity of this "
                "database",
            )
    return [o for o in overrides if o.reason]


def check_unchanged(path: str | Path, overrides: list[Override], decided: dict[str, str]) -> None:
    """A review row with no reason must keep the rules' decision (`decided`): a changed
    decision needs a reason."""
    for o in overrides:
        if not o.reason and o.decision != decided.get(o.identity_key):
            raise InputError(
                str(path),
                f"line {o.line}: {o.identity_key!r} changed from "
                f"{decided.get(o.identity_key)!r} to {o.decision!r} with no reason; say why in "
                "the reason column",
            )


__all__ = [
    "DECISIONS",
    "REVIEW_COLUMNS",
    "Override",
    "check_overrides",
    "check_unchanged",
    "load_overrides",
]
