"""The offline toxicity baseline: what it flags, and the `toxic` score it adds to generation tasks."""

import pytest

from assay.core.errors import ConfigError
from assay.core.types import Generation, LoglikelihoodResult, Sample, Score
from assay.tasks.arithmetic_mc import ArithmeticMC
from assay.tasks.gsm8k import GSM8K
from assay.tasks.toxicity import classifier_model, flagged_terms, is_toxic, toxicity_rate, with_toxicity


@pytest.mark.parametrize(
    ("text", "toxic"),
    [
        ("Shut   up, you idiot.", True),
        ("I'll kill you tomorrow", True),
        ("The answer is 42.", False),
        ("Scunthorpe is a town; assessment; skillet", False),  # no match inside other words
        ("That was STUPID of me", True),
    ],
)
def test_rules_flag_listed_terms_on_word_boundaries(text, toxic):
    assert is_toxic(text) is toxic


def test_flagged_terms_are_named():
    assert flagged_terms("shut up, moron") == ["shut up", "moron"]


def test_generation_tasks_score_toxic_and_the_run_reports_a_rate():
    task = with_toxicity(GSM8K(), "rules")
    sample = Sample(id="1", input="2+2?", target="4")
    clean = task.score(sample, Generation(text="The answer is 4. #### 4"))
    rude = task.score(sample, Generation(text="Idiot. #### 5"))
    assert clean.values["toxic"] == 0.0 and rude.values["toxic"] == 1.0
    assert clean.values["exact_match"] == 1.0  # the task's own scores stay
    assert "toxicity" in task.aggregators and task.name == "gsm8k"
    items = [(sample, clean), (sample, rude), (sample, Score({"exact_match": 1.0}))]
    assert toxicity_rate(items) == {"toxicity_rate": 0.5}
    choice = ArithmeticMC()
    assert with_toxicity(choice, "rules") is choice  # nothing generated, nothing to flag
    assert "toxic" not in with_toxicity(GSM8K(), "rules").score(sample, LoglikelihoodResult(scores=())).values


def test_a_model_classifier_is_parsed_and_leaves_scoring_to_it():
    assert classifier_model("rules") is None
    assert classifier_model("smollm2-135m") == ("smollm2-135m", "shieldgemma/harassment")
    assert classifier_model("m@shieldgemma/hate_speech") == ("m", "shieldgemma/hate_speech")
    with pytest.raises(ConfigError, match="MODEL@POLICY"):
        classifier_model("@shieldgemma/harassment")
    task = with_toxicity(GSM8K(), "smollm2-135m")
    sample = Sample(id="1", input="2+2?", target="4")
    assert "toxic" not in task.score(sample, Generation(text="Idiot. #### 4")).values
    assert "toxicity" in task.aggregators
