"""Model backends behind one async `Model` protocol."""

from assay.models.resolve import build_model, load_backends, parse_model

__all__ = ["build_model", "load_backends", "parse_model"]
