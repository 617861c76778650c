"""Reading streamed answers: Server-Sent Events framing and OpenAI-style chunks, as servers send them."""

import asyncio
import json

import pytest

from assay.core.errors import ModelRequestError
from assay.models.sse import answer_pieces, sse_data

URL = "http://127.0.0.1:1/v1/chat/completions"


async def lines_of(text: str):
    for line in text.split("\n"):
        yield line


def events(text: str) -> list[str]:
    async def collect():
        return [event async for event in sse_data(lines_of(text))]

    return asyncio.run(collect())


def pieces(payloads: list[str], *, chat: bool = True) -> list[str]:
    async def feed():
        for payload in payloads:
            yield payload

    async def collect():
        return [piece async for piece in answer_pieces(feed(), URL, chat=chat)]

    return asyncio.run(collect())


def chat_chunk(content: str | None = None, finish: str | None = None, role: str | None = None) -> str:
    delta = {k: v for k, v in (("role", role), ("content", content)) if v is not None}
    return json.dumps({"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})


def test_events_are_split_by_blank_lines_and_keep_their_data_only():
    text = (
        ": keep-alive\n\nevent: message\nid: 7\ndata: first\n\ndata:second\n\ndata: a\ndata: b\n\nretry: 10\n"
    )
    assert events(text) == ["first", "second", "a\nb"]
    assert events("data: last without its blank line") == ["last without its blank line"]
    assert events("data:  two spaces\n\n") == [" two spaces"]  # only one space belongs to the framing


def test_chat_deltas_become_pieces_and_done_ends_the_answer():
    got = pieces(
        [chat_chunk(role="assistant"), chat_chunk("Hel"), chat_chunk("lo"), chat_chunk(finish="stop")]
    )
    assert got == ["Hel", "lo"]
    done = [chat_chunk("a"), chat_chunk(finish="stop"), "[DONE]", chat_chunk("after done")]
    assert pieces(done) == ["a"]


def test_done_without_a_finish_reason_is_a_cut_stream_not_a_short_answer():
    # llama-cpp-python's server ends a stream it interrupts (for another request) with a bare [DONE].
    with pytest.raises(ModelRequestError) as info:
        pieces([chat_chunk(role="assistant"), chat_chunk("The moon is"), "[DONE]"])
    assert info.value.retryable and "ended before the answer did" in info.value.reason


def test_completion_chunks_carry_text():
    chunk = json.dumps({"choices": [{"text": " Red", "finish_reason": None}]})
    last = json.dumps({"choices": [{"text": "", "finish_reason": "length"}]})
    usage_only = json.dumps({"choices": [], "usage": {"completion_tokens": 1}})
    assert pieces([chunk, last, usage_only, "[DONE]"], chat=False) == [" Red"]


def test_a_stream_that_stops_before_the_answer_ends_is_a_retryable_error():
    with pytest.raises(ModelRequestError) as info:
        pieces([chat_chunk("partial")])
    assert info.value.retryable and "ended before the answer did" in info.value.reason
    with pytest.raises(ModelRequestError):
        pieces([])  # nothing at all is no empty answer either
    assert pieces([chat_chunk("whole", finish="stop")]) == ["whole"]  # a finish reason ends it too


@pytest.mark.parametrize(
    "error,retryable,status",
    [
        ({"message": "overloaded", "code": 503}, True, 503),
        ({"message": "bad stop", "code": "400", "type": "invalid_request_error"}, False, 400),
        ({"message": "The server had an error", "type": "server_error"}, True, None),
        ({"message": "slow down", "type": "rate_limit_error"}, True, None),
        ("plain text error", False, None),
    ],
)
def test_an_error_event_is_a_model_request_error(error, retryable, status):
    with pytest.raises(ModelRequestError) as info:
        pieces([chat_chunk("so far"), json.dumps({"error": error})])
    err = info.value
    assert err.retryable is retryable and err.status == status
    assert err.reason.startswith(f"the server failed mid-stream at {URL}: ") and "\n" not in err.reason


def test_an_event_that_is_not_json_was_cut_or_garbled_on_the_way_and_is_retried():
    cut = chat_chunk("The moon")[:20]
    for payload in ("<html>", cut, "\ufffd\ufffd{garbage"):
        with pytest.raises(ModelRequestError) as info:
            pieces([chat_chunk("so far"), payload])
        assert info.value.retryable
        assert info.value.reason.startswith(f"malformed event in the stream from {URL}: ")


def test_events_of_another_shape_are_not_retried():
    # JSON that parses but is not a chunk: a server of another dialect, which answers alike every time.
    for payload in ("[1, 2]", json.dumps({"choices": ["text"]})):
        with pytest.raises(ModelRequestError) as info:
            pieces([payload])
        assert not info.value.retryable
