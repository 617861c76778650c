"""LLM-as-a-judge end to end: prompts, a scripted judge model, battles in a real store, the CLI,
and (slow) the built-in SmolLM2 GGUF as a real judge."""

import asyncio
import json
import math
import re

import pytest
from typer.testing import CliRunner

from assay.cli.judge import judge_app
from assay.core.errors import ConfigError, DatasetError, ModelRequestError, ModelUnsupportedError
from assay.core.types import Generation
from assay.judge.judges import LLMJudge, judges
from assay.judge.leaderboard import battle_source, judge_leaderboard, judgements_to_battles
from assay.judge.position import position_stats
from assay.judge.prompt_file import templates_from_mapping
from assay.judge.prompts import BUILTIN_TEMPLATES
from assay.judge.records import (
    answer_from_record,
    judgement_from_record,
    judgement_record,
    question_from_record,
)
from assay.judge.render import pairwise_prompt, single_prompt
from assay.judge.run import judge_pairs, rank_candidates
from assay.judge.types import Answer, Question

QUESTIONS = [
    Question("q1", ("What is 2 + 2?",), "math", ("4",)),
    Question("q2", ("Name a colour.", "Now name another one."), "writing"),
]
ANSWERS = [
    Answer("q1", "good", ("2 + 2 = 4",)),
    Answer("q1", "bad", ("2 + 2 = 5, as everyone knows",)),
    Answer("q2", "good", ("Blue.", "Green.")),
    Answer("q2", "bad", ("Banana, a fruit that is also long", "Potato")),
]


class ScriptedJudgeModel:
    """A Model whose verdicts follow a rule: prefers the answer that comes from 'good', can be biased."""

    def __init__(self, *, always_first=False, garbage_for=None, fail_for=None):
        self.name = "scripted"
        self.identity = {"backend": "test"}
        self.max_concurrency = 2
        self.prompts = []
        self.always_first = always_first
        self.garbage_for = garbage_for
        self.fail_for = fail_for

    async def generate(self, request):
        text = request.messages[-1].content
        self.prompts.append(request.messages)
        if self.fail_for and self.fail_for in text:
            raise ModelRequestError("server said 500", retryable=False)
        if self.garbage_for and self.garbage_for in text:
            return Generation("I cannot decide, both have merit.")
        if "Rate the" in text:
            return Generation("Rating: [[8]]" if "= 4" in text or "Blue" in text else "Rating: [[2]]")
        a = re.search(
            r"A's answer begins\]\n(.*?)\n\[Assistant A's answer ends|assistant A begins\]\n"
            r"(.*?)\n\[Conversation with assistant A ends",
            text,
            re.S,
        )
        a_text = next(g for g in a.groups() if g is not None)
        a_good = "= 4" in a_text or "Blue" in a_text
        verdict = "A" if self.always_first or a_good else "B"
        return Generation(f"Reasoning...\n[[{verdict}]]")

    async def loglikelihood(self, request):
        raise ModelUnsupportedError("no logprobs here")

    async def aclose(self):
        pass


def run(coro):
    return asyncio.run(coro)


def test_prompt_choice_single_multi_turn_and_reference():
    name, values = pairwise_prompt(QUESTIONS[0], ANSWERS[0], ANSWERS[1], 1)
    assert name == "pairwise-reference" and values["reference"] == "4"
    name, values = pairwise_prompt(QUESTIONS[1], ANSWERS[2], ANSWERS[3], 2)
    assert name == "pairwise-multi-turn"
    assert "### User:\nNow name another one.\n\n### Assistant:\nGreen." in values["conversation_a"]
    assert single_prompt(QUESTIONS[1], ANSWERS[2], 1)[0] == "single"
    system, user = BUILTIN_TEMPLATES[name].render(values)
    assert "Potato" in user and "[[A]]" in system and "{" not in user.replace("{conversation", "")
    with pytest.raises(DatasetError, match="turn 3"):
        pairwise_prompt(QUESTIONS[1], ANSWERS[2], ANSWERS[3], 3)


def test_braces_in_answers_are_left_alone():
    code = Answer("q1", "c", ("def f(): return {'a': 1}  # {answer_b}",))
    _, user = BUILTIN_TEMPLATES["pairwise"].render(
        pairwise_prompt(Question("q", ("Write f",)), code, ANSWERS[1], 1)[1]
    )
    assert "{'a': 1}  # {answer_b}" in user


