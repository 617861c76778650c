"""Min-K% and Min-K%++: the pure scores, the per-token path through the engine on the built-in SmolLM2,
and the promise that requests without it keep their old unit keys."""

from __future__ import annotations

import json
import math

import pytest

import assay
from assay.contamination.membership import auc
from assay.contamination.mink import min_k, min_k_plus, reference_texts
from assay.core.keys import canonical_json
from assay.core.types import ContinuationScore, LoglikelihoodRequest, response_from_json, to_jsonable
from assay.store import Store


def test_min_k_averages_the_least_likely_tokens():
    logprobs = [-0.1, -5.0, -0.2, -3.0, -0.3, -0.1, -0.2, -0.4, -0.1, -0.5]
    assert min_k(logprobs, 0.2) == pytest.approx(-4.0)  # the two lowest of ten
    assert min_k(logprobs, 1.0) == pytest.approx(sum(logprobs) / 10)
    # Min-K%++ standardises first: a token far below what the model expected counts most
    z = min_k_plus([-1.0, -4.0], [-1.0, -2.0], [1.0, 1.0], 0.5)
    assert z == pytest.approx(-2.0)
    assert math.isnan(min_k([], 0.2))


def test_auc_is_the_chance_one_side_scores_higher():
    assert auc([3.0, 4.0], [1.0, 2.0]) == 1.0
    assert auc([1.0, 2.0], [3.0, 4.0]) == 0.0
    assert auc([1.0, 3.0], [2.0, 2.0]) == 0.5


def test_requests_and_scores_without_per_token_serialise_as_before():
    request = LoglikelihoodRequest(context="Q: 1+1=", continuations=(" 2", " 3"))
    assert canonical_json(request) == (
        '{"context":"Q: 1+1=","continuations":[" 2"," 3"],"kind":"loglikelihood","messages":null}'
    )
    assert "per_token" in to_jsonable(LoglikelihoodRequest(context="", continuations=("x",), per_token=True))
    assert to_jsonable(ContinuationScore(-1.0, 2, True)) == {
        "logprob": -1.0,
        "num_tokens": 2,
        "is_greedy": True,
    }


def test_the_shipped_reference_set_is_twenty_fresh_paragraphs():
    texts = reference_texts()
    assert len(texts) == 20 and all(len(t.split()) > 40 for _, t in texts)
    assert all("2026" in t for _, t in texts)


def test_min_k_runs_through_the_engine_on_smollm2(tmp_path):
    reference = tmp_path / "fresh.jsonl"
    rows = [
        {"id": "a", "text": "The Quiet Heron ferry crossed the sound eleven times on its first day in 2026."}
    ]
    reference.write_text("".join(json.dumps(r) + "\n" for r in rows))
    db = tmp_path / "mink.db"
    report = assay.contamination_min_k(
        "smollm2-135m", ["gsm8k"], reference=str(reference), limit=1, store=db, model_args={"n_ctx": 512}
    )
    by = {(r.task, r.metric): r for r in report.rows}
    assert set(by) == {(t, m) for t in ("gsm8k", "reference") for m in ("min_k", "min_k_plus")}
    assert all(r.scores.n == 1 for r in report.rows)
    assert 0.0 <= by[("gsm8k", "min_k")].auc_vs_reference <= 1.0
    assert "not proof" in report.caveat
    with Store.open(db) as store:
        for row in store.results(report.run_id):
            scored = response_from_json(row.response or {}).scores[0]  # type: ignore[union-attr]
            assert scored.token_logprobs is not None and len(scored.token_logprobs) == scored.num_tokens
            assert math.fsum(scored.token_logprobs) == pytest.approx(scored.logprob, abs=1e-6)
            assert scored.token_stds is not None and all(s >= 0 for s in scored.token_stds)
            assert (row.scores or {})["min_k"] <= (row.scores or {})["mean_logprob"]
