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


def accepted_formats() -> str:
    """A one-line list of the formats agentaudit reads, for error messages."""
    return "; ".join(f"{r.title} [{r.name}]" for r in all_readers())
