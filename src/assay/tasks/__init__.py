"""Tasks: datasets, prompts, answer extraction. Importing this package registers the built-in tasks."""

from assay.tasks import agent, arithmetic_mc, bigbench, code, gsm8k, library, perturb, spec, suites, toxicity

__all__ = [
    "agent",
    "arithmetic_mc",
    "bigbench",
    "code",
    "gsm8k",
    "library",
    "perturb",
    "spec",
    "suites",
    "toxicity",
]
