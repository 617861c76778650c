"""The models a run uses when the user names none: both built-in GGUF models where installed."""

from __future__ import annotations

from assay.models.zoo import qwen_available


def default_models() -> list[str]:
    return ["smollm2-135m", *(["qwen2.5-coder-0.5b"] if qwen_available() else [])]
