"""PairS efficiency: comparisons used and rank correlation, against round-robin win rate and Elo.

A simulated judge of known noise (assay.judge.simulate: Thurstone noise on true scores drawn from a
standard normal, optional position bias) ranks N = 16 and N = 100 candidates in random order.
For each method: judge calls as a fraction of N(N-1)/2, and Kendall's tau / Spearman's rho of the
ranking against the true scores, averaged over seeds. Baselines play random pairs (each once, in a
random seat) at PairS-greedy's budget and at the full budget (every pair once).

    python bench/pairs_efficiency.py            # the table in bench/RESULTS_judge.md
    python bench/pairs_efficiency.py --seeds 3  # quicker
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from assay.judge.baselines import (
    elo_ratings,
    order_scores,
    play,
    rank_correlations,
    round_robin_pairs,
    win_rates,
)
from assay.judge.pairs import rank_with
from assay.judge.simulate import SimulatedJudge

SCENARIOS = ((0.0, 0.0), (0.1, 0.0), (0.3, 0.0), (0.3, 0.2))  # (noise, position bias)
Result = tuple[float, float, float]  # fraction of pairs, tau, rho


def pairs_methods(
    new_judge: Callable[[], SimulatedJudge], n: int, gap: float, beam_size: int
) -> dict[str, tuple[list[int], int]]:
    out = {}
    for name, method, calibrate in (
        ("PairS-greedy", "greedy", False),
        ("PairS-greedy +calibration", "greedy", True),
        ("PairS-beam", "beam", False),
        ("PairS-beam +calibration", "beam", True),
    ):
        order, log = rank_with(
            new_judge().prefer,
            n,
            method,
            calibrate=calibrate,
            gap=gap,  # type: ignore[arg-type]
            beam_size=beam_size,
        )
        out[name] = (order, log.calls)
    return out


def baseline(
    judge: SimulatedJudge,
    n: int,
    budget: int | None,
    seed: int,
    rate: Callable[[int, list[tuple[int, int, float]]], np.ndarray],
) -> tuple[np.ndarray, int]:
    pairs = round_robin_pairs(n, budget=budget, seed=seed)
    outcomes = play(pairs, judge.prefer_by_verdict)
    return rate(n, outcomes), len(outcomes)


def one_seed(n: int, noise: float, bias: float, seed: int, gap: float, beam_size: int) -> dict[str, Result]:
    truth = np.random.default_rng(seed).standard_normal(n)
    total = n * (n - 1) / 2

    def new_judge() -> SimulatedJudge:
        # every method gets the same judge afresh (same noise stream), so no method's numbers
        # depend on how many calls the methods run before it made
        return SimulatedJudge(truth, noise=noise, position_bias=bias, seed=seed + 1000)

    results: dict[str, Result] = {}
    ranked = pairs_methods(new_judge, n, gap, beam_size)
    for name, (order, calls) in ranked.items():
        results[name] = (calls / total, *rank_correlations(order_scores(order), truth))
    budget = ranked["PairS-greedy"][1]
    for label, b in (("same budget as greedy", budget), ("full", None)):
        for name, rate in (("round-robin win rate", win_rates), ("Elo", elo_ratings)):
            scores, calls = baseline(new_judge(), n, b, seed, rate)
            results[f"{name} ({label})"] = (calls / total, *rank_correlations(scores, truth))
    return results


def run(ns: tuple[int, ...], seeds: int, gap: float, beam_size: int) -> list[str]:
    lines = [
        "| N | noise | bias | method | judge calls / N(N-1)/2 | Kendall tau | Spearman rho |",
        "|---|---|---|---|---|---|---|",
    ]
    checks, beams = [], []
    for n in ns:
        for noise, bias in SCENARIOS:
            per_seed = [one_seed(n, noise, bias, s, gap, beam_size) for s in range(seeds)]
            means = {m: np.mean([r[m] for r in per_seed], axis=0) for m in per_seed[0]}
            sds = {m: np.std([r[m][1] for r in per_seed]) for m in per_seed[0]}
            for m, (frac, tau, rho) in means.items():
                lines.append(
                    f"| {n} | {noise} | {bias} | {m} | {frac:.3f} | {tau:.3f} ± {sds[m]:.3f} | {rho:.3f} |"
                )
            checks.append(_check(n, noise, bias, means))
            beams.append(_beam_vs_greedy(n, noise, bias, means))
    return [*lines, "", *checks, "", *beams]


def _check(n: int, noise: float, bias: float, means: dict[str, np.ndarray]) -> str:
    limit = 0.40 if n <= 16 else 0.12
    frac, tau, rho = means["PairS-greedy"]
    _, rr_tau, rr_rho = means["round-robin win rate (full)"]
    _, same_tau, _ = means["round-robin win rate (same budget as greedy)"]
    ok_budget = frac <= limit
    ok_corr = tau >= rr_tau - 0.02 and rho >= rr_rho - 0.02
    return (
        f"- N={n} noise={noise} bias={bias}: greedy uses {frac:.1%} of pairs (target <= {limit:.0%}: "
        f"{'met' if ok_budget else 'MISSED'}); tau {tau:.3f} vs full round-robin {rr_tau:.3f}, rho {rho:.3f} "
        f"vs {rr_rho:.3f} (within 0.02: {'met' if ok_corr else 'MISSED'}); round-robin at greedy's "
        f"budget: tau {same_tau:.3f}"
    )


def _beam_vs_greedy(n: int, noise: float, bias: float, means: dict[str, np.ndarray]) -> str:
    def at(name: str) -> str:
        frac, tau, _ = means[name]
        return f"tau {tau:.3f} at {frac:.3f}"

    return (
        f"- N={n} noise={noise} bias={bias}: beam {at('PairS-beam')} vs greedy {at('PairS-greedy')}; "
        f"beam +calibration {at('PairS-beam +calibration')} vs greedy +calibration "
        f"{at('PairS-greedy +calibration')} (tau at judge calls / N(N-1)/2)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--n", type=int, nargs="+", default=[16, 100])
    parser.add_argument("--gap", type=float, default=0.1, help="PairS-beam uncertainty gap around 0.5")
    parser.add_argument("--beam-size", type=int, default=20)
    args = parser.parse_args()
    start = time.perf_counter()
    for line in run(tuple(args.n), args.seeds, args.gap, args.beam_size):
        print(line)
    print(
        f"\n{args.seeds} seeds, beam size {args.beam_size}, gap {args.gap}; "
        f"{time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
