"""The assessment reads only the canonical vocabulary: no metric, check or macro names a
vendor's event, actor type or export format, or reads a record's raw text (docs/schema.md).

A vendor literal is a string the readers write in their SQL (where vendor knowledge lives)
that is not a declared value of the vocabulary (agentaudit/readers/vocabulary.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import sqlglot
from sqlglot import exp

from agentaudit.assess import checks as checks_pkg
from agentaudit.assess import views
from agentaudit.readers import all_readers, vocabulary

ROOT = Path(__file__).resolve().parents[1]
READERS = ROOT / "agentaudit" / "readers"


# A vendor's names: event types, actor types, key prefixes ("ConsoleLogin",
# "oauth_access.create", "AssumedRole", "github:oauth_app:"); not punctuation, patterns or
# plain lower-case words, which the SQL shares with every language.
_VENDORISH = re.compile(r"^[A-Za-z][A-Za-z0-9_ .:\-\[\]]*$")


def _reader_literals() -> set[str]:
    """Every vendor-like quoted string in the readers' source: their vendor knowledge."""
    found: set[str] = set()
    for path in READERS.glob("*.py"):
        if path.name in {"vocabulary.py", "ocsf_ids.py", "__init__.py"}:
            continue
        for value in re.findall(r"'([^'\n]{2,})'", path.read_text(encoding="utf-8")):
            if _VENDORISH.match(value) and re.search(r"[A-Z.:]", value):
                found.add(value)
    return found


def _event_formats() -> set[str]:
    """The formats whose rows are events (a roster or alerts file is named as a source)."""
    return {r.name for r in all_readers() if r.target == "events"}


def _assessment_sql() -> list[tuple[str, str]]:
    """(where, statement) for every metric view, the macros, and every check."""
    out = [
        (f"{name}:{view}", stmt)
        for name, text in views.sql_files()
        for view, stmt in views.statements(text)
    ]
    out += [(f"check {c.id}", c.sql) for c in checks_pkg.all_checks()]
    return out


def _excluded(col: exp.Column) -> bool:
    """A column named in `* EXCLUDE (...)`: left out, not read."""
    star = col.find_ancestor(exp.Star)
    return star is not None and any(
        c is col for c in (star.args.get("except_") or star.args.get("except") or [])
    )


def _violations(where: str, sql: str, vendor: set[str], formats: set[str]) -> list[str]:
    tree = sqlglot.parse_one(sql, read="duckdb")
    bad = []
    for col in tree.find_all(exp.Column):
        if col.name.lower() == "raw" and not _excluded(col):
            bad.append(f"{where}: reads raw ({col.sql()})")
    for lit in tree.find_all(exp.Literal):
        if not lit.is_string:
            continue
        value = lit.this
        if value in formats:
            bad.append(f"{where}: names the export format {value!r}")
        elif value in vendor:
            bad.append(f"{where}: names the vendor value {value!r}")
    return bad


def _vendor_values() -> set[str]:
    """The readers' vendor names that are neither vocabulary nor an export format."""
    return _reader_literals() - vocabulary.declared_values() - _event_formats()


def test_no_metric_or_check_names_a_vendor_event_a_format_or_raw():
    formats, vendor = _event_formats(), _vendor_values()
    problems = []
    for where, sql in _assessment_sql():
        problems += _violations(where, sql, vendor, formats)
    assert not problems, "\n".join(problems)


def test_the_guard_catches_what_it_is_for():
    formats, vendor = _event_formats(), _vendor_values()
    sql = (
        "SELECT raw::JSON->>'x' FROM events WHERE event_type = 'ConsoleLogin' "
        "AND source_format = 'entra_audit'"
    )
    found = _violations("example", sql, vendor, formats)
    assert len(found) == 3, found
