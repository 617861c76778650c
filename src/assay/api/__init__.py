"""assay's Python API: the one front door. The CLI, the dashboard and notebooks all call these.

    import assay
    result = assay.evaluate(["smollm2-135m"], ["gsm8k"], limit=10, store="results.db")
    frame = assay.results(result, store="results.db")       # pandas DataFrame, one row per sample
    board = assay.leaderboard(store="results.db")            # .rows, .mean_win_rate, .to_frame()
    assay.report(result, "report.html", store="results.db")

Every function takes `store=`: an open `Store`, a SQLite path, a postgresql:// URL, or nothing for
$ASSAY_DB / the user's data dir.
"""

from assay.api.catalog import model_names, plugin_status, task_card, task_names
from assay.api.evaluation import build_spec, evaluate, load_spec, parse_key_values, rescore, task_configs
from assay.api.reports import report
from assay.api.results import (
    Leaderboard,
    RunOverview,
    export,
    get_run,
    leaderboard,
    overview,
    records,
    results,
    runs,
    samples,
)
from assay.api.stores import StoreLike, open_store
from assay.core.results import LeaderboardRow, ResultRecord, RunLevelMetric, RunRecord, SampleView
from assay.core.spec import RunPlan, RunSpec, RunSummary, TaskConfig
from assay.engine.run import RunResult

__all__ = [
    "Leaderboard",
    "LeaderboardRow",
    "ResultRecord",
    "RunLevelMetric",
    "RunOverview",
    "RunPlan",
    "RunRecord",
    "RunResult",
    "RunSpec",
    "RunSummary",
    "SampleView",
    "StoreLike",
    "TaskConfig",
    "build_spec",
    "evaluate",
    "export",
    "get_run",
    "leaderboard",
    "load_spec",
    "model_names",
    "open_store",
    "overview",
    "parse_key_values",
    "plugin_status",
    "records",
    "report",
    "rescore",
    "results",
    "runs",
    "samples",
    "task_card",
    "task_configs",
    "task_names",
]
