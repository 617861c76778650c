"""Error types. `AssayError` and its children are user-facing: the CLI prints the message, no traceback."""

from __future__ import annotations


class AssayError(Exception):
    """A problem the user can fix (bad input, missing file, unreachable server). One clear line."""


class UnknownNameError(AssayError):
    """A model, task or metric name that no registry knows."""


class DatasetError(AssayError):
    """A dataset that cannot be read, or a row that does not fit the task."""


class ConfigError(AssayError):
    """A spec or YAML file that is malformed or points at the wrong thing."""


class StoreError(AssayError):
    """The results store cannot be opened or written (locked, full disk, bad URL)."""


class SandboxError(AssayError):
    """Code execution was refused or could not be set up safely."""


class ModelRequestError(Exception):
    """One request to a model failed.

    `retryable` is the backend's verdict (timeouts, 408/429/5xx, dropped connections);
    `retry_after` carries a server's Retry-After in seconds when it sent one.
    """

    def __init__(
        self, reason: str, *, retryable: bool, retry_after: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


class ModelUnsupportedError(AssayError):
    """The backend cannot serve this kind of request (e.g. log-likelihood from a chat-only server)."""
