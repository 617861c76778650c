"""What a user types (`smollm2-135m`, `openai:gpt-4o-mini`, `llama.cpp:/m.gguf`, `hf:/dir`) -> a Model."""

from __future__ import annotations

import importlib
from typing import Any

from assay.core.errors import UnknownNameError
from assay.core.protocols import Model
from assay.core.registry import model_aliases, model_backends
from assay.core.types import ModelSpec

# Importing a backend module registers it; heavy libraries are only imported when a model is built.
_BACKEND_MODULES = (
    "assay.models.llamacpp",
    "assay.models.openai_compat",
    "assay.models.hf_transformers",
    "assay.models.zoo",
)
_PREFIX_ARG = {"llama.cpp": "path", "gguf": "path", "hf": "path", "openai": "model"}


def load_backends() -> None:
    for module in _BACKEND_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:  # an optional backend whose module is absent
            continue


def parse_model(text: str, args: dict[str, Any] | None = None) -> ModelSpec:
    """`alias` or `backend:target`; extra `args` (e.g. base_url) are merged in."""
    load_backends()
    extra = dict(args or {})
    if text in model_aliases:
        base = model_aliases.get(text)()
        assert isinstance(base, ModelSpec)
        return ModelSpec(
            name=base.name, backend=base.backend, args=tuple({**dict(base.args), **extra}.items())
        )
    backend, sep, target = text.partition(":")
    if sep and backend in _PREFIX_ARG and target:
        backend = "llama.cpp" if backend == "gguf" else backend
        merged = {_PREFIX_ARG[backend]: target, **extra}
        return ModelSpec(name=text, backend=backend, args=tuple(merged.items()))
    known = ", ".join(model_aliases.names())
    raise UnknownNameError(
        f"unknown model {text!r}: use a built-in model ({known}) or "
        "openai:NAME, llama.cpp:/path/model.gguf, hf:/path/to/dir"
    )


def build_model(spec: ModelSpec) -> Model:
    load_backends()
    model = model_backends.get(spec.backend)(spec)
    assert isinstance(model, Model)
    return model