def test_prompt_overrides_are_checked():
    mine = {
        "pairwise": {
            "version": "mine-1",
            "system": "Be fair. Say [[A]] or [[B]].",
            "user": "Q: {question}\nA: {answer_a}\nB: {answer_b}",
        }
    }
    templates = templates_from_mapping(mine)
    assert templates["pairwise"].version == "mine-1" and templates["single"] == BUILTIN_TEMPLATES["single"]
    bad = [
        ({"pairwise": {"version": "x", "user": "{question} {answer_a}"}}, "must use {answer_b}"),
        ({"pairwise": {"version": "x", "user": "{question} {answer_a} {answer_b} {answer}"}}, "cannot use"),
        ({"pairwize": {"version": "x", "user": ""}}, "unknown template"),
        ({"pairwise": {"user": "{question} {answer_a} {answer_b}"}}, "missing"),
        (
            {"pairwise": {"version": "assay-pair-1", "user": "{question} {answer_a} {answer_b}"}},
            "keeps the built-in version",
        ),
    ]
    for data, message in bad:
        with pytest.raises(ConfigError, match=re.escape(message)):
            templates_from_mapping(data)


def test_pairs_in_both_orders_with_a_scripted_judge():
    model = ScriptedJudgeModel()
    judged = run(judge_pairs(LLMJudge(model), QUESTIONS, ANSWERS))
    # q1 has one turn, q2 two: three pairs, six calls (both orders)
    assert len(judged) == 3 and len(model.prompts) == 6
    assert all(j.winner == "model_b" and j.consistent for j in judged)  # ("bad", "good"): good is model_b
    assert {(j.question_id, j.turn) for j in judged} == {("q1", 1), ("q2", 1), ("q2", 2)}
    assert any("Reference answer" in m[-1].content for m in model.prompts)
    stats = position_stats(judged)[0]
    assert (stats.first_position_win_rate, stats.consistency, stats.longer_answer_win_rate) == (0.5, 1.0, 0.0)


def test_a_first_position_judge_is_inconsistent_and_counts_ties():
    judged = run(judge_pairs(LLMJudge(ScriptedJudgeModel(always_first=True)), QUESTIONS, ANSWERS))
    assert all(j.winner == "tie" and j.consistent is False for j in judged)
    stats = position_stats(judged)[0]
    assert stats.first_position_win_rate == 1.0 and stats.consistency == 0.0


def test_unreadable_and_failed_judgements_are_errors_and_never_battles():
    model = ScriptedJudgeModel(garbage_for="Banana", fail_for="= 5")
    judged = run(judge_pairs(LLMJudge(model), QUESTIONS, ANSWERS, turns="first"))
    errors = {j.question_id: j.error for j in judged}
    assert "server said 500" in errors["q1"] and "no verdict marker" in errors["q2"]
    assert all(j.winner is None for j in judged)
    assert judgements_to_battles(judged).empty


def test_judgements_become_battles_in_a_real_store_and_a_leaderboard(tmp_path):
    from assay.store import Store
    from assay.store.battles import battle_sources, load_battles, put_battles

    judged = run(judge_pairs(LLMJudge(ScriptedJudgeModel()), QUESTIONS, ANSWERS))
    battles = judgements_to_battles(judged)
    with Store.open(tmp_path / "s.db") as store:
        assert put_battles(store, battles, source=battle_source("scripted")) == 3
        assert put_battles(store, battles, source=battle_source("scripted")) == 0  # idempotent
        stored = load_battles(store, source="judge:scripted")
        assert battle_sources(store) == {"judge:scripted": 3}
    assert list(stored["winner"]) == ["model_b"] * 3 and set(stored["question_id"]) == {"q1", "q2"}
    table = judge_leaderboard(stored, prior=1.0, ci="none")
    assert [r.model for r in table.rows] == ["good", "bad"] and table.rows[0].battles == 3


def test_records_round_trip_and_fastchat_shapes():
    judged = run(judge_pairs(LLMJudge(ScriptedJudgeModel()), QUESTIONS, ANSWERS))
    for j in judged:
        assert judgement_from_record(json.loads(json.dumps(judgement_record(j)))) == j
    q = question_from_record({"question_id": 81, "category": "writing", "turns": ["a", "b"]})
    assert q == Question("81", ("a", "b"), "writing")
    a = answer_from_record(
        {"question_id": 81, "model_id": "vicuna", "choices": [{"index": 0, "turns": ["x", "y"]}]}
    )
    assert a == Answer("81", "vicuna", ("x", "y"))
    with pytest.raises(DatasetError, match="needs 'turns'"):
        question_from_record({"question_id": 1})


