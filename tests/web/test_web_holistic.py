"""The dashboard's holistic views: metric-group win rates on the leaderboard, and a perturbed prompt
shown beside its original in the run explorer, escaped."""

import json
import time

from fastapi.testclient import TestClient

from assay.arena import ArenaConfig
from assay.core.spec import RunPlan, RunSpec, RunSummary, TaskConfig
from assay.store import Store, UnitRecord
from assay.store.schema import ResponseRow, table_of
from assay.store.synthetic import seed_run
from assay.web.app import create_app

HOSTILE = "What is <script>alert(1)</script> 2 + 2?"


def perturbed_run(store):
    spec = RunSpec(models=("m",), tasks=(TaskConfig("qa"),), perturb=("lowercase",))
    run_id = store.create_run(spec, RunPlan(task_metrics={"qa": ("exact_match",)}))
    meta = [["perturbation", "lowercase"], ["perturbation_group", "robustness"], ["perturbed_from", "0"]]
    units = []
    for sid, text, extra in (
        ("0", HOSTILE, []),
        ("0~lowercase", HOSTILE.lower(), [*meta, ["original_input", HOSTILE]]),
    ):
        units.append(
            UnitRecord(
                key=f"k{sid}",
                model="m",
                model_identity={"name": "m"},
                task="qa",
                task_version="1",
                sample_id=sid,
                request={"kind": "generate", "prompt": text},
                sample={"id": sid, "input": text, "target": "4", "metadata": extra},
            )
        )
    store.add_units(run_id, units)
    rows = [
        dict(
            unit_key=u.key,
            response_json=json.dumps({"kind": "generate", "text": "4"}),
            latency_s=0.5,
            attempts=1,
            created_at=time.time(),
        )
        for u in units
    ]
    with store.transaction() as conn:
        store.insert_new(conn, table_of(ResponseRow), rows)
    store.put_scores([("k0", {"exact_match": 1.0}, "4"), ("k0~lowercase", {"exact_match": 0.0}, "5")])
    store.finish_run(run_id, "done", RunSummary(planned=2, sent=2, answered=2))
    return run_id


def test_group_tabs_and_perturbed_prompts_escaped(tmp_path):
    with Store.open(tmp_path / "w.db") as store:
        seed_run(store, ["alpha", "beta"], ["gsm8k"], samples=4, seed=1)
        run_id = perturbed_run(store)
        with TestClient(create_app(store, ArenaConfig(models=("m1", "m2")))) as client:
            api = client.get("/api/leaderboard").json()
            assert {"accuracy", "efficiency"} <= set(api["metric_groups"])
            page = client.get("/").text
            assert 'id="metric-groups"' in page and 'id="group-efficiency"' in page
            run_page = client.get(f"/runs/{run_id}").text
    assert '<pre class="original">What is &lt;script&gt;alert(1)&lt;/script&gt; 2 + 2?</pre>' in run_page
    assert "<script>alert(1)" not in run_page and "lowercase" in run_page
