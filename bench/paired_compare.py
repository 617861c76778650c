"""`assay compare` statistics: equal to statsmodels/scipy, paired vs an unpaired test, interval coverage.

1. References: McNemar's exact p, Holm, Wilson and Clopper-Pearson against statsmodels (and scipy's
   binomtest) on fixed tables; the largest absolute difference is printed.
2. Power: how often a real 4-point gain is found by assay's paired test (exact McNemar) and by an
   unpaired two-proportion z-test (what lm-evaluation-harness's comparator applies, its issue #3831),
   over simulated runs of two models whose per-sample scores correlate (Gaussian copula); and how
   often each calls equal models different (size, nominal 5%).
3. Coverage of the paired bootstrap interval of the difference at n = 20, 50, 200: independent
   items, and items in clusters of 5 sharing a passage (resampled by cluster, and naively by item).

    python bench/paired_compare.py              # 1,000 runs per cell (the table in bench/RESULTS.md)
    python bench/paired_compare.py --runs 200   # quicker
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from assay.metrics.intervals import clopper_pearson_interval, wilson_interval
from assay.metrics.paired import compare_paired, holm, mcnemar_exact, paired_bootstrap_interval

TABLES = [
    (40, 15, 5, 40),
    (10, 10, 10, 10),
    (100, 0, 7, 3),
    (2, 1, 0, 1),
    (50, 61, 40, 9),
    (300, 31, 12, 157),
]


def references() -> None:
    worst = {"mcnemar vs statsmodels": 0.0, "mcnemar vs scipy binomtest": 0.0, "wilson": 0.0, "cp": 0.0}
    for both, a_only, b_only, neither in TABLES:
        ours = mcnemar_exact(a_only, b_only)
        ref = mcnemar([[both, a_only], [b_only, neither]], exact=True).pvalue
        worst["mcnemar vs statsmodels"] = max(worst["mcnemar vs statsmodels"], abs(ours - ref))
        ref2 = stats.binomtest(a_only, a_only + b_only, 0.5).pvalue
        worst["mcnemar vs scipy binomtest"] = max(worst["mcnemar vs scipy binomtest"], abs(ours - ref2))
    for k, n in [(0, 10), (3, 20), (10, 20), (7, 50), (150, 200), (1, 1000), (999, 1000)]:
        w = np.subtract(wilson_interval(k, n), proportion_confint(k, n, method="wilson"))
        c = np.subtract(clopper_pearson_interval(k, n), proportion_confint(k, n, method="beta"))
        worst["wilson"] = max(worst["wilson"], float(np.abs(w).max()))
        worst["cp"] = max(worst["cp"], float(np.abs(c).max()))
    families = [[0.01, 0.04, 0.03, 0.005], [0.2, 0.01, 0.049, 0.3], [0.02, 0.02, 0.02]]
    holm_gap = max(
        float(np.abs(np.subtract(holm(p), multipletests(p, method="holm")[1])).max()) for p in families
    )
    rows = [
        (
            "McNemar exact p",
            "statsmodels `mcnemar(exact=True)`",
            len(TABLES),
            worst["mcnemar vs statsmodels"],
        ),
        ("McNemar exact p", "scipy `binomtest`", len(TABLES), worst["mcnemar vs scipy binomtest"]),
        ("Wilson 95%", "statsmodels `proportion_confint(method='wilson')`", 7, worst["wilson"]),
        ("Clopper-Pearson 95%", "statsmodels `proportion_confint(method='beta')`", 7, worst["cp"]),
        ("Holm", "statsmodels `multipletests(method='holm')`", len(families), holm_gap),
    ]
    print("| quantity | reference | cases | max abs difference |\n|---|---|---:|---:|")
    for quantity, reference, cases, gap in rows:
        print(f"| {quantity} | {reference} | {cases} | {gap:.1e} |")


def correlated_pair(rng: np.random.Generator, n: int, p_a: float, p_b: float, latent: float):
    """0/1 scores of two models on n items from a Gaussian copula with the given latent correlation."""
    z = rng.standard_normal((n, 2))
    z[:, 1] = latent * z[:, 0] + np.sqrt(1 - latent**2) * z[:, 1]
    return (z[:, 0] < stats.norm.ppf(p_a)).astype(float), (z[:, 1] < stats.norm.ppf(p_b)).astype(float)


def unpaired_z(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided p of the two-proportion z-test that treats the models' samples as independent."""
    n = len(a)
    se = np.sqrt(a.mean() * (1 - a.mean()) / n + b.mean() * (1 - b.mean()) / n)
    return float(2 * stats.norm.sf(abs(a.mean() - b.mean()) / se)) if se > 0 else 1.0