def test_pairs_ranking_falls_back_to_verdicts():
    candidates = [Answer("q1", f"m{i}", (f"2 + 2 = {4 if i == 2 else 5}",)) for i in range(4)]
    ranking = run(rank_candidates(LLMJudge(ScriptedJudgeModel()), QUESTIONS[0], candidates))
    assert ranking.order[0] == "m2" and ranking.source == "verdicts" and ranking.errors == 0
    assert ranking.comparisons == ranking.judge_calls <= 5


def test_judge_registry():
    assert {"llm", "length"} <= set(judges.names())
    with pytest.raises(ConfigError, match="needs a model"):
        judges.get("llm")(None, None)


def write_inputs(tmp_path):
    q = tmp_path / "q.jsonl"
    q.write_text("\n".join(json.dumps({"question_id": x.id, "turns": list(x.turns)}) for x in QUESTIONS))
    a = tmp_path / "a.jsonl"
    a.write_text(
        "\n".join(
            json.dumps({"question_id": x.question_id, "model": x.model, "turns": list(x.turns)})
            for x in ANSWERS
        )
    )
    return q, a


def test_question_files_name_both_rows_of_a_repeated_id(tmp_path):
    from assay.judge.files import read_questions

    q = tmp_path / "q.json"  # a JSON list, one question per line
    rows = [{"question_id": i, "turns": ["t"]} for i in ("q1", "q2", "q1")]
    q.write_text("[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]\n")
    with pytest.raises(
        DatasetError, match=rf"^{re.escape(str(q))}:4: duplicate question id 'q1' \(first at .*q\.json:2\)$"
    ):
        read_questions(q)


