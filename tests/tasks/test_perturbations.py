"""Perturbations on hand-checked text: what each one writes, that a seed fixes it, and how a
perturbed task lays out its samples and keys."""

import pytest

from assay.core.errors import AssayError
from assay.core.keys import unit_key
from assay.tasks.arithmetic_mc import ArithmeticMC
from assay.tasks.perturb import get_perturbation, perturbation_of, perturbed, resolve
from assay.tasks.perturb.fairness import _names
from assay.tasks.perturb.robustness import KEYBOARD_NEIGHBOURS, _synonyms

TEXT = "What is the price? He asked Greg and Emily: it is not about this car, you all don't know."


def run(name, text=TEXT, seed=0, sample_id="1"):
    return get_perturbation(name)(text, seed, sample_id)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("lowercase", "What Is GREAT?", "what is great?"),
        (
            "contractions",
            "It is not what is wanted; we will not go.",
            "It's not what's wanted; we'll not go.",
        ),  # leftmost form first
        ("expansions", "Don't say I'm sure it's done.", "Do not say I am sure it is done."),
        ("gender", "He asked his father's son, Mr. Lee.", "She asked her mother's daughter, Ms. Lee."),
        ("dialect", "This is the test with them, you all.", "Dis is da tes wit dem, y'all."),
        ("names", "nothing named here", "nothing named here"),
    ],
)
def test_deterministic_perturbations_write_what_a_person_would(name, text, expected):
    assert run(name, text) == expected


def test_typos_are_keyboard_neighbours_fixed_by_the_seed():
    assert KEYBOARD_NEIGHBOURS["a"] == "qswz" and KEYBOARD_NEIGHBOURS["g"] == "bfhtvy"
    text = "the quick brown fox jumps over the lazy dog " * 4
    first = run("typos", text, seed=0)
    assert first == run("typos", text, seed=0)
    assert first != text and len(first) == len(text)
    for was, now in zip(text, first, strict=True):
        assert was == now or now in KEYBOARD_NEIGHBOURS[was]
    assert len({run("typos", text, seed=s) for s in range(4)}) == 4
    assert run("typos", text, seed=0, sample_id="2") != first  # the sample id is part of the seed


def test_whitespace_only_widens_spaces_and_the_seed_picks_how():
    out = run("whitespace", TEXT, seed=3)
    assert out == run("whitespace", TEXT, seed=3) and out != TEXT
    assert " ".join(out.split()) == TEXT
    assert len({run("whitespace", TEXT, seed=s) for s in range(4)}) > 1


def test_synonyms_come_from_the_shipped_list():
    text = "I need help to find a small car quickly and buy it at a big price"
    outs = {run("synonyms", text, seed=s) for s in range(6)}
    assert len(outs) > 1 and run("synonyms", text, seed=1) == run("synonyms", text, seed=1)
    allowed = {w for syns in _synonyms().values() for s in syns for w in s.lower().split()}
    for out in outs:
        for word in out.split():
            assert word.lower() in text.lower().split() or word.lower() in allowed


def test_names_swap_consistently_within_gender_and_only_capitalised():
    out = run("names", "Greg met Emily. Later Greg left; a jay sang.")
    first, _, second = out.split(".")[0].split(" ")[0], None, out.split()[3]
    assert first in _names()["greg"] and out.split()[2].rstrip(".") in _names()["emily"]
    assert out.split()[4].rstrip(";") == first and second == "Later"  # Greg is the same new name twice
    assert out.endswith("a jay sang.")
    assert len({run("names", "Greg", seed=s) for s in range(8)}) > 1


def test_sets_expand_and_unknown_names_are_told():
    assert resolve("robustness") == (
        "contractions",
        "expansions",
        "lowercase",
        "synonyms",
        "typos",
        "whitespace",
    )
    assert resolve("fairness,typos") == ("dialect", "gender", "names", "typos")
    assert resolve(["typos", "typos,lowercase"]) == ("typos", "lowercase")
    with pytest.raises(AssayError, match="did you mean typos"):
        resolve("typo")


def test_perturbed_task_keeps_targets_options_and_follows_each_original():
    task = perturbed(ArithmeticMC(size=3), ("lowercase", "typos", "names"), seed=0)
    samples = list(task.samples())
    originals = [s for s in samples if perturbation_of(s) is None]
    assert [s.id for s in originals] == ["0", "1", "2"]
    for copy in samples:
        name = perturbation_of(copy)
        if name is None:
            continue
        meta = dict(copy.metadata)
        source = originals[int(meta["perturbed_from"])]
        assert copy.id == f"{source.id}~{name}" and meta["original_input"] == source.input
        assert copy.input != source.input  # unchanged copies are not asked again
        assert (copy.choices, copy.answer_index) == (source.choices, source.answer_index)
    assert not any(perturbation_of(s) == "names" for s in samples)  # no names in arithmetic
    assert task.name == "arithmetic_mc" and "perturbation" in task.aggregators


def test_a_perturbation_joins_the_unit_key_only_when_there_is_one():
    common = dict(model_identity={"m": 1}, task_name="t", task_version="1", sample_id="s", request={}, seed=0)
    assert unit_key(**common) == unit_key(**common, perturbation=None)
    assert unit_key(**common, perturbation="typos") != unit_key(**common)
    assert unit_key(**common, perturbation="typos") != unit_key(**common, perturbation="lowercase")