def power(runs: int) -> None:
    print("\n| n | true gain | phi (mean) | assay paired: found | unpaired z: found |")
    print("|---:|---:|---:|---:|---:|")
    rng = np.random.default_rng(0)
    for n, gain in [(500, 0.04), (1000, 0.04), (2000, 0.04), (1000, 0.0)]:
        paired = unpaired = 0
        phis = []
        for _ in range(runs):
            a, b = correlated_pair(rng, n, 0.60 + gain, 0.60, 0.7)
            phis.append(np.corrcoef(a, b)[0, 1])
            paired += compare_paired(a, b, resamples=200).p_value < 0.05
            unpaired += unpaired_z(a, b) < 0.05
        found = f"{paired / runs:.1%} | {unpaired / runs:.1%}"
        print(f"| {n} | {gain * 100:.0f} points | {np.mean(phis):.2f} | {found} |")


def coverage(runs: int) -> None:
    """assay's interval (cluster bootstrap widened to the clustered t-interval) against the plain
    percentile bootstrap, and against ignoring the clusters."""
    print("\n| n | items | interval | covers (nominal 95%) | mean width (points) |")
    print("|---:|---|---|---:|---:|")
    rng = np.random.default_rng(1)
    for n in (20, 50, 200):
        for design in ("independent", "clusters of 5"):
            found: dict[str, list[tuple[float, float]]] = {}
            truths = []
            for _ in range(runs):
                a, b, truth, ids = _draw(rng, n, design)
                truths.append(truth)
                got = compare_paired(a, b, ids, resamples=1000)
                found.setdefault("assay (bootstrap, widened to t)", []).append((got.low, got.high))
                found.setdefault("percentile bootstrap only", []).append(
                    paired_bootstrap_interval(a - b, ids, resamples=1000)
                )
                if ids is not None:
                    naive = compare_paired(a, b, None, resamples=1000)
                    found.setdefault("assay, clusters ignored", []).append((naive.low, naive.high))
            for label, intervals in found.items():
                bounds = np.array(intervals)
                covers = np.mean((bounds[:, 0] <= truths) & (np.array(truths) <= bounds[:, 1]))
                width = np.mean(bounds[:, 1] - bounds[:, 0]) * 100
                print(f"| {n} | {design} | {label} | {covers:.1%} | {width:.1f} |")


def _draw(rng: np.random.Generator, n: int, design: str):
    """Two models: A 5 points better on independent items; clustered items share a passage difficulty
    and a passage-specific gain for A (3.5 points on average, see _true_gain)."""
    if design == "independent":
        a, b = correlated_pair(rng, n, 0.65, 0.60, 0.5)
        return a, b, 0.05, None
    clusters = n // 5
    passage = np.repeat(rng.standard_normal(clusters), 5)
    z = rng.standard_normal((n, 2)) * np.sqrt(0.5)
    effect = np.repeat(rng.standard_normal(clusters), 5) * 0.6  # A's gain varies by passage
    latent_a = np.sqrt(0.5) * passage + z[:, 0]
    latent_b = np.sqrt(0.5) * passage + z[:, 1]
    a = (latent_a < stats.norm.ppf(0.60) + 0.15 + effect).astype(float)
    b = (latent_b < stats.norm.ppf(0.60)).astype(float)
    truth = _true_gain(0.15, 0.6)
    return a, b, truth, list(np.repeat(np.arange(clusters), 5))


def _true_gain(shift: float, spread: float) -> float:
    """E[A] - E[B] in the clustered design: A's latent score is N(0, 1) and its threshold moves by
    shift + spread * g with g ~ N(0, 1), so P(A) = Phi((c + shift) / sqrt(1 + spread^2))."""
    p_a = stats.norm.cdf((stats.norm.ppf(0.60) + shift) / np.sqrt(1 + spread**2))
    return float(p_a - 0.60)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    start = time.perf_counter()
    references()
    power(args.runs)
    coverage(args.runs)
    print(f"\n{args.runs} simulated runs per row; {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
