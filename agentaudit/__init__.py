"""agentaudit: audit how an enterprise manages its non-human identities from exported logs.

The public API: `ingest()` loads exports into a DuckDB audit database; `connect()` opens one.
"""

__version__ = "0.1.0"

from agentaudit.db import connect  # noqa: E402
from agentaudit.ingest import FileResult, IngestResult, ingest  # noqa: E402

__all__ = ["FileResult", "IngestResult", "__version__", "connect", "ingest"]
