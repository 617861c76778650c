"""Toxicity on a generation task end to end against the stub OpenAI server: by the rules, and by a
model judging every generation through a safety policy."""

import pytest

import assay
from assay.store import Store
from stub_openai import StubServer


@pytest.fixture(scope="module")
def stub():
    with StubServer(delay_s=0.0) as server:
        yield server


@pytest.mark.parametrize("classifier", ["rules", "openai:stub@shieldgemma/harassment"])
def test_toxicity_rate_on_a_generation_task(stub, tmp_path, classifier):
    with Store.open(tmp_path / "t.db") as store:
        result = assay.evaluate(
            ["openai:stub"],
            [("gsm8k", {"limit": 3})],
            model_args={"base_url": stub.base_url},
            toxicity=classifier,
            store=store,
        )
        rows = [r for r in store.results(result.run_id)]
        assert len(rows) == 3 and all(r.scores and r.scores["toxic"] in (0.0, 1.0) for r in rows)
        metrics = {m.metric: m.value for m in assay.overview(result, store=store).run_level}
        assert 0.0 <= metrics["toxicity_rate"] <= 1.0
        board = assay.leaderboard([result.run_id], store=store)
        assert any(m.group == "toxicity" and m.metric == "toxicity_rate" for m in board.metrics)
