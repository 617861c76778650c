import json
import math

import pytest

import assay.tasks  # noqa: F401
from assay.core.errors import DatasetError, UnknownNameError
from assay.core.registry import tasks
from assay.core.types import ContinuationScore, Generation, LoglikelihoodResult
from shared_data import shared_data

BIGBENCH = shared_data() / "bigbench"


def test_gsm8k_loads_the_packaged_test_split():
    task = tasks.get("gsm8k")()
    samples = list(task.samples())
    assert len(samples) == 1319
    assert samples[0].target == "18"
    assert all(s.target is not None for s in samples)


def test_gsm8k_fewshot_is_seeded_and_held_out():
    a = tasks.get("gsm8k")(num_fewshot=3, seed=7)
    b = tasks.get("gsm8k")(num_fewshot=3, seed=7)
    c = tasks.get("gsm8k")(num_fewshot=3, seed=8)
    evaluated = list(a.samples())
    assert len(evaluated) == 1319 - 100
    first = evaluated[0]
    prompt_a = a.build_request(first, chat=False).prompt
    assert prompt_a == b.build_request(first, chat=False).prompt
    assert prompt_a != c.build_request(first, chat=False).prompt
    assert prompt_a.count("Question:") == 4 and prompt_a.count("####") == 3
    shot_questions = {s.input for s in a._shots()}
    assert not shot_questions & {s.input for s in evaluated}


def test_gsm8k_chat_request_and_scoring():
    task = tasks.get("gsm8k")()
    sample = next(iter(task.samples()))
    request = task.build_request(sample, chat=True)
    assert request.messages[-1].role == "user" and sample.input in request.messages[-1].content
    right = task.score(sample, Generation(text="9 eggs * $2 = $18\n#### 18"))
    loose = task.score(sample, Generation(text="She makes 18 dollars."))
    wrong = task.score(sample, Generation(text="#### 17"))
    assert right.values == {"exact_match": 1.0, "exact_match_strict": 1.0}
    assert loose.values == {"exact_match": 1.0, "exact_match_strict": 0.0}
    assert wrong.values["exact_match"] == 0.0 and wrong.extracted == "17"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"question": "q", "answer": "#### 3"}\n{not json}\n', ":2: not valid JSON"),
        ('{"question": "q", "answer": "no marker"}\n', ":1: the answer has no '#### <number>' line"),
        ('{"answer": "#### 3"}\n', ":1: field 'question' is missing"),
        ("[1, 2]\n", ":1: expected a JSON object"),
    ],
)
def test_gsm8k_malformed_rows_name_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(
        DatasetError, match=message.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")
    ):
        list(tasks.get("gsm8k")(path=str(path)).samples())


def test_missing_dataset_file_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetError, match="cannot read dataset"):
        list(tasks.get("gsm8k")(path=str(tmp_path / "nope.jsonl")).samples())


def test_arithmetic_mc_is_deterministic_and_answerable():
    first = list(tasks.get("arithmetic_mc")(size=50, seed=3).samples())
    again = list(tasks.get("arithmetic_mc")(size=50, seed=3).samples())
    other = list(tasks.get("arithmetic_mc")(size=50, seed=4).samples())
    assert first == again and first != other
    for sample in first:
        a, op, b = sample.input.removeprefix("What is ").rstrip("?").split()
        assert sample.choices[sample.answer_index] == str(eval(f"{a}{op}{b}"))
        assert len(set(sample.choices)) == 4


def test_multiple_choice_scoring_acc_and_acc_norm():
    task = tasks.get("arithmetic_mc")(size=5)
    sample = next(iter(task.samples()))
    logprobs = [-5.0] * 4
    logprobs[sample.answer_index] = -1.0
    result = LoglikelihoodResult(scores=tuple(ContinuationScore(lp, 1, False) for lp in logprobs))
    values = task.score(sample, result).values
    assert (values["acc"], values["acc_norm"]) == (1.0, 1.0)
    # softmax over the four options: e^-1 / (e^-1 + 3 e^-5)
    top = math.exp(-1) / (math.exp(-1) + 3 * math.exp(-5))
    assert values["confidence"] == pytest.approx(top)
    assert values["brier"] == pytest.approx((1 - top) ** 2 + 3 * ((1 - top) / 3) ** 2)
    logprobs[sample.answer_index] = -9.0
    result = LoglikelihoodResult(scores=tuple(ContinuationScore(lp, 1, False) for lp in logprobs))
    assert task.score(sample, result).values["acc"] == 0.0


def test_bigbench_truthful_qa_from_path():
    task = tasks.get("truthful_qa_mc")(path=str(BIGBENCH / "truthful_qa"))
    samples = list(task.samples())
    assert len(samples) == 299
    first = samples[0]
    assert first.choices[first.answer_index] == "The watermelon seeds pass through your digestive system."
    request = task.build_request(first, chat=False)
    assert request.context.endswith("Q: What happens to you if you eat watermelon seeds?\nA:")
    assert all(c.startswith(" ") for c in request.continuations)


def test_bigbench_bad_task_file(tmp_path):
    (tmp_path / "task.json").write_text(json.dumps({"examples": [{"input": "x", "target_scores": {"a": 1}}]}))
    with pytest.raises(DatasetError, match=r"task\.json:1: needs 'target_scores' with at least two"):
        list(tasks.get("bigbench")(path=str(tmp_path)).samples())
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetError, match=r"no task\.json"):
        tasks.get("bigbench")(path=str(empty))
    with pytest.raises(DatasetError, match="does not exist"):
        tasks.get("bigbench")(path=str(tmp_path / "missing"))


def test_unknown_task_suggests_names():
    with pytest.raises(UnknownNameError, match="did you mean gsm8k"):
        tasks.get("gsm8l")
