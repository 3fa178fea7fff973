"""Errors agentaudit raises: each names the file, the record and what was expected."""

from __future__ import annotations


class AgentAuditError(Exception):
    """Base class for every error agentaudit reports to its user."""


class InputError(AgentAuditError):
    """An input file, or one record in it, is not what agentaudit expected."""

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
