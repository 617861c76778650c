"""Model backends behind one async `Model` protocol."""

from assay.models.defaults import default_models
from assay.models.resolve import build_model, parse_model

__all__ = ["build_model", "default_models", "parse_model"]
