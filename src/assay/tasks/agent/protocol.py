"""The tools an agent may call and the text protocol for backends without a tools API.

A reply calls a tool with one fenced block whose info string is `tool` and the tool's name, holding
the arguments as a JSON object::

    ```tool bash
    {"command": "python -m unittest -v"}
    ```

The first such block of a reply is the call; text around it is the agent's reasoning. Small models
often drop the JSON, or put it on the info string's line: a bash or python block whose body is not a
JSON object is taken as the command or the code itself, and the body may start right after the name.
The tool's result comes back as the next user message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from assay.core.types import FunctionCall, ToolSpec

# name -> (what it does, {argument: what it is}); every argument is a string and required.
TOOLS: dict[str, tuple[str, dict[str, str]]] = {
    "bash": (
        "Run a shell command in the repository (no network). Each call starts afresh: files persist "
        "between calls, the working directory and variables do not.",
        {"command": "the command line"},
    ),
    "python": ("Run Python code in the repository (the repository is on sys.path).", {"code": "the code"}),
    "read_file": ("Show a file of the repository.", {"path": "the file, relative to the repository"}),
    "write_file": (
        "Replace a file's whole content (creates it, and its folders, if missing).",
        {"path": "the file, relative to the repository", "content": "the new content"},
    ),
    "apply_patch": (
        "Apply a unified diff ('--- a/FILE', '+++ b/FILE', '@@' hunks) to the repository.",
        {"patch": "the diff"},
    ),
    "submit": ("Finish: your files are then tested.", {"summary": "what you changed"}),
}
# The arguments may start on the info string's line (small models write "```tool bash {...}").
_BLOCK = re.compile(r"```tool[ \t]*([A-Za-z_]*)[ \t]*\n?(.*?)(?:\n?```|$)", re.DOTALL)
_RAW_BODY = {"bash": "command", "python": "code"}


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]
    id: str = ""  # the backend's id of the call (tools API), else empty


API_SYSTEM_PROMPT = (
    "You are a software engineer fixing a small Python repository. Work by calling the tools you are "
    "given, one call per reply; each call's result comes back to you. Files persist between calls; the "
    "shell's working directory and variables do not. Call submit when the tests pass."
)


def system_prompt(*, tools_api: bool = False) -> str:
    """The system prompt: for a backend with a tools API, the tools travel with the request instead."""
    if tools_api:
        return API_SYSTEM_PROMPT
    lines = [
        "You are a software engineer fixing a small Python repository. Work by calling tools, one call per "
        "reply. To call a tool, reply with a fenced block whose info string is `tool` and the tool's "
        "name, holding the arguments as a JSON object, for example:",
        "",
        "```tool bash",
        '{"command": "python -m unittest -v"}',
        "```",
        "",
        "Tools:",
    ]
    for name, (what, args) in TOOLS.items():
        fields = ", ".join(f'"{k}": {v}' for k, v in args.items())
        lines.append(f"- {name} {{{fields}}}: {what}")
    lines.append("The result of each call comes back in the next message. Call submit when the tests pass.")
    return "\n".join(lines)


def user_prompt(goal: str, files: list[str]) -> str:
    listing = "\n".join(f"- {name}" for name in sorted(files))
    return (
        f"Goal: {goal.strip()}\n\nFiles in the repository:\n{listing}\n\n"
        "Run the tests with: python -m unittest -v"
    )


def tool_specs() -> tuple[ToolSpec, ...]:
    """The same tools for a backend with a tools API (JSON Schema parameters)."""
    return tuple(
        ToolSpec(
            name=name,
            description=what,
            parameters=json.dumps(
                {
                    "type": "object",
                    "properties": {k: {"type": "string", "description": v} for k, v in args.items()},
                    "required": [k for k in args if k != "summary"],
                }
            ),
        )
        for name, (what, args) in TOOLS.items()
    )


def from_function_call(call: FunctionCall) -> ToolCall:
    """A tools API's call as ours; BadCall when its arguments are not a JSON object."""
    try:
        arguments = json.loads(call.arguments or "{}")
    except json.JSONDecodeError:
        arguments = None
    if not isinstance(arguments, dict):
        raise BadCall(f"the arguments of {call.name} must be a JSON object")
    return ToolCall(call.name, arguments, call.id)


class BadCall(Exception):
    """A reply whose tool call cannot be carried out; the message goes back to the agent."""


def parse_tool_call(text: str) -> ToolCall | None:
    """The reply's first tool call; None when it has none; BadCall when it has a broken one."""
    match = _BLOCK.search(text)
    if match is None:
        return None
    name, body = match.group(1), match.group(2).strip()
    try:
        arguments = json.loads(body) if body else {}
    except json.JSONDecodeError:
        arguments = None
    if not name and isinstance(arguments, dict) and "name" in arguments:
        name, arguments = str(arguments["name"]), arguments.get("arguments", {})
    if not isinstance(arguments, dict):
        if name in _RAW_BODY:
            return ToolCall(name, {_RAW_BODY[name]: body})
        raise BadCall(f"the arguments of {name or 'the tool'} must be a JSON object")
    return ToolCall(name, arguments)


def check_call(call: ToolCall) -> None:
    """BadCall unless the tool exists and has every argument, as text."""
    if call.name not in TOOLS:
        raise BadCall(f"unknown tool {call.name!r}; the tools are: {', '.join(TOOLS)}")
    for arg in TOOLS[call.name][1]:
        if arg == "summary":
            continue  # submit without a summary is still a submit
        if not isinstance(call.arguments.get(arg), str):
            raise BadCall(f"{call.name} needs the argument {arg!r} as a string")
