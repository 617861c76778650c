"""The HTML report's metric-group section: every group's win rate, names escaped."""

import assay
from assay.store import Store
from assay.store.synthetic import seed_run


def test_report_shows_metric_groups_escaped(tmp_path):
    with Store.open(tmp_path / "r.db") as store:
        run_id = seed_run(store, ["<b>evil</b>", "plain"], ["gsm8k"], samples=3, seed=2)
        path = assay.report([run_id], tmp_path / "r.html", store=store)
    html = path.read_text()
    section = html[html.index('<section class="assay-holistic">') :]
    assert "<th>accuracy</th>" in section and "<th>efficiency</th>" in section
    assert "&lt;b&gt;evil&lt;/b&gt;" in section and "<b>evil</b>" not in section
    assert "latency_p95_s ↓" in section
