"""UI strings in English and Simplified Chinese; the visitor's choice lives in a cookie."""

from __future__ import annotations

LANGUAGES = {"en": "English", "zh-Hans": "简体中文"}
DEFAULT = "en"
COOKIE = "assay_lang"

_EN = {
    "nav.leaderboard": "Leaderboard",
    "nav.arena_board": "Arena ratings",
    "nav.arena": "Arena",
    "nav.runs": "Runs",
    "nav.transparency": "Transparency",
    "nav.safety": "Safety",
    "nav.trends": "Trends",
    "nav.api": "API",
    "lb.title": "Evaluation leaderboard",
    "lb.model": "Model",
    "lb.mwr": "Mean win rate",
    "lb.group": "Task group",
    "lb.all": "All tasks",
    "lb.filter": "Filter",
    "lb.empty": "No results stored yet.",
    "lb.ci": "[low, high] is the 95% interval (Wilson for right/wrong scores, clustered where the task's "
    "items share a passage or subject; hover for the method). Rank (low–high) comes from a paired "
    "bootstrap over samples; models in one tie group are not statistically distinguishable.",
    "lb.rank": "Rank",
    "lb.tie": "Tie group",
    "lb.sort_hint": "Click a column to sort.",
    "arena.title": "Arena",
    "arena.intro": "Ask a question; two anonymous models answer; vote for the better one.",
    "arena.prompt": "Your prompt",
    "arena.sample": "Sample a prompt",
    "arena.fight": "Start battle",
    "arena.model_a": "Model A",
    "arena.model_b": "Model B",
    "arena.waiting": "Answering…",
    "arena.vote_a": "A is better",
    "arena.vote_b": "B is better",
    "arena.vote_tie": "Tie",
    "arena.vote_bothbad": "Both are bad",
    "arena.revealed": "Your vote is in. The models were:",
    "arena.your_vote": "Your vote",
    "arena.new": "New battle",
    "arena.prompt_label": "Prompt",
    "ratings.title": "Arena ratings",
    "ratings.rank": "Rank",
    "ratings.rating": "Rating",
    "ratings.ci": "95% interval",
    "ratings.votes": "Battles",
    "ratings.empty": "No battles yet.",
    "ratings.heatmap": "Win fraction (row beats column)",
    "ratings.source": "Battles from",
    "runs.title": "Runs",
    "runs.id": "Run",
    "runs.created": "Created",
    "runs.status": "Status",
    "runs.models": "Models",
    "runs.tasks": "Tasks",
    "run.title": "Run",
    "run.wrong": "Only wrong answers",
    "run.all": "All samples",
    "run.compare": "Compare two models",
    "run.prompt": "Prompt",
    "run.response": "Response",
    "run.extracted": "Extracted",
    "run.target": "Target",
    "run.score": "Score",
    "run.latency": "Latency (s)",
    "run.sample": "Sample",
    "run.error": "Error",
    "cmp.title": "Paired comparison per task",
    "cmp.runs_title": "Compare two runs",
    "cmp.runs_hint": "Each side: a run id (or a unique prefix, or latest) with one model, or RUN:MODEL.",
    "cmp.task": "Task",
    "cmp.metric": "Metric",
    "cmp.shared": "Shared samples (dropped)",
    "cmp.difference": "Difference (95% CI)",
    "cmp.p_holm": "p (Holm)",
    "cmp.correlation": "Correlation",
    "cmp.detectable": "Detectable",
    "cmp.verdict": "Verdict",
    "cmp.dropped_detail": "dropped: {only_a} only in A, {only_b} only in B, {errored} without a score, "
    "{mismatched} changed",
    "cmp.better": "{better} is better than {worse} by {size} points (95% CI {low} to {high})",
    "cmp.none": "no detectable difference; this run could detect {detectable} points",
    "cmp.none_holm": "no detectable difference after Holm correction over {tasks} tasks "
    "(p {p} → {p_holm}); this run could detect {detectable} points",
    "cmp.too_small": "no detectable difference; this run is too small to detect any difference reliably",
    "cmp.cannot": "cannot compare: {n} shared samples with a score",
    "cmp.note": "Only samples both models scored are paired; failed or unscored samples are dropped and "
    "counted. Scores in points (×100) for metrics between 0 and 1. Interval: paired bootstrap (over "
    "clusters when samples carry one). p: exact McNemar for 0/1 scores, otherwise a paired t-test; "
    "Holm-corrected across tasks, and the verdicts use the corrected p. Detectable: the smallest "
    "difference this many samples find with 80% power.",
    "api.title": "JSON API",
    "api.intro": "Every page reads one of these endpoints. The OpenAPI document:",
    "lang": "Language",
    "transparency.title": "Transparency",
    "trends.title": "Trends",
    "safety.title": "Safety",
    "safety.empty": "No safety results yet: run `assay safety refusals` or `assay safety eval-classifier`.",
    "source": "Source",
    "error.title": "Something went wrong",
}
_ZH = {
    "nav.leaderboard": "排行榜",
    "nav.arena_board": "竞技场评分",
    "nav.arena": "竞技场",
    "nav.runs": "运行记录",
    "nav.transparency": "透明度",
    "nav.safety": "安全",
    "nav.trends": "趋势",
    "nav.api": "接口",
    "lb.title": "评测排行榜",
    "lb.model": "模型",
    "lb.mwr": "平均胜率",
    "lb.group": "任务组",
    "lb.all": "全部任务",
    "lb.filter": "筛选",
    "lb.empty": "尚无结果。",
    "lb.ci": "[下限, 上限] 为 95% 置信区间（对错型得分用 Wilson 区间；题目共享文章或科目时按聚类计算；"
    "悬停可见方法）。排名区间（下限–上限）来自对样本的配对自助法；同一并列组内的模型在统计上无法区分。",
    "lb.rank": "排名",
    "lb.tie": "并列组",
    "lb.sort_hint": "点击列标题排序。",
    "arena.title": "竞技场",
    "arena.intro": "输入问题，两个匿名模型作答，请投票选出更好的回答。",
    "arena.prompt": "你的问题",
    "arena.sample": "随机问题",
    "arena.fight": "开始对战",
    "arena.model_a": "模型 A",
    "arena.model_b": "模型 B",
    "arena.waiting": "作答中…",
    "arena.vote_a": "A 更好",
    "arena.vote_b": "B 更好",
    "arena.vote_tie": "平局",
    "arena.vote_bothbad": "都不好",
    "arena.revealed": "投票已记录。两个模型是：",
    "arena.your_vote": "你的投票",
    "arena.new": "新的对战",
    "arena.prompt_label": "问题",
    "ratings.title": "竞技场评分",
    "ratings.rank": "名次",
    "ratings.rating": "评分",
    "ratings.ci": "95% 区间",
    "ratings.votes": "对战数",
    "ratings.empty": "尚无对战。",
    "ratings.heatmap": "胜率（行胜列）",
    "ratings.source": "对战来源",
    "runs.title": "运行记录",
    "runs.id": "运行",
    "runs.created": "创建时间",
    "runs.status": "状态",
    "runs.models": "模型",
    "runs.tasks": "任务",
    "run.title": "运行",
    "run.wrong": "只看错误答案",
    "run.all": "全部样本",
    "run.compare": "对比两个模型",
    "run.prompt": "提示",
    "run.response": "回答",
    "run.extracted": "提取的答案",
    "run.target": "标准答案",
    "run.score": "得分",
    "run.latency": "延迟（秒）",
    "run.sample": "样本",
    "run.error": "错误",
    "cmp.title": "逐任务配对比较",
    "cmp.runs_title": "对比两次运行",
    "cmp.runs_hint": "每一边：只含一个模型的运行 ID（或唯一前缀，或 latest），或 RUN:MODEL。",
    "cmp.task": "任务",
    "cmp.metric": "指标",
    "cmp.shared": "共同样本（剔除）",
    "cmp.difference": "差值（95% 置信区间）",
    "cmp.p_holm": "p（Holm 校正）",
    "cmp.correlation": "相关系数",
    "cmp.detectable": "可检测差值",
    "cmp.verdict": "结论",
    "cmp.dropped_detail": "剔除：仅 A 有 {only_a} 个，仅 B 有 {only_b} 个，无得分 {errored} 个，"
    "内容不同 {mismatched} 个",
    "cmp.better": "{better} 优于 {worse}，高 {size} 分（95% 置信区间 {low} 至 {high}）",
    "cmp.none": "未检测到差异；本次运行可检测到 {detectable} 分的差异",
    "cmp.none_holm": "经 {tasks} 个任务的 Holm 校正后未检测到差异（p {p} → {p_holm}）；"
    "本次运行可检测到 {detectable} 分的差异",
    "cmp.too_small": "未检测到差异；本次运行样本太少，无法可靠地检测任何差异",
    "cmp.cannot": "无法比较：只有 {n} 个两边都有得分的共同样本",
    "cmp.note": "只对两个模型都有得分的样本配对；失败或未评分的样本被剔除并计数。"
    "取值在 0 到 1 之间的指标以分（×100）显示。"
    "区间：配对自助法（样本带有聚类时按聚类重抽样）。p：0/1 得分用精确 McNemar 检验，否则用配对 t 检验；"
    "跨任务做 Holm 校正，结论依据校正后的 p。可检测差值：以 80% 的检验力能发现的最小差异。",
    "api.title": "JSON 接口",
    "api.intro": "每个页面都读取下列接口之一。OpenAPI 文档：",
    "lang": "语言",
    "transparency.title": "透明度",
    "trends.title": "趋势",
    "safety.title": "安全",
    "safety.empty": "还没有安全评估结果：请运行 `assay safety refusals` 或 `assay safety eval-classifier`。",
    "source": "来源",
    "error.title": "出错了",
}
CATALOGUES = {"en": _EN, "zh-Hans": _ZH}


def pick(cookie: str | None, accept_language: str | None) -> str:
    if cookie in CATALOGUES:
        return cookie
    if accept_language and accept_language.lower().startswith("zh"):
        return "zh-Hans"
    return DEFAULT


def translator(lang: str):  # type: ignore[no-untyped-def]
    table = CATALOGUES.get(lang, _EN)

    def t(key: str) -> str:
        return table.get(key) or _EN.get(key, key)

    return t
