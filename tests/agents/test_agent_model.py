"""A real built-in model as the agent: whatever it resolves, the loop, the tools, the limits and the
scoring must all work (every attempt ends, is stored turn by turn, and is scored)."""

from __future__ import annotations

import pytest

from assay.core.spec import RunSpec, TaskConfig
from assay.engine.run import evaluate
from assay.models.zoo import qwen_available
from assay.sandbox import sandbox_problem
from assay.store import Store
from assay.store.transcripts import turns


@pytest.mark.slow
@pytest.mark.skipif(sandbox_problem() is not None, reason="bubblewrap cannot run here")
def test_the_builtin_coder_model_plays_two_problems_within_a_low_turn_limit(tmp_path):
    model = "qwen2.5-coder-0.5b" if qwen_available() else "smollm2-135m"
    options = {"problems": "celsius,clamp", "max_turns": 2, "tokens_per_turn": 96}
    spec = RunSpec(models=(model,), tasks=(TaskConfig("agent", options),))
    with Store.open(tmp_path / "m.db") as store:
        result = evaluate(spec, store)
        rows = store.results(result.run_id)
        assert result.status == "done" and len(rows) == 2
        for row in rows:
            assert row.scores is not None and row.scores["resolved"] in (0.0, 1.0)
            assert 1 <= row.scores["turns"] <= 2 and row.scores["tokens"] > 0
            stored = turns(store, row.key)
            assert len(stored) == row.scores["turns"]
            assert stored[-1]["stop"] in ("submit", None)  # the turn limit stops it after the last turn
            assert row.extracted is not None and row.extracted.split(";")[0] in ("submit", "max_turns")
