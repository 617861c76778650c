"""Bradley-Terry + bootstrap CIs: assay against a re-implementation of FastChat's method, same run.

    python bench/ratings_vs_fastchat.py [--models 100] [--battles 1000000] [--rounds 100]
                                        [--memory-battles 10000000]

Both start from the same DataFrame of names and winner labels (model_a, model_b, winner), as an
arena export gives them. Timed: aggregation + full-data fit + bootstrap, end to end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ratings_fastchat_reference as fastchat

from assay.rank import (
    bootstrap_bradley_terry,
    fit_bradley_terry,
    pair_counts_from_battles,
    sandwich_intervals,
)
from assay.rank.simulate import battles_to_labels, simulate_battles


def synthetic_arena(models: int, battles: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    strengths = rng.normal(0.0, 0.8, models)  # natural units: about 140 Elo spread
    a, b, winner = battles_to_labels(simulate_battles(strengths, battles, tie_rate=0.25, seed=seed + 1))
    return pd.DataFrame({"model_a": a, "model_b": b, "winner": winner})


def assay_method(df: pd.DataFrame, rounds: int, models: list[str] | None = None):  # type: ignore[no-untyped-def]
    pairs = pair_counts_from_battles(df["model_a"], df["model_b"], df["winner"], models=models)
    fit = fit_bradley_terry(pairs)
    boot = bootstrap_bradley_terry(pairs, rounds=rounds, seed=0, fit=fit)
    return pairs, fit, boot


def fastchat_method(df: pd.DataFrame, rounds: int) -> tuple[pd.Series, pd.DataFrame]:
    return fastchat.ratings(df), fastchat.bootstrap(df, rounds)


def compare(args: argparse.Namespace) -> None:
    df = synthetic_arena(args.models, args.battles)
    ties = (df["winner"] == "tie").mean()
    print(
        f"synthetic arena: {args.models} models, {len(df):,} battles, {ties:.1%} ties, "
        f"{args.rounds} bootstrap rounds, {os.cpu_count()} CPUs"
    )

    t0 = time.perf_counter()
    pairs, fit, boot = assay_method(df, args.rounds)
    t_assay = time.perf_counter() - t0
    t0 = time.perf_counter()
    fc_ratings, fc_boot = fastchat_method(df, args.rounds)
    t_fastchat = time.perf_counter() - t0
    print(
        f"time  assay {t_assay:7.2f} s   fastchat-method {t_fastchat:7.2f} s   "
        f"ratio {t_fastchat / t_assay:5.1f}x"
    )

    names = list(pairs.models)
    rating_gap = np.abs(fit.ratings - fc_ratings[names].to_numpy()).max()
    print(f"max |rating difference|                  {rating_gap:.4f} Elo")
    fc_lower, fc_upper = np.quantile(fc_boot[names].to_numpy(), [0.025, 0.975], axis=0)
    gap_indep = max(
        np.abs(boot.interval.lower - fc_lower).max(), np.abs(boot.interval.upper - fc_upper).max()
    )

    # Same resamples: give assay FastChat's model order, so both draw the same multinomial counts
    # from the same seed; what is left is the difference between the two solvers.
    fc_order = list(fastchat.model_ids(df)[1])
    _, _, boot_same = assay_method(df, args.rounds, models=fc_order)
    same_lower = pd.Series(boot_same.interval.lower, index=fc_order)[names].to_numpy()
    same_upper = pd.Series(boot_same.interval.upper, index=fc_order)[names].to_numpy()
    gap_same = max(np.abs(same_lower - fc_lower).max(), np.abs(same_upper - fc_upper).max())
    print(f"max |CI bound difference|, same resamples  {gap_same:.4f} Elo")
    print(
        f"max |CI bound difference|, own resamples   {gap_indep:.4f} Elo  (Monte Carlo noise of "
        f"{args.rounds} rounds)"
    )
    boot_width = boot.interval.upper - boot.interval.lower
    print(f"mean bootstrap 95% CI width               {boot_width.mean():.3f} Elo")

    t0 = time.perf_counter()
    sandwich = sandwich_intervals(pairs, fit)
    t_sandwich = time.perf_counter() - t0
    sw_width = sandwich.upper - sandwich.lower
    ratio = sw_width / boot_width
    print(
        f"sandwich CIs {t_sandwich * 1000:.1f} ms; width / bootstrap width: mean {ratio.mean():.3f}, "
        f"min {ratio.min():.3f}, max {ratio.max():.3f}; mean width {sw_width.mean():.3f} Elo"
    )
    # With 100 rounds each quantile is itself noisy; against a long bootstrap the spread narrows.
    t0 = time.perf_counter()
    long_boot = bootstrap_bradley_terry(pairs, rounds=args.check_rounds, seed=1, fit=fit)
    t_long = time.perf_counter() - t0
    long_ratio = sw_width / (long_boot.interval.upper - long_boot.interval.lower)
    print(
        f"sandwich width / {args.check_rounds}-round bootstrap width ({t_long:.1f} s): "
        f"mean {long_ratio.mean():.3f}, min {long_ratio.min():.3f}, max {long_ratio.max():.3f}"
    )


def memory(args: argparse.Namespace) -> None:
    """One method on --memory-battles battles, in its own process: peak traced and peak RSS."""
    df = synthetic_arena(args.models, args.memory_battles)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    t0 = time.perf_counter()
    if args.memory == "assay":
        assay_method(df, args.rounds)
    else:
        fastchat_method(df, args.rounds)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "method": args.memory,
                "seconds": elapsed,
                "traced_peak_mb": peak / 2**20,
                "maxrss_mb": rss_after / 1024,
                "maxrss_before_mb": rss_before / 1024,
            }
        )
    )


def memory_report(args: argparse.Namespace) -> None:
    print(
        f"memory, {args.memory_battles:,} battles ({args.rounds} rounds; input DataFrame built first, "
        "not counted in 'traced'):"
    )
    for method in ("assay", "fastchat"):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--memory",
                method,
                "--models",
                str(args.models),
                "--rounds",
                str(args.rounds),
                "--memory-battles",
                str(args.memory_battles),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(
            f"  {method:9s} traced peak {r['traced_peak_mb']:8.1f} MB   process peak RSS "
            f"{r['maxrss_mb']:8.1f} MB (input alone {r['maxrss_before_mb']:.1f} MB)   {r['seconds']:.1f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--battles", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--memory-battles", type=int, default=10_000_000)
    parser.add_argument(
        "--check-rounds",
        type=int,
        default=1000,
        help="rounds of the long bootstrap the sandwich widths are also compared with",
    )
    parser.add_argument("--memory", choices=["assay", "fastchat"], help=argparse.SUPPRESS)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    if args.memory:
        memory(args)
        return
    compare(args)
    if not args.skip_memory:
        memory_report(args)


if __name__ == "__main__":
    main()
