"""The Model protocol as a third-party backend meets it: defaults by subclassing, a clear error without."""

import asyncio

import pytest

from assay.core import Model
from assay.core.errors import AssayError
from assay.core.registry import model_backends
from assay.core.types import GenerateRequest, Generation, ModelSpec
from assay.models import build_model


class Shapeless:
    """Matches the protocol's shape as it was before streaming: no `stream`, and not a subclass."""

    def __init__(self):
        self.name = "shapeless"
        self.identity = {"backend": "shapeless"}
        self.max_concurrency = 1

    async def generate(self, request):
        return Generation(text="hello")

    async def loglikelihood(self, request):
        raise NotImplementedError

    async def aclose(self):
        pass


class Subclassed(Shapeless, Model):
    """The same backend, subclassing Model: it inherits the default `stream`."""


def backend(cls):
    name = f"test-{cls.__name__.lower()}"
    model_backends.add(name, lambda spec: cls(), replace=True)
    return ModelSpec(name="m", backend=name)


def test_a_backend_that_subclasses_model_streams_by_default():
    model = build_model(backend(Subclassed))

    async def pieces():
        return [piece async for piece in model.stream(GenerateRequest(prompt="hi"))]

    assert asyncio.run(pieces()) == ["hello"]


def test_a_backend_without_stream_is_refused_with_one_line_naming_it():
    with pytest.raises(AssayError) as info:
        build_model(backend(Shapeless))
    message = str(info.value)
    assert "'test-shapeless' built a Shapeless, which is not a Model (missing: stream)" in message
    assert "subclass assay.core.Model" in message and "\n" not in message
