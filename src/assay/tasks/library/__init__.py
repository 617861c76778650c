"""Built-in benchmarks: MMLU, ARC, HellaSwag, BoolQ, MATH, TruthfulQA MC1/MC2, HaluEval, GPQA, BBQ, HHH,
C-Eval, CMMLU. Importing this package registers them."""

from assay.tasks.library import (
    aggregates,
    bigbench_suites,
    chinese,
    gpqa,
    halueval,
    math_problems,
    mmlu,
    reading,
    truthfulqa,
)

__all__ = [
    "aggregates",
    "bigbench_suites",
    "chinese",
    "gpqa",
    "halueval",
    "math_problems",
    "mmlu",
    "reading",
    "truthfulqa",
]
