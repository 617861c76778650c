"""Perturbations of a task's text inputs, for HELM's robustness and fairness metrics.

Importing this package registers the built-ins: robustness (typos, lowercase, whitespace,
contractions, expansions, synonyms) and fairness (dialect, gender, names). A plugin adds its own with
`assay.tasks.perturb.register(name, group, description)` on a `rewrite(text, rng) -> text` function.
"""

from assay.tasks.perturb import fairness, robustness
from assay.tasks.perturb.base import (
    GROUPS,
    Perturbation,
    get_perturbation,
    perturbation_seed,
    register,
    resolve,
)
from assay.tasks.perturb.task import PerturbedTask, perturbation_of, perturbed, perturbed_copies

__all__ = [
    "GROUPS",
    "Perturbation",
    "PerturbedTask",
    "fairness",
    "get_perturbation",
    "perturbation_of",
    "perturbation_seed",
    "perturbed",
    "perturbed_copies",
    "register",
    "resolve",
    "robustness",
]
