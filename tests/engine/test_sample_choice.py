"""Which samples a run asks: the first ones, named ones, or a seeded random subset (`--shuffle`), and
the same choice under wrappers that copy each question (perturbations, circular rotations)."""

import json

import pytest
from typer.testing import CliRunner

from assay.api import build_spec
from assay.cli.main import app
from assay.core.errors import ConfigError
from assay.engine.plan import adaptive_order, select_samples
from assay.engine.spec_file import spec_from_mapping
from assay.engine.tasks import build_task_runs
from assay.store import Store
from assay.tasks.perturb import perturbation_of


def original_ids(spec) -> list[str]:
    (run,) = build_task_runs(spec)
    return [s.id for s in select_samples(run) if perturbation_of(s) is None and "@r" not in s.id]


def test_shuffle_draws_a_seeded_subset_across_the_task():
    first = original_ids(build_spec(["m"], ["arithmetic_mc"], limit=20))
    assert first == [str(i) for i in range(20)]
    drawn = original_ids(build_spec(["m"], ["arithmetic_mc"], limit=20, shuffle=True))
    again = original_ids(build_spec(["m"], ["arithmetic_mc"], limit=20, shuffle=True))
    other = original_ids(build_spec(["m"], ["arithmetic_mc"], limit=20, shuffle=True, seed=1))
    assert drawn == again and len(set(drawn)) == 20
    assert drawn != first and max(int(i) for i in drawn) >= 100  # reaches past the first 20 of 200
    assert set(drawn) != set(other)
    # The same order an adaptive run takes, so `--shuffle --limit n` is its first n samples.
    (run,) = build_task_runs(build_spec(["m"], ["arithmetic_mc"]))
    assert [s.id for s in adaptive_order(run, 0)[:20]] == drawn


def test_a_question_brings_its_perturbed_copies_and_rotations():
    named = build_spec(["m"], ["arithmetic_mc"], sample_ids=["7", "3"], perturb="lowercase,typos")
    (run,) = build_task_runs(named)
    samples = select_samples(run)
    assert {s.id.split("~")[0] for s in samples} == {"3", "7"}
    assert {perturbation_of(s) for s in samples if s.id.startswith("7")} >= {None, "lowercase"}

    shuffled = build_spec(["m"], ["arithmetic_mc"], limit=5, shuffle=True, perturb="typos")
    plain = build_spec(["m"], ["arithmetic_mc"], limit=5, shuffle=True)
    assert original_ids(shuffled) == original_ids(plain)

    rotated = build_spec(["m"], [("arithmetic_mc", {"circular": True})], sample_ids=["4"])
    (run,) = build_task_runs(rotated)
    assert [s.id for s in select_samples(run)] == [f"4@r{k}" for k in range(4)]


def test_an_unknown_sample_id_is_named_under_a_wrapper_too():
    spec = build_spec(["m"], ["arithmetic_mc"], sample_ids=["nope"], perturb="typos")
    (run,) = build_task_runs(spec)
    with pytest.raises(ConfigError, match="no sample with id nope"):
        select_samples(run)


def test_shuffle_in_spec_files_and_on_the_command_line(tmp_path):
    spec = spec_from_mapping({"models": ["m"], "tasks": ["arithmetic_mc"], "limit": 3, "shuffle": True}, "s")
    assert spec.shuffle and spec.to_json()["shuffle"] is True
    assert "shuffle" not in build_spec(["m"], ["arithmetic_mc"]).to_json()  # older records read the same
    with pytest.raises(ConfigError, match="shuffle"):
        spec_from_mapping({"models": ["m"], "tasks": ["arithmetic_mc"], "shuffle": "yes"}, "s")

    db = tmp_path / "r.db"
    args = ["run", "-m", "smollm2-135m", "-t", "arithmetic_mc", "--limit", "2", "--shuffle", "--db", str(db)]
    out = CliRunner().invoke(app, [*args, "--json", "--no-progress"])
    assert out.exit_code == 0, out.output
    run_id = json.loads(out.output)["run_id"]
    with Store.open(db) as store:
        assert store.get_run(run_id).spec.shuffle
        asked = sorted(r.sample_id for r in store.results(run_id))
    assert asked == sorted(original_ids(build_spec(["m"], ["arithmetic_mc"], limit=2, shuffle=True)))
