"""What a task wrapper passes through unchanged: a wrapper (circular rotations, perturbed copies)
changes the samples a task yields, never how a sample is asked or scored."""

from __future__ import annotations

from typing import Any

from assay.core.types import Request, Response, Sample, Score


class TaskWrapper:
    """Delegates version, output type, metrics, requests and scoring to `inner`."""

    inner: Any

    @property
    def version(self) -> str:
        return str(self.inner.version)

    @property
    def output_type(self) -> str:
        return str(self.inner.output_type)

    @property
    def metric_names(self) -> tuple[str, ...]:
        return tuple(self.inner.metric_names)

    def build_request(self, sample: Sample, *, chat: bool) -> Request:
        request: Request = self.inner.build_request(sample, chat=chat)
        return request

    def score(self, sample: Sample, response: Response) -> Score:
        score: Score = self.inner.score(sample, response)
        return score
