"""assay's Python API: the one front door. The CLI, the dashboard and notebooks all call these.

    import assay
    result = assay.evaluate(["smollm2-135m"], ["gsm8k"], limit=10, store="results.db")
    frame = assay.results(result, store="results.db")       # pandas DataFrame, one row per sample
    board = assay.leaderboard(store="results.db")            # .rows, .mean_win_rate, .to_frame()
    assay.report(result, "report.html", store="results.db")
    assay.compare("latest:alpha", "latest:beta").to_frame()  # paired A vs B per task, Holm across
    assay.safety_report(store="results.db").to_frame()   # per model: refusals, classifier quality, bias
    assay.transparency_scores("2024").to_frame()         # the Foundation Model Transparency Index
    assay.trends.sota("MMLU").by_year                    # AI progress: `assay.trends` is a namespace

Every function that reads or writes results takes `store=`: an open `Store`, a SQLite path, a
postgresql:// URL, or nothing for $ASSAY_DB / the user's data dir.
"""

from assay.api import trends  # a namespace: assay.trends.sota("MMLU"), assay.trends.gap(), ...
from assay.api.arena import (
    ArenaConfig,
    ArenaImport,
    ArenaRatings,
    ArenaService,
    BattleNotFound,
    BattleView,
    DisconnectedComparisonError,
    RatingError,
    VoteRefused,
    arena_import,
    arena_ratings,
    arena_sources,
    check_model_names,
    delete_live_battles,
)
from assay.api.catalog import model_names, plugin_status, task_card, task_names
from assay.api.charts import save_chart
from assay.api.compare import Comparison, TaskComparison, compare
from assay.api.contamination import (
    CleanLeaderboard,
    clean_leaderboard,
    contamination_hits,
    contamination_min_k,
    contamination_scan,
    contamination_scans,
    drift,
)
from assay.api.evaluation import (
    build_spec,
    evaluate,
    load_prices,
    load_spec,
    parse_key_values,
    rescore,
    task_configs,
)
from assay.api.judging import (
    judge_agreement,
    judge_grade,
    judge_pairwise,
    judge_prompts,
    judge_rank,
    judge_stats,
)
from assay.api.power import PowerAnalysis, power_analysis
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
from assay.api.safety import (
    ClassifierEvaluation,
    ClassifierRow,
    safety_classify,
    safety_eval_classifier,
    safety_policies,
    safety_policy,
    safety_refusals,
    safety_report,
)
from assay.api.stores import Store, StoreLike, open_store, store_marker
from assay.api.transcripts import Transcript, transcript
from assay.api.transparency import (
    DeveloperTotal,
    TransparencyAnalysis,
    TransparencyOverview,
    TransparencyScores,
    assessment_history,
    create_assessment,
    export_assessment,
    get_assessment,
    import_assessment,
    set_assessment_score,
    transparency_analysis,
    transparency_chart,
    transparency_edition,
    transparency_editions,
    transparency_import,
    transparency_indicators,
    transparency_overview,
    transparency_scores,
)
from assay.contamination.drift import DriftReport
from assay.contamination.membership import MembershipReport
from assay.contamination.overlap import ScanReport
from assay.core.results import (
    LeaderboardRow,
    RankInterval,
    ResultRecord,
    RunLevelMetric,
    RunRecord,
    SampleView,
)
from assay.core.spec import RunPlan, RunSpec, RunSummary, TaskConfig
from assay.engine.run import RunResult
from assay.judge.position import PositionStats
from assay.judge.prompts import PromptTemplate
from assay.judge.results import JudgeCalls, JudgeGradeResult, JudgePairwiseResult, JudgeRankResult
from assay.judge.run import CandidateRanking
from assay.judge.types import Answer, Grade, ModelGrade, PairwiseJudgement, Question
from assay.rank.score_ranks import TaskScores, rank_intervals
from assay.safety.policies import HarmCategory, Policy
from assay.safety.report import ModelSafety, SafetyMetric, SafetyReport
from assay.safety.runs import ClassificationResult, ClassifiedText, RefusalResult
from assay.transparency.model import Edition, IndicatorSet

__all__ = [
    "Answer",
    "ArenaConfig",
    "ArenaImport",
    "ArenaRatings",
    "ArenaService",
    "BattleNotFound",
    "BattleView",
    "CandidateRanking",
    "ClassificationResult",
    "ClassifiedText",
    "ClassifierEvaluation",
    "ClassifierRow",
    "CleanLeaderboard",
    "Comparison",
    "DeveloperTotal",
    "DisconnectedComparisonError",
    "DriftReport",
    "Edition",
    "Grade",
    "HarmCategory",
    "IndicatorSet",
    "JudgeCalls",
    "JudgeGradeResult",
    "JudgePairwiseResult",
    "JudgeRankResult",
    "Leaderboard",
    "LeaderboardRow",
    "MembershipReport",
    "ModelGrade",
    "ModelSafety",
    "PairwiseJudgement",
    "Policy",
    "PositionStats",
    "PowerAnalysis",
    "PromptTemplate",
    "Question",
    "RankInterval",
    "RatingError",
    "RefusalResult",
    "ResultRecord",
    "RunLevelMetric",
    "RunOverview",
    "RunPlan",
    "RunRecord",
    "RunResult",
    "RunSpec",
    "RunSummary",
    "SafetyMetric",
    "SafetyReport",
    "SampleView",
    "ScanReport",
    "Store",
    "StoreLike",
    "TaskComparison",
    "TaskConfig",
    "TaskScores",
    "Transcript",
    "TransparencyAnalysis",
    "TransparencyOverview",
    "TransparencyScores",
    "VoteRefused",
    "arena_import",
    "arena_ratings",
    "arena_sources",
    "assessment_history",
    "build_spec",
    "check_model_names",
    "clean_leaderboard",
    "compare",
    "contamination_hits",
    "contamination_min_k",
    "contamination_scan",
    "contamination_scans",
    "create_assessment",
    "delete_live_battles",
    "drift",
    "evaluate",
    "export",
    "export_assessment",
    "get_assessment",
    "get_run",
    "import_assessment",
    "judge_agreement",
    "judge_grade",
    "judge_pairwise",
    "judge_prompts",
    "judge_rank",
    "judge_stats",
    "leaderboard",
    "load_spec",
    "model_names",
    "open_store",
    "overview",
    "parse_key_values",
    "plugin_status",
    "power_analysis",
    "rank_intervals",
    "records",
    "report",
    "rescore",
    "results",
    "runs",
    "safety_classify",
    "safety_eval_classifier",
    "safety_policies",
    "safety_policy",
    "safety_refusals",
    "safety_report",
    "samples",
    "save_chart",
    "set_assessment_score",
    "store_marker",
    "task_card",
    "task_configs",
    "task_names",
    "transcript",
    "transparency_analysis",
    "transparency_chart",
    "transparency_edition",
    "transparency_editions",
    "transparency_import",
    "transparency_indicators",
    "transparency_overview",
    "transparency_scores",
    "trends",
]
__all__ += ["load_prices"]
