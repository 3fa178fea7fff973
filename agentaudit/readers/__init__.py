"""The registry of export readers: every module in this package that defines `READER`."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from agentaudit.containers import Sample
from agentaudit.readers.base import Reader


@cache
def all_readers() -> tuple[Reader, ...]:
    """Every reader, discovered from the modules of this package, in name order."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        reader = getattr(module, "READER", None)
        if isinstance(reader, Reader):
            found.append(reader)
    return tuple(sorted(found, key=lambda r: r.name))


def actor_kind_rows() -> list[tuple]:
    """(platform, vendor_type, kind, label, decides, rule, confidence, detail) of every actor
    type the readers declare; two readers of one platform must agree on a type."""
    rows: dict[tuple[str, str], tuple] = {}
    for reader in all_readers():
        for vendor_type, k in reader.actor_kinds.items():
            row = (
                reader.platform,
                vendor_type,
                k.kind,
                k.label,
                k.decides,
                k.rule,
                k.confidence,
                k.detail,
            )
            if rows.setdefault(row[:2], row) != row:
                raise ValueError(f"readers disagree on {reader.platform} actor type {vendor_type}")
    return sorted(rows.values())


def reader_rows() -> list[tuple]:
    """(format, platform, account_listing, created_accounts_are_workloads) per reader."""
    return [
        (r.name, r.platform or None, r.account_listing or None, r.created_accounts_are_workloads)
        for r in all_readers()
    ]


def by_name(name: str) -> Reader:
    """The reader of a format id (`okta_system_log`, `cloudtrail`, ...)."""
    for reader in all_readers():
        if reader.name == name:
            return reader
    raise KeyError(f"no reader named {name}; known: {', '.join(r.name for r in all_readers())}")


def detect(sample: Sample) -> Reader | None:
    """The reader whose format the sample shows, or None when no reader recognises it."""
    for reader in all_readers():
        if sample.record_container in reader.containers and reader.detect(sample):
            return reader
    return None


def _keys_of(reader: Reader) -> set[str]:
    """The top-level keys a reader's field paths name (under `properties` too), lower-cased."""
    keys = set()
    for paths in reader.fields.values():
        for path in paths:
            parts = [p.strip('"') for p in path.removeprefix("$.").split(".")]
            head = parts[1] if parts[0] == "properties" and len(parts) > 1 else parts[0]
            keys.add(head.split("[", 1)[0].lower())
    return keys | {c.lower() for c in reader.required_columns}


def closest(sample: Sample) -> tuple[Reader, list[str]] | None:
    """The reader whose fields the sample's first record (or CSV header) shares most, and the
    keys they share; None when it shares none."""
    first = sample.first or {}
    props = first.get("properties") if isinstance(first.get("properties"), dict) else {}
    written = {k.lower(): k for k in [*props, *sample.keys()]}  # the keys as the file writes them
    best: tuple[float, Reader, list[str]] | None = None
    for reader in all_readers():
        wanted = _keys_of(reader)
        shared = sorted(written[k] for k in set(written) & wanted)
        score = len(shared) / max(len(wanted), 1)
        if shared and (best is None or score > best[0]):
            best = (score, reader, shared)
    return (best[1], best[2]) if best else None


def explain_refusal(sample: Sample) -> str:
    """Why no reader took a file: the closest format, what it shares and what it expects."""
    near = closest(sample)
    if near is None:
        return ""
    reader, shared = near
    expects = " and ".join(x for x in (reader.time_field, reader.actor_field) if x)
    if reader.required_columns:
        expects = "the columns " + ", ".join(reader.required_columns)
    return f"closest: {reader.title} [{reader.name}], sharing {', '.join(shared[:8])}" + (
        f"; it expects {expects}" if expects else ""
    )


def accepted_formats() -> str:
    """A one-line list of the formats agentaudit reads, for error messages."""
    return "; ".join(f"{r.title} [{r.name}]" for r in all_readers())
