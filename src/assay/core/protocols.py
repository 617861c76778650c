"""The small contracts at the centre: a Model answers requests, a Task makes them and scores answers.

A backend subclasses `Model` explicitly to inherit its default `stream`; a class that only matches
the protocol's shape must write every method, `stream` included.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any, Literal, Protocol, runtime_checkable

from assay.core.types import (
    GenerateRequest,
    Generation,
    LoglikelihoodRequest,
    LoglikelihoodResult,
    Request,
    Response,
    Sample,
    Score,
)


@runtime_checkable
class Model(Protocol):
    name: str
    # Everything that changes answers: backend, model name, revision or file hash, server URL.
    identity: dict[str, Any]
    # Requests in flight at once for this backend.
    max_concurrency: int

    async def generate(self, request: GenerateRequest) -> Generation: ...

    async def stream(self, request: GenerateRequest) -> AsyncIterator[str]:
        """The answer's text in pieces as they are made; joined, they are the text `generate` gives.

        This default waits for `generate` and yields its whole text once (an empty answer included),
        for backends that cannot stream. A consumer that stops iterating early may stop the work.
        """
        yield (await self.generate(request)).text

    async def loglikelihood(self, request: LoglikelihoodRequest) -> LoglikelihoodResult: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class Task(Protocol):
    name: str
    version: str
    output_type: Literal["generate", "multiple_choice"]
    # Metric names this task reports; the first is its headline metric.
    metric_names: tuple[str, ...]

    def samples(self) -> Iterable[Sample]: ...

    def build_request(self, sample: Sample, *, chat: bool) -> Request: ...

    def score(self, sample: Sample, response: Response) -> Score: ...
