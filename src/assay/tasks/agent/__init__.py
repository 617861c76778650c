"""Agent tasks: problems solved with tools over many turns, scored by tests in the sandbox."""

from assay.tasks.agent.problem import AgentProblem, TestOutcome, score_files
from assay.tasks.agent.task import AgentLimits, AgentTask, agent

__all__ = ["AgentLimits", "AgentProblem", "AgentTask", "TestOutcome", "agent", "score_files"]
