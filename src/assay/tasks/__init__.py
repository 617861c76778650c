"""Tasks: datasets, prompts, answer extraction. Importing this package registers the built-in tasks."""

from assay.tasks import arithmetic_mc, bigbench, code, gsm8k, library, perturb, spec, suites, toxicity

__all__ = ["arithmetic_mc", "bigbench", "code", "gsm8k", "library", "perturb", "spec", "suites", "toxicity"]
