"""Holistic evaluation end to end on the built-in model: perturbed copies asked and scored beside the
originals, worst-case robustness and fairness, the perturbations recorded with the run."""

import assay
from assay.api import build_spec
from assay.cli.groups import groups_json
from assay.engine.run import evaluate
from assay.store import Store


def test_perturbed_run_end_to_end(tmp_path):
    spec = build_spec(
        models=("smollm2-135m",), tasks=(("arithmetic_mc", {"limit": 2}),), perturb="robustness,fairness"
    )
    with Store.open(tmp_path / "h.db") as store:
        result = evaluate(spec, store)
        assert result.status == "done"
        record = store.get_run(result.run_id)
        assert record.spec.perturb == (
            *assay.api.evaluation.resolve_perturbations("robustness"),
            *assay.api.evaluation.resolve_perturbations("fairness"),
        )
        summary = record.summary
        assert summary.energy_j > 0 and summary.co2e_g > 0 and summary.grid_g_per_kwh == 480.0
        assert summary.energy_method.startswith(("RAPL", "estimate"))
        assert set(summary.energy_by_model) == {"smollm2-135m"}
        rows = store.results(result.run_id)
        originals = [r for r in rows if "~" not in r.sample_id]
        copies = [r for r in rows if "~" in r.sample_id]
        assert len(originals) == 2 and copies and all(r.scores is not None for r in rows)
        assert len({r.key for r in rows}) == len(rows)

        overview = assay.overview(result, store=store)
        (row,) = overview.leaderboard.rows
        assert row.n == 2  # the headline counts originals only
        metrics = {m.metric: m.value for m in overview.run_level}
        assert metrics["acc_robustness"] <= row.value and metrics["acc_fairness"] <= row.value
        assert "acc[typos]" in metrics

        shown = [r for r in assay.records(result, store=store) if r["perturbation"]]
        assert shown and all(r["original_input"] and r["original_input"] not in r["prompt"] for r in shown)

        board = assay.leaderboard([result.run_id], store=store)
        data = groups_json(board)
        assert {"accuracy", "calibration", "robustness", "fairness", "efficiency"} <= set(data["groups"])
        grouped = {(m["metric"], m["group"], m["higher_is_better"]) for m in data["metrics"]}
        assert {("acc_robustness", "robustness", True), ("latency_p95_s", "efficiency", False)} <= grouped

        plain = evaluate(build_spec(models=spec.models, tasks=spec.tasks), store)
        assert plain.stats.sent == 0 and plain.stats.cached == 2  # originals keep their keys
