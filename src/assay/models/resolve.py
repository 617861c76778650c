"""What a user types (`smollm2-135m`, `openai:gpt-4o-mini`, `llama.cpp:/m.gguf`, `hf:/dir`, or a
plugin's `mybackend:target`) -> a Model. The registries fill themselves (built-ins and plugins)."""

from __future__ import annotations

from typing import Any

from assay.core.errors import AssayError, UnknownNameError
from assay.core.protocols import Model
from assay.core.registry import model_aliases, model_backends
from assay.core.types import ModelSpec

# Which backend argument the text after "backend:" fills; a plugin's backend receives it as "target".
_PREFIX_ARG = {"llama.cpp": "path", "hf": "path", "openai": "model"}
_PREFIX_ALIAS = {"gguf": "llama.cpp"}
_MODEL_MEMBERS = ("name", "identity", "max_concurrency", "generate", "stream", "loglikelihood", "aclose")


def parse_model(text: str, args: dict[str, Any] | None = None) -> ModelSpec:
    """`alias` or `backend:target`; extra `args` (e.g. base_url) are merged in."""
    extra = dict(args or {})
    if text in model_aliases:
        base = model_aliases.get(text)()
        assert isinstance(base, ModelSpec)
        return ModelSpec(
            name=base.name, backend=base.backend, args=tuple({**dict(base.args), **extra}.items())
        )
    prefix, sep, target = text.partition(":")
    backend = _PREFIX_ALIAS.get(prefix, prefix)
    if sep and target and backend in model_backends:
        merged = {_PREFIX_ARG.get(backend, "target"): target, **extra}
        return ModelSpec(name=text, backend=backend, args=tuple(merged.items()))
    known = ", ".join(model_aliases.names())
    plugins = [b for b in model_backends.names() if b not in _PREFIX_ARG]
    more = f", or a plugin's {', '.join(f'{b}:TARGET' for b in plugins)}" if plugins else ""
    raise UnknownNameError(
        f"unknown model {text!r}: use a built-in model ({known}) or "
        f"openai:NAME, llama.cpp:/path/model.gguf, hf:/path/to/dir{more}"
    )


def build_model(spec: ModelSpec) -> Model:
    model = model_backends.get(spec.backend)(spec)
    if not isinstance(model, Model):
        # A plugin's backend: callers rely on every Model member, `stream` included.
        missing = ", ".join(name for name in _MODEL_MEMBERS if not hasattr(model, name))
        raise AssayError(
            f"model backend {spec.backend!r} built a {type(model).__name__}, which is not a Model "
            f"(missing: {missing}); subclass assay.core.Model to inherit its defaults"
        )
    return model
