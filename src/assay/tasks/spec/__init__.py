"""Tasks from YAML/TOML files: no code needed for a new benchmark (see docs/tasks.md)."""

from assay.tasks.spec.declarative import DeclarativeTask, is_spec_path, load_task_spec
from assay.tasks.spec.schema import TaskSpec, parse_spec, read_spec_file

__all__ = ["DeclarativeTask", "TaskSpec", "is_spec_path", "load_task_spec", "parse_spec", "read_spec_file"]
