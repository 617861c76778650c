"""An agent's session: a working directory on the host that every tool call binds read-write into a
fresh sandbox run. Files persist between calls; shell state (working directory, variables, processes)
does not: each call is a new program with its own time, memory, process and output limits.

Every tool that touches files runs inside the sandbox too (the host never writes through a path the
model chose), and refuses paths that leave the working directory or pass through a link.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from assay.sandbox import Limits, Outcome, run_python
from assay.tasks.agent import patching
from assay.tasks.agent.protocol import BadCall, ToolCall, check_call
from assay.tasks.agent.workspace import read_tree, write_tree

DISK_CAP = 64 * 2**20  # bytes the working directory may hold; past it the session ends
# Runs in the sandbox as main.py, after the patch applier's own source (so nothing is imported from
# beside it); args.json sits in /sandbox. The working directory is the session's work dir.
_TOOL_MAIN = (
    inspect.getsource(patching)
    + """

def _tool_main():
    import json, sys, tempfile
    here = os.getcwd()
    # In the sandbox the launcher names this file main.py in /sandbox; run unsandboxed, by its path.
    beside = os.path.dirname(__file__) if os.path.isabs(__file__) else '/sandbox'
    with open(os.path.join(beside, 'args.json')) as handle:
        args = json.load(handle)
    name = args.pop('tool')
    try:
        if name == 'bash':  # `python` names this interpreter (Debian has only python3)
            shims = tempfile.mkdtemp()
            os.symlink(sys.executable, os.path.join(shims, 'python'))
            os.environ['PATH'] = shims + ':' + os.environ.get('PATH', '/usr/bin:/bin')
            os.execv('/bin/bash', ['bash', '-c', args['command']])
        elif name == 'python':
            os.execv(sys.executable, [sys.executable, '-c', args['code']])
        elif name == 'read_file':
            with open(safe_path(here, args['path']), encoding='utf-8', errors='replace') as handle:
                print(handle.read(), end='')
        elif name == 'write_file':
            write_text(safe_path(here, args['path']), args['content'])
            print('wrote', args['path'])
        elif name == 'apply_patch':
            print('patched', ', '.join(apply(here, args['patch'])))
    except (PatchError, OSError) as exc:
        print('error:', exc, file=sys.stderr)
        sys.exit(3)


_tool_main()
"""
)
TOOL_FAILED = 3  # the exit status by which a file tool says it could not do what was asked


@dataclass(frozen=True)
class ToolResult:
    output: str
    error: bool  # the call could not be carried out (not: a command that ran and exited non-zero)


class AgentSession:
    """The working directory of one attempt, made from `files`; close it to remove it."""

    def __init__(self, files: dict[str, str], limits: Limits, *, unsafe_no_sandbox: bool = False) -> None:
        self.limits = limits
        self.unsafe = unsafe_no_sandbox
        self._home = Path(tempfile.mkdtemp(prefix="assay-agent-"))
        self._home.chmod(0o711)  # as root, each call's own uid must reach the work dir inside
        self.root = self._home / "work"
        self.root.mkdir()
        write_tree(self.root, files)
        self.ended: str | None = None  # why the session cannot go on (the disk cap), if it cannot

    def files(self) -> dict[str, str]:
        return read_tree(self.root)

    def close(self) -> None:
        shutil.rmtree(self._home, ignore_errors=True)

    def __enter__(self) -> AgentSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, call: ToolCall) -> ToolResult:
        """Carry out one tool call (submit is the loop's business, not a session's)."""
        try:
            check_call(call)
        except BadCall as exc:
            return ToolResult(f"error: {exc}", error=True)
        args = {"tool": call.name, **{k: str(v) for k, v in call.arguments.items()}}
        files = {"args.json": json.dumps(args)}
        outcome = run_python(
            _TOOL_MAIN, files=files, limits=self.limits, unsafe_no_sandbox=self.unsafe, workdir=self.root
        )
        if _disk_use(self.root) > DISK_CAP:
            self.ended = f"the working directory grew past {DISK_CAP // 2**20} MB"
        return _result(call.name, outcome)


def _result(name: str, outcome: Outcome) -> ToolResult:
    if outcome.host_failure is not None:
        return ToolResult(f"error: the sandbox could not run the call ({outcome.host_failure})", error=True)
    parts = []
    if outcome.stdout:
        parts.append(outcome.stdout.rstrip("\n"))
    if outcome.stderr:
        parts.append(outcome.stderr.rstrip("\n"))
    if outcome.status == "timeout":
        parts.append(f"[timed out after {outcome.duration_s:.0f} s]")
        return ToolResult("\n".join(parts), error=True)
    file_tool = name in ("read_file", "write_file", "apply_patch")
    failed = file_tool and outcome.returncode == TOOL_FAILED
    if not file_tool:
        parts.append(f"[exit status {outcome.returncode}]")
    return ToolResult("\n".join(parts) or "(no output)", error=failed)


def _disk_use(root: Path) -> int:
    total = 0
    for top, _dirs, names in os.walk(root, followlinks=False):
        for name in names:
            try:
                total += os.lstat(os.path.join(top, name)).st_blocks * 512
            except OSError:
                continue
    return total
