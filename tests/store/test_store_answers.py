"""Answers written in batches (`Store.put_answers`): one transaction for responses and errors, write-once
by key within the batch and against the store, more rows than one statement holds."""

from sqlalchemy import event

from assay.core.spec import RunSpec
from assay.store import ErrorRecord, ResponseRecord, Store, UnitRecord


def planned(store: Store, n: int) -> tuple[str, list[str]]:
    keys = [f"k{i:04d}" for i in range(n)]
    run_id = store.create_run(RunSpec(models=(), tasks=()))
    store.add_units(run_id, [
        UnitRecord(key=k, model="m", model_identity={}, task="t", task_version="1", sample_id=k,
                   request={"prompt": k}, sample={"id": k}) for k in keys
    ])  # fmt: skip
    return run_id, keys


def answer(key: str, text: str) -> ResponseRecord:
    return ResponseRecord(key, {"kind": "generate", "text": text}, latency_s=0.5, attempts=1)


def test_responses_and_errors_go_in_one_transaction(any_store):
    run_id, keys = planned(any_store, 1200)  # more than one statement's chunk of rows
    commits: list[object] = []
    event.listen(any_store.engine, "commit", commits.append)
    responses = [answer(k, k) for k in keys[:1100]]
    errors = [ErrorRecord(run_id, k, "timed out", attempts=3) for k in keys[1100:]]
    assert any_store.put_answers(responses, errors) == 1100
    assert len(commits) == 1
    rows = any_store.results(run_id)
    assert sum(r.response is not None for r in rows) == 1100
    assert [r.error for r in rows[1100:]] == ["timed out"] * 100
    assert any_store.error_count(run_id) == 100


def test_the_first_answer_of_a_key_wins_in_the_batch_and_in_the_store(any_store):
    _, (stored, fresh) = planned(any_store, 2)
    assert any_store.put_response(stored, {"kind": "generate", "text": "old"}, latency_s=None, attempts=1)
    written = any_store.put_answers([answer(stored, "new"), answer(fresh, "one"), answer(fresh, "two")])
    assert written == 1
    texts = {k: v["text"] for k, v in any_store.responses([stored, fresh]).items()}
    assert texts == {stored: "old", fresh: "one"}
