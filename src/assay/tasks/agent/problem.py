"""One agent problem (goal, starting files, tests) and its scorer: the final files, with the tests put
back as the task wrote them and the hidden tests added, run under unittest in the sandbox.

A problem is resolved when every named test ran and passed. The test run ends by printing a marker
drawn at random for this run: a program that exits early (os._exit(0) at import) never prints it, so
it cannot pass without its tests running.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from assay.sandbox import Limits, run_python
from assay.tasks.agent.patching import PatchError, apply
from assay.tasks.agent.workspace import write_tree

SCORING_LIMITS = Limits(cpu_seconds=20, wall_seconds=30, memory_mb=1024, processes=16)
_RUNNER = """\
import os, sys, unittest
sys.path.insert(0, os.getcwd())  # the work dir: the repository's modules import as they would there
suite = unittest.defaultTestLoader.loadTestsFromNames({tests!r})
result = unittest.TextTestRunner(stream=sys.stderr, verbosity=2).run(suite)
bad = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
print({marker!r}, result.testsRun, bad)
"""


@dataclass(frozen=True)
class AgentProblem:
    """`tests` are unittest names (modules, classes or methods) run at scoring; `hidden_files` and
    `test_patch` are added only then; `protected` files are put back as written here before the tests
    run (an agent that edits a test to pass it gains nothing). `solution` (a unified diff) is optional:
    it proves the problem solvable."""

    id: str
    goal: str
    files: dict[str, str]
    tests: tuple[str, ...]
    hidden_files: dict[str, str] = field(default_factory=dict)
    test_patch: str = ""
    solution: str = ""
    protected: tuple[str, ...] = ()
    source: str = ""  # where it was read from, for messages

    @property
    def kept_files(self) -> tuple[str, ...]:
        """Files restored before scoring: the named ones, else every test_*.py the agent was given."""
        if self.protected:
            return self.protected
        return tuple(n for n in self.files if n.rsplit("/", 1)[-1].startswith("test_"))


@dataclass(frozen=True)
class TestOutcome:
    resolved: bool
    tests_run: int
    failed: int
    detail: str
    host_failure: str | None = None


def score_files(
    problem: AgentProblem, final: Mapping[str, str], *, limits: Limits = SCORING_LIMITS, unsafe: bool = False
) -> TestOutcome:
    """Run the problem's tests on `final` (the agent's files) in the sandbox."""
    with tempfile.TemporaryDirectory(prefix="assay-agent-score-") as tmp:
        root = Path(tmp) / "work"
        root.mkdir()
        Path(tmp).chmod(0o711)  # the run's own uid must reach the work dir (as root)
        files = {**final, **{n: problem.files[n] for n in problem.kept_files if n in problem.files}}
        write_tree(root, {**files, **problem.hidden_files})
        if problem.test_patch:
            try:
                apply(str(root), problem.test_patch)
            except PatchError as exc:
                return TestOutcome(False, 0, 0, f"the test patch does not apply to the final files: {exc}")
        marker = f"assay-agent-tests-{secrets.token_hex(8)}"
        program = _RUNNER.format(tests=list(problem.tests), marker=marker)
        outcome = run_python(program, limits=limits, unsafe_no_sandbox=unsafe, workdir=root)
    if outcome.host_failure is not None:
        return TestOutcome(False, 0, 0, f"not scored: {outcome.host_failure}", outcome.host_failure)
    last = outcome.stdout.strip().splitlines()[-1:] or [""]
    fields = last[0].split()
    if len(fields) != 3 or fields[0] != marker:
        error = outcome.error_line or outcome.status
        return TestOutcome(False, 0, 0, f"the tests did not finish: {error}")
    run, failed = int(fields[1]), int(fields[2])
    resolved = run > 0 and failed == 0
    detail = f"{run} tests, {failed} failed" + ("" if resolved else f": {_first_failure(outcome.stderr)}")
    return TestOutcome(resolved, run, failed, detail)


def _first_failure(stderr: str) -> str:
    for line in stderr.splitlines():
        if line.startswith(("FAIL:", "ERROR:")):
            return line[:200]
    return ""
