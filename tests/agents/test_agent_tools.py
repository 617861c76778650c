"""Agent tools in the sandbox: files persist between calls, hostile calls stay contained."""

from __future__ import annotations

import os

import pytest

from assay.engine.agent.tools import AgentSession
from assay.sandbox import Limits, sandbox_problem
from assay.tasks.agent.protocol import BadCall, ToolCall, parse_tool_call

needs_sandbox = pytest.mark.skipif(sandbox_problem() is not None, reason="bubblewrap cannot run here")


@pytest.fixture
def session():
    with AgentSession({"app.py": "X = 1\n"}, Limits(wall_seconds=5, output_chars=1000)) as s:
        yield s


@needs_sandbox
def test_files_persist_across_calls_but_shell_state_does_not(session):
    first = session.call(
        ToolCall("bash", {"command": "mkdir pkg && echo 2 > pkg/n.txt && cd pkg && export V=9"})
    )
    assert not first.error
    second = session.call(ToolCall("bash", {"command": "pwd; cat pkg/n.txt; echo ${V:-unset}"}))
    assert second.output.splitlines()[:3] == ["/sandbox/work", "2", "unset"]
    patched = session.call(
        ToolCall("apply_patch", {"patch": "--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-X = 1\n+X = 5\n"})
    )
    assert not patched.error
    assert session.call(ToolCall("python", {"code": "import app; print(app.X)"})).output.startswith("5")
    assert session.files() == {"app.py": "X = 5\n", "pkg/n.txt": "2\n"}


@needs_sandbox
def test_path_escapes_through_dotdot_and_links_are_refused(session, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("host secret")
    session.call(ToolCall("bash", {"command": f"ln -s {tmp_path} out; ln -s {outside} leak.txt"}))
    for call in (
        ToolCall("write_file", {"path": "../escaped.py", "content": "x"}),
        ToolCall("write_file", {"path": "out/secret.txt", "content": "overwritten"}),
        ToolCall("read_file", {"path": "out/secret.txt"}),
        ToolCall("apply_patch", {"patch": "--- a/../../x\n+++ b/../../x\n@@ -0,0 +1 @@\n+x\n"}),
        ToolCall(
            "apply_patch",
            {"patch": "--- a/out/secret.txt\n+++ b/out/secret.txt\n@@ -1 +1 @@\n-host secret\n+gone\n"},
        ),
    ):
        result = session.call(call)
        assert result.error and "host secret" not in result.output, call
    # Nor is a link written or read through as the last part of a path.
    assert session.call(ToolCall("write_file", {"path": "leak.txt", "content": "mine"})).error
    assert session.call(ToolCall("read_file", {"path": "leak.txt"})).error
    assert outside.read_text() == "host secret"
    assert not os.path.exists(session.root.parent / "escaped.py")
    assert session.files() == {"app.py": "X = 1\n"}  # links are never state


@needs_sandbox
def test_network_fork_bomb_and_huge_output_are_contained(session):
    net = session.call(
        ToolCall("python", {"code": "import socket; socket.create_connection(('1.1.1.1', 53), 2)"})
    )
    assert "[exit status 1]" in net.output and "Network is unreachable" in net.output
    bomb = session.call(ToolCall("bash", {"command": ":(){ :|:& };:"}))
    assert "[exit status" in bomb.output or "timed out" in bomb.output  # it ended; its children were killed
    huge = session.call(ToolCall("bash", {"command": "seq 1 5000000"}))
    assert len(huge.output) < 3000 and huge.output.startswith("1\n2\n") and "[exit status" in huge.output
    after = session.call(ToolCall("bash", {"command": "echo still here"}))
    assert after.output.startswith("still here")


def test_text_protocol_reads_json_raw_bodies_and_refuses_broken_calls():
    assert parse_tool_call('```tool bash\n{"command": "ls"}\n```') == ToolCall("bash", {"command": "ls"})
    assert parse_tool_call("```tool bash\nls -la\n```") == ToolCall("bash", {"command": "ls -la"})
    named = parse_tool_call('```tool\n{"name": "read_file", "arguments": {"path": "a.py"}}\n```')
    assert named == ToolCall("read_file", {"path": "a.py"})
    same_line = 'tool bash {"command": "ls"}\n```tool bash {"command": "pwd"}\n```'  # as qwen 0.5b writes
    assert parse_tool_call(same_line) == ToolCall("bash", {"command": "pwd"})
    assert parse_tool_call("no call here") is None
    with pytest.raises(BadCall):
        parse_tool_call("```tool write_file\nnot json\n```")


def test_unknown_tools_and_missing_arguments_are_tool_errors(session):
    assert session.call(ToolCall("rm_rf", {})).error
    assert session.call(ToolCall("write_file", {"path": "a.py"})).error
