"""An infrastructure failure is never a wrong answer: a program that failed because the host ran out of
something it did not use up is run again, and if it never gets a fair run it is not scored. What the
program itself does (its own memory budget, killing itself, printing kernel-like errors) stays its own
failure. The machine-wide OOM counter cannot be made to rise here without starving the machine, so the
tests that need it raise the counter the sandbox reads; the process-slot check reads the real kernel
counters with a lowered threshold."""

from __future__ import annotations

import os

import pytest

from assay.core.types import Sample, Score
from assay.metrics.pass_at_k import pass_at_k_by_problem
from assay.sandbox import Limits, host, run_python, sandbox_problem
from assay.sandbox import launch as sandbox_launch
from assay.sandbox import runner as sandbox_runner
from assay.tasks.code import run_tests
from sandbox_programs import SIX_CHILDREN_OF_200MB

# Fork bombs, memory hogs and a census of the sandbox's processes: run alone (tests/host_share.py).
pytestmark = pytest.mark.exclusive

PROBLEM = sandbox_problem()
if PROBLEM and not os.environ.get("ASSAY_REQUIRE_SANDBOX"):
    pytest.skip(f"sandbox unavailable here: {PROBLEM}", allow_module_level=True)

LIMITS = Limits(cpu_seconds=3, wall_seconds=8, memory_mb=256, processes=8, file_size_mb=4, tmpfs_mb=16)
KILLS_ITSELF = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"
PASSES = "assert 1 + 1 == 2\n"


@pytest.fixture
def launches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the sandbox launches of a test (each attempt is one)."""
    seen: list[int] = []
    real = sandbox_runner.launch

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(sandbox_runner, "launch", counted)
    monkeypatch.setattr(sandbox_runner.time, "sleep", lambda _s: None)  # no pause between attempts
    return seen


def oom_kills_rising(monkeypatch: pytest.MonkeyPatch, during_launches: int) -> None:
    """The kernel's OOM kill count, rising by one during each of the first `during_launches` launches
    (as if the host's OOM killer had chosen the program while someone else held the memory)."""
    reads = [0]
    base = host.oom_kills()

    def count() -> int:
        # Two reads per launch that ends killed: before the program and after it.
        reads[0] += 1
        return base + min(reads[0] // 2, during_launches)

    monkeypatch.setattr(sandbox_launch.host, "oom_kills", count)


def test_killed_while_the_host_ran_out_of_memory_is_retried_then_not_scored(
    monkeypatch: pytest.MonkeyPatch, launches: list[int]
) -> None:
    oom_kills_rising(monkeypatch, during_launches=99)
    outcome = run_python(KILLS_ITSELF, limits=LIMITS)
    assert outcome.status == "failed" and outcome.host_failure is not None
    assert "out of memory" in outcome.host_failure
    assert len(launches) == sandbox_runner.HOST_FAILURE_ATTEMPTS

    score = run_tests(KILLS_ITSELF, LIMITS)
    assert score.values == {} and score.extracted.startswith("not scored: the host ran out of memory")


def test_a_host_failure_once_then_a_fair_run_counts_the_fair_run(
    monkeypatch: pytest.MonkeyPatch, launches: list[int]
) -> None:
    oom_kills_rising(monkeypatch, during_launches=1)
    outcome = run_python(KILLS_ITSELF, limits=LIMITS)
    # The second run was fair (the host had memory): killing itself is the program's own failure.
    assert outcome.status == "failed" and outcome.host_failure is None
    assert len(launches) == 2


def test_what_a_program_does_to_itself_stays_its_own_failure(launches: list[int]) -> None:
    # SIGKILL by its own hand, with no OOM kill on the host; and text that looks like the kernel's.
    assert run_python(KILLS_ITSELF, limits=LIMITS).host_failure is None
    lying = (
        "import sys\n"
        "sys.stderr.write('BlockingIOError: [Errno 11] Resource temporarily unavailable\\n')\n"
        "sys.exit(1)\n"
    )
    outcome = run_python(lying, limits=LIMITS)
    assert outcome.status == "failed" and outcome.host_failure is None
    assert len(launches) == 2  # neither was run again


def test_a_program_over_its_own_memory_budget_fails_on_its_merits(launches: list[int]) -> None:
    # Its own budget refused it (the run's cgroup, or RLIMIT_AS one at a time): not the host's doing,
    # though a cgroup's OOM kill raises the machine-wide counter too.
    hog = SIX_CHILDREN_OF_200MB
    outcome = run_python(hog, limits=LIMITS)
    assert outcome.status == "failed" and outcome.host_failure is None
    assert len(launches) == 1


def test_a_failure_while_the_host_is_short_of_process_slots_is_not_scored(
    monkeypatch: pytest.MonkeyPatch, launches: list[int]
) -> None:
    assert not host.short_of_tasks()  # this machine, now: far below the kernel's limits
    monkeypatch.setattr(host, "SHORT", 0.0)  # any task in use counts as "short": the real counters
    assert host.short_of_tasks()
    failing = "raise SystemExit(1)\n"
    outcome = run_python(failing, limits=LIMITS)
    assert outcome.host_failure == "the host ran out of process slots while the program ran"
    assert len(launches) == sandbox_runner.HOST_FAILURE_ATTEMPTS
    assert run_python(PASSES, limits=LIMITS).host_failure is None  # a pass is a pass


def test_not_scored_samples_are_left_out_of_pass_at_k() -> None:
    def item(problem: str, scored: Score) -> tuple[Sample, Score]:
        return Sample(id=f"{problem}-{id(scored)}", input="", metadata={"problem": problem}), scored

    passed, failed, not_scored = (
        Score(values={"passed": 1.0}),
        Score(values={"passed": 0.0}),
        Score(values={}, extracted="not scored: the host ran out of memory"),
    )
    items = [item("a", passed), item("a", not_scored), item("b", failed), item("b", not_scored)]
    assert pass_at_k_by_problem(items) == {"pass@1": 0.5}
