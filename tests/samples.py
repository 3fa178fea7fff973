"""Helpers for tests over the real public samples in ../shared/samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO.parent / "shared" / "samples"

needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples not present")


def panther_events(yml: Path) -> list[dict]:
    """The sample events of a Panther rule YAML (`Tests[].Log`) or test scenario (`Logs:`)."""
    doc = yaml.safe_load(yml.read_text(encoding="utf-8"))
    if "Logs" in doc:
        return [e for e in doc["Logs"] if isinstance(e, dict)]
    return [t["Log"] for t in doc.get("Tests", []) if isinstance(t.get("Log"), dict)]


def write_ndjson(events: list[dict], out: Path) -> Path:
    """Write events one JSON object per line (the container Okta and Graph exports use)."""
    out.write_text("".join(json.dumps(e, default=str) + "\n" for e in events), encoding="utf-8")
    return out


def panther_folder(folder: str, tmp_path: Path) -> Path:
    """Extract every Panther YAML under samples/<folder> to one NDJSON file per YAML."""
    dest = tmp_path / folder
    dest.mkdir(parents=True, exist_ok=True)
    for yml in sorted((SAMPLES / folder).rglob("*.yml")):
        write_ndjson(panther_events(yml), dest / (yml.stem + ".json"))
    return dest
