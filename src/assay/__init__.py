"""assay: evaluate, rank and audit AI foundation models."""

__version__ = "0.1.0"
