"""Frozen records, protocols, registries and errors. Depends on the standard library only."""

from assay.core.errors import (
    AssayError,
    ConfigError,
    DatasetError,
    ModelRequestError,
    ModelUnsupportedError,
    StoreError,
    UnknownNameError,
)
from assay.core.protocols import Model, Task
from assay.core.types import (
    ContinuationScore,
    GenerateRequest,
    Generation,
    GenerationParams,
    LoglikelihoodRequest,
    LoglikelihoodResult,
    Message,
    ModelSpec,
    Request,
    Response,
    Sample,
    Score,
)

__all__ = [
    "AssayError",
    "ConfigError",
    "ContinuationScore",
    "DatasetError",
    "GenerateRequest",
    "Generation",
    "GenerationParams",
    "LoglikelihoodRequest",
    "LoglikelihoodResult",
    "Message",
    "Model",
    "ModelRequestError",
    "ModelSpec",
    "ModelUnsupportedError",
    "Request",
    "Response",
    "Sample",
    "Score",
    "StoreError",
    "Task",
    "UnknownNameError",
]
