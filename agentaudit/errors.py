"""Errors agentaudit raises: each names the file, the record and what was expected."""

from __future__ import annotations


class AgentAuditError(Exception):
    """Base class for every error agentaudit reports to its user: the CLI prints it as one
    line and exits with its `exit_code`."""

    exit_code = 1


class InputError(AgentAuditError):
    """An input file, or one record in it, is not what agentaudit expected."""

    exit_code = 2

    def __init__(self, path: str, message: str, record_no: int | None = None) -> None:
        self.path = path
        self.record_no = record_no
        self.message = message
        where = f"{path}, record {record_no}" if record_no is not None else path
        super().__init__(f"{where}: {message}")


class UnknownFormatError(InputError):
    """A file whose content matches none of the readers."""


class DatabaseError(AgentAuditError):
    """The audit database could not be opened or written."""

    exit_code = 3


class DatabaseLockedError(DatabaseError):
    """Another process holds the audit database open for writing."""


class BundleError(AgentAuditError):
    """A folder is not an assessment bundle this agentaudit reads."""

    exit_code = 2


class ReportError(AgentAuditError):
    """The report could not be rendered (the notebook, the HTML or the PDF step)."""

    exit_code = 4


class NotebookError(ReportError):
    """A cell of the report notebook failed."""
