"""Errors of the rating functions: bad battles or data that cannot be rated, in one line each."""

from __future__ import annotations

from assay.core.errors import AssayError


class RatingError(AssayError):
    """Battles that cannot be rated as given (unknown outcome, self-battle, no data, unbounded MLE)."""


class DisconnectedComparisonError(RatingError):
    """The models fall into groups that never met: their ratings are not on one scale."""

    def __init__(self, message: str, components: list[list[str]]) -> None:
        super().__init__(message)
        self.components = components