def test_cli_pairwise_stats_and_agreement_with_the_length_judge(tmp_path):
    q, a = write_inputs(tmp_path)
    out, db = tmp_path / "j.jsonl", tmp_path / "s.db"
    runner = CliRunner()
    result = runner.invoke(
        judge_app,
        [
            "pairwise",
            "--kind",
            "length",
            "--questions",
            str(q),
            "--answers",
            str(a),
            "--db",
            str(db),
            "--out",
            str(out),
            "--prior",
            "1",
            "--ci",
            "none",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["pairs"] == 3 and payload["battles_stored"] == 3
    assert payload["position"][0]["longer_answer_win_rate"] == 1.0
    assert payload["leaderboard"]["ratings"][0]["model"] == "bad"  # the longer answers win
    stats = runner.invoke(judge_app, ["stats", str(out), "--json"])
    assert json.loads(stats.stdout)[0]["consistency"] == 1.0
    human = tmp_path / "human.jsonl"
    human.write_text(
        json.dumps(
            {
                "question_id": "q1",
                "model_a": "good",
                "model_b": "bad",
                "winner": "model_a",
                "judge": "expert_1",
                "turn": 1,
            }
        )
    )
    agree = runner.invoke(judge_app, ["agreement", str(human), str(out), "--json"])
    row = json.loads(agree.stdout)["length"]["rows"][0]
    assert row["judge_human_with_ties"] == {"agree": 0, "total": 1, "rate": 0.0}


def test_cli_errors_are_one_line_assay_errors(tmp_path):
    q, a = write_inputs(tmp_path)
    runner = CliRunner()
    result = runner.invoke(judge_app, ["pairwise", "--questions", str(q), "--answers", str(a)])
    assert isinstance(result.exception, ConfigError) and "needs a model" in str(result.exception)
    result = runner.invoke(
        judge_app, ["rank", "--kind", "length", "--questions", str(tmp_path / "nope"), "--answers", str(a)]
    )
    assert isinstance(result.exception, DatasetError) and "cannot read" in str(result.exception)
    listed = runner.invoke(judge_app, ["prompts"])
    assert "pairwise-reference" in listed.stdout and "assay-pair-ref-1" in listed.stdout


class ProbabilityModel(ScriptedJudgeModel):
    """Log-likelihoods that favour [[A]] when assistant A's answer is the good one, plus a first-slot pull."""

    def __init__(self, pull=0.0):
        super().__init__()
        self.pull = pull

    async def loglikelihood(self, request):
        from assay.core.types import ContinuationScore, LoglikelihoodResult

        assert request.continuations == ("[[A]]", "[[B]]") and request.messages is not None
        a_text = request.context.split("A's answer begins]\n")[1].split("\n[Assistant A")[0]
        good_first = "= 4" in a_text or "Blue" in a_text or "Green" in a_text
        la, lb = (-0.2, -2.0) if good_first else (-2.0, -0.2)
        return LoglikelihoodResult(
            (ContinuationScore(la + self.pull, 3, True), ContinuationScore(lb, 3, False))
        )


def test_verdicts_from_token_probabilities():
    judged = run(judge_pairs(LLMJudge(ProbabilityModel(), verdicts="probabilities"), QUESTIONS, ANSWERS))
    assert all(j.winner == "model_b" and j.forward.method == "probability" for j in judged)
    assert judged[0].forward.prob_first == pytest.approx(1 / (1 + math.exp(1.8)))
    # a judge pulled hard towards the first slot picks A in both orders: inconsistent, a tie
    biased = run(
        judge_pairs(LLMJudge(ProbabilityModel(pull=5.0), verdicts="probabilities"), QUESTIONS, ANSWERS)
    )
    assert all(j.winner == "tie" and j.consistent is False for j in biased)
    with pytest.raises(ConfigError, match="no token probabilities"):
        run(judge_pairs(LLMJudge(ScriptedJudgeModel(), verdicts="probabilities"), QUESTIONS, ANSWERS))


def test_pairs_ranking_uses_probabilities_when_the_backend_has_them():
    candidates = [Answer("q1", f"m{i}", (f"2 + 2 = {4 if i == 1 else 5}",)) for i in range(3)]
    ranking = run(rank_candidates(LLMJudge(ProbabilityModel()), QUESTIONS[0], candidates, calibrate=True))
    assert ranking.order[0] == "m1" and ranking.source == "probabilities"
    assert ranking.judge_calls == 2 * ranking.comparisons


@pytest.mark.slow
def test_real_judge_smollm2_end_to_end(tmp_path):
    """Two contestants answer with the built-in SmolLM2, SmolLM2 judges them in both orders, the
    verdicts are stored as battles in a real SQLite store and rated. Scores are weak; every step is real."""
    from assay.core.types import GenerateRequest, GenerationParams, Message
    from assay.models import build_model, parse_model
    from assay.store import Store
    from assay.store.battles import load_battles, put_battles

    questions = [
        Question("capital", ("What is the capital of France?",)),
        Question("sum", ("What is 3 + 4?",), "math", ("7",)),
    ]
    styles = {
        "smollm2-plain": "You are a helpful assistant.",
        "smollm2-terse": "Answer with one word only, even if that is unhelpful.",
    }

    async def scenario():
        model = build_model(parse_model("smollm2-135m"))
        answers = []
        for name, system in styles.items():
            for q in questions:
                request = GenerateRequest(
                    messages=(Message("system", system), Message("user", q.turns[0])),
                    params=GenerationParams(max_tokens=48),
                )
                answers.append(Answer(q.id, name, ((await model.generate(request)).text.strip() or "-",)))
        # text verdicts on one question (a 135M model rarely writes [[A]]: errors, never ties) ...
        text_judged = await judge_pairs(LLMJudge(model, max_tokens=96), questions[:1], answers)
        # ... and verdicts from its [[A]] / [[B]] token probabilities on both
        judged = await judge_pairs(LLMJudge(model, verdicts="probabilities"), questions, answers)
        ranking = await rank_candidates(LLMJudge(model), questions[0], [answers[0], answers[2]])
        await model.aclose()
        return text_judged, judged, ranking

    text_judged, judged, ranking = asyncio.run(scenario())
    (text,) = text_judged
    assert text.forward.raw and text.backward is not None and text.backward.raw
    assert (text.winner is None) == (text.error is not None)  # an error has no winner, a winner no error
    assert text.winner is not None or "no verdict marker" in (text.error or "")
    assert len(judged) == 2 and all(j.winner is not None and j.error is None for j in judged)
    assert all(0.0 < (j.forward.prob_first or 0.0) < 1.0 for j in judged)
    assert ranking.source == "probabilities" and ranking.comparisons == 1

    battles = judgements_to_battles(text_judged + judged)
    with Store.open(tmp_path / "arena.db") as store:
        assert put_battles(store, battles, source=battle_source("smollm2-135m")) == len(battles)
        stored = load_battles(store, source="judge:smollm2-135m")
    assert len(stored) == len(battles) >= 2
    table = judge_leaderboard(stored, prior=1.0, ci="bootstrap", rounds=20)
    assert {r.model for r in table.rows} == set(styles)
    assert all(r.lower <= r.rating <= r.upper for r in table.rows)


def main_error(capsys, *args):
    """`assay judge ...` in-process through the real entry point: one `error:` line, exit code 2."""
    import sys
    from unittest.mock import patch

    from assay.cli.main import main

    with patch.object(sys, "argv", ["assay", "judge", *args]), pytest.raises(SystemExit) as stop:
        main()
    err = capsys.readouterr().err
    assert stop.value.code == 2, err
    assert err.startswith("error: ") and "Traceback" not in err and err.count("\n") == 1, err
    return err


def test_cli_unreadable_files_are_one_line_errors(tmp_path, capsys):
    q, a = write_inputs(tmp_path)
    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(b"\xff\xfe{}")
    length = ["--kind", "length", "--no-store"]
    err = main_error(capsys, "pairwise", "--questions", str(binary), "--answers", str(a), *length)
    assert "bin.jsonl: not UTF-8 text (byte 0xff at offset 0, line 1)" in err
    err = main_error(capsys, "pairwise", "--questions", str(q), "--answers", str(binary), *length)
    assert "bin.jsonl: not UTF-8 text" in err
    err = main_error(capsys, "prompts", "--prompts", str(binary))
    assert "bin.jsonl: not UTF-8 text" in err
    bad_yaml = tmp_path / "p.yaml"
    bad_yaml.write_text("pairwise: [unclosed\n", encoding="utf-8")
    assert "p.yaml:2: not valid YAML" in main_error(capsys, "prompts", "--prompts", str(bad_yaml))
    for command in (["stats"], ["agreement", str(tmp_path / "j.jsonl")]):
        assert "not UTF-8 text" in main_error(capsys, *command[:1], str(binary), *command[1:])
    odd = tmp_path / "odd.jsonl"
    odd.write_text(json.dumps({"question_id": ["q1"], "turns": ["x"]}) + "\n", encoding="utf-8")
    err = main_error(capsys, "pairwise", "--questions", str(odd), "--answers", str(a), *length)
    assert "'question_id' must be a non-empty string or a number" in err
    odd.write_text(json.dumps({"question_id": "q1", "model": "m", "choices": [5]}) + "\n", encoding="utf-8")
    err = main_error(capsys, "pairwise", "--questions", str(q), "--answers", str(odd), *length)
    assert "choices[0].turns" in err


def test_cli_empty_or_foreign_files_for_stats_and_agreement(tmp_path, capsys):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    assert "no judgements" in main_error(capsys, "stats", str(empty))
    null = tmp_path / "null.jsonl"
    record = {"question_id": "q1", "model_a": "a", "model_b": "b", "winner": "model_a", "judge": "j",
              "turn": 1, "forward": None, "length_a": 1, "length_b": 2}  # fmt: skip
    null.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert "null.jsonl:1: not a judgement" in main_error(capsys, "stats", str(null))
    assert "empty.jsonl: no votes" in main_error(capsys, "agreement", str(empty), str(null))


def test_cli_bad_out_fails_before_judging_and_battles_are_kept(tmp_path, capsys):
    q, a = write_inputs(tmp_path)
    db = tmp_path / "s.db"
    args = ["--kind", "length", "--questions", str(q), "--answers", str(a), "--db", str(db)]
    err = main_error(capsys, "pairwise", *args, "--out", str(tmp_path), "--prior", "1")
    assert "cannot write" in err and "it is a directory" in err
    assert not db.exists()  # nothing judged, nothing stored
    assert "it is a directory" in main_error(capsys, "grade", *args[:6], "--out", str(tmp_path))
    # a rating that cannot be fitted still says where the verdicts went, and how to rate them
    two = tmp_path / "two.jsonl"
    rows = [{"question_id": x.question_id, "model": x.model, "turns": list(x.turns)} for x in ANSWERS]
    two.write_text("".join(json.dumps(r) + "\n" for r in rows if r["question_id"] == "q1"))
    out = tmp_path / "j.jsonl"
    more = ["--db", str(db), "--out", str(out), "--no-progress"]
    err = main_error(capsys, "pairwise", *args[:5], str(two), *more)
    assert "--prior 1" in err and "stored 1 new battles" in err and "wrote " in err
    assert out.read_text(encoding="utf-8").count("\n") == 1
