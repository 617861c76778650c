"""The OpenAI-compatible backend against a real llama-cpp-python server, with faults from our own proxy."""

import asyncio
import math

import pytest

import assay
from assay.core.errors import AssayError, ModelRequestError, ModelUnsupportedError
from assay.core.types import GenerateRequest, GenerationParams, LoglikelihoodRequest, Message
from assay.engine.retry import RetryPolicy, call_with_retries
from assay.models import build_model, parse_model
from assay.models.http_errors import parse_retry_after
from assay.models.openai_compat import OpenAICompatModel
from assay.store import Store
from faultproxy import FaultProxy
from servers import free_port, llama_server

FRANCE = "The capital of France is"


def openai_model(base_url: str, **args) -> OpenAICompatModel:
    model = build_model(parse_model("openai:smollm2", {"base_url": base_url, **args}))
    assert isinstance(model, OpenAICompatModel)
    return model


def ask(model, call):
    """Run one coroutine-producing call against `model` on a fresh loop, then close the model."""

    async def main():
        try:
            return await call(model)
        finally:
            await model.aclose()

    return asyncio.run(main())


def completion(prompt="List three colours:\n1.", **params):
    return GenerateRequest(prompt=prompt, params=GenerationParams(**{"max_tokens": 8, **params}))


class Sleeps:
    def __init__(self):
        self.delays = []

    async def __call__(self, seconds):
        self.delays.append(seconds)


def with_retries(model, request, policy=None):
    sleeps = Sleeps()
    call = model.generate if isinstance(request, GenerateRequest) else model.loglikelihood
    (result, attempts) = ask(
        model,
        lambda m: call_with_retries(
            lambda: call(request), policy or RetryPolicy(max_attempts=4), sleep=sleeps
        ),
    )
    return result, attempts, sleeps.delays


@pytest.fixture(scope="module")
def shared_proxy(llama_server):
    with FaultProxy(llama_server.removesuffix("/v1")) as proxy:
        yield proxy


@pytest.fixture
def proxy(shared_proxy):
    shared_proxy.reset()
    yield shared_proxy
    shared_proxy.reset()


@pytest.fixture
def proxied(proxy):
    return f"http://127.0.0.1:{proxy.port}/v1"


# -- talking to the real server ----------------------------------------------------------------


def test_chat_generate_returns_text(llama_server):
    request = GenerateRequest(
        messages=(Message("user", "What is the capital of France? One word."),),
        params=GenerationParams(max_tokens=12),
    )
    out = ask(openai_model(llama_server), lambda m: m.generate(request))
    assert "Paris" in out.text
    assert out.prompt_tokens > 10 and 0 < out.completion_tokens <= 12


def test_chat_mode_sends_a_plain_prompt_as_a_user_message(llama_server):
    out = ask(
        openai_model(llama_server, mode="chat"),
        lambda m: m.generate(completion("What is the capital of France? One word.", max_tokens=12)),
    )
    assert "Paris" in out.text
    assert out.prompt_tokens > 20  # the chat template's system prompt came along


def test_completion_honours_max_tokens_and_stop(llama_server):
    async def calls(model):
        full = await model.generate(completion(max_tokens=24))
        short = await model.generate(completion(max_tokens=3))
        stopped = await model.generate(completion(max_tokens=24, stop=("\n",)))
        return full, short, stopped

    full, short, stopped = ask(openai_model(llama_server), calls)
    assert "\n" in full.text.strip()  # the unstopped list runs over several lines
    assert short.completion_tokens == 3 and short.finish_reason == "length"
    assert "\n" not in stopped.text and stopped.finish_reason == "stop"
    assert full.text.startswith(stopped.text) and full.text.startswith(short.text)


def test_greedy_generation_with_a_seed_is_repeatable(llama_server):
    request = completion("Once upon a time", max_tokens=16, seed=3)

    async def twice(model):
        return await model.generate(request), await model.generate(request)

    first, again = ask(openai_model(llama_server), twice)
    assert first.text.strip() and first == again


def test_loglikelihood_prefers_the_likely_continuation(llama_server):
    request = LoglikelihoodRequest(context=FRANCE, continuations=(" Paris", " xqzv"))
    result = ask(openai_model(llama_server), lambda m: m.loglikelihood(request))
    paris, garbage = result.scores
    assert all(math.isfinite(s.logprob) and s.logprob < 0 and s.num_tokens > 0 for s in result.scores)
    assert paris.logprob > garbage.logprob + 5
    assert paris.num_tokens == 1 and garbage.num_tokens >= 2
    assert paris.is_greedy and not garbage.is_greedy
    assert result.tokens_evaluated >= 2 * 6


def test_loglikelihood_moves_the_context_trailing_space_onto_the_continuation(llama_server):
    async def both(model):
        spaced = await model.loglikelihood(LoglikelihoodRequest(FRANCE + " ", ("Paris", "Rome")))
        plain = await model.loglikelihood(LoglikelihoodRequest(FRANCE, (" Paris", " Rome")))
        return spaced, plain

    spaced, plain = ask(openai_model(llama_server), both)
    for a, b in zip(spaced.scores, plain.scores, strict=True):
        assert a.num_tokens == b.num_tokens
        assert a.logprob == pytest.approx(b.logprob, abs=0.05)


def test_loglikelihood_matches_the_logprob_of_a_generated_token(llama_server):
    """The echoed score of the greedy next token equals what the server reports while generating it."""
    import httpx

    body = {"prompt": FRANCE, "max_tokens": 1, "temperature": 0, "logprobs": 1}
    generated = httpx.post(f"{llama_server}/completions", json=body, timeout=60).json()
    token = generated["choices"][0]["logprobs"]["tokens"][0]
    expected = generated["choices"][0]["logprobs"]["token_logprobs"][0]
    result = ask(
        openai_model(llama_server), lambda m: m.loglikelihood(LoglikelihoodRequest(FRANCE, (token,)))
    )
    assert result.scores[0].logprob == pytest.approx(expected, abs=0.1)
    assert result.scores[0].is_greedy


def test_misaligned_prompt_logprobs_are_refused_not_used():
    # Without a BOS token llama-cpp-python shifts echoed logprobs by one; the backend must notice.
    with llama_server(add_bos=False) as url, pytest.raises(ModelUnsupportedError, match="misaligned"):
        ask(openai_model(url), lambda m: m.loglikelihood(LoglikelihoodRequest(FRANCE, (" Paris",))))


def test_a_server_that_refuses_logprobs_is_unsupported_not_an_error_per_sample(proxied, proxy):
    proxy.fail_next(1, 400, body=b'{"error": {"message": "echo is not supported for this model"}}')
    with pytest.raises(ModelUnsupportedError, match="echo is not supported for this model"):
        ask(openai_model(proxied), lambda m: m.loglikelihood(LoglikelihoodRequest(FRANCE, (" Paris",))))


def test_identity_names_what_changes_answers_and_never_the_key(proxied, proxy, monkeypatch):
    monkeypatch.setenv("ASSAY_TEST_KEY", "sk-test-123")
    model = openai_model(proxied, api_key_env="ASSAY_TEST_KEY", mode="chat")
    assert model.identity == {"backend": "openai", "base_url": proxied, "model": "smollm2", "mode": "chat"}
    assert "sk-test-123" not in repr(model.identity)
    ask(model, lambda m: m.generate(completion(max_tokens=2)))
    assert proxy.requests[-1].path == "/v1/chat/completions"
    assert proxy.requests[-1].headers["authorization"] == "Bearer sk-test-123"


def test_base_url_defaults_to_the_environment(monkeypatch, llama_server):
    monkeypatch.setenv("OPENAI_BASE_URL", llama_server)
    model = build_model(parse_model("openai:smollm2"))
    assert model.identity["base_url"] == llama_server
    ask(model, lambda m: m.check_reachable())


def test_request_the_server_rejects_is_not_retried(llama_server):
    too_long = completion("hello " * 3000, max_tokens=2)
    with pytest.raises(ModelRequestError) as info:
        ask(openai_model(llama_server), lambda m: m.generate(too_long))
    err = info.value
    assert not err.retryable and err.status == 400
    assert "maximum context length" in err.reason and "\n" not in err.reason


def test_wrong_path_is_a_404_naming_the_model(llama_server):
    wrong = llama_server.removesuffix("/v1") + "/nope/v1"
    with pytest.raises(ModelRequestError) as info:
        ask(openai_model(wrong), lambda m: m.generate(completion()))
    assert not info.value.retryable and info.value.status == 404
    assert "'smollm2'" in info.value.reason and wrong in info.value.reason


# -- faults from the proxy ---------------------------------------------------------------------


def test_429_with_retry_after_is_waited_out_then_succeeds(proxied, proxy):
    proxy.fail_next(1, 429, retry_after="2")
    out, attempts, delays = with_retries(openai_model(proxied), completion(max_tokens=2))
    assert out.text and attempts == 2
    assert delays[0] >= 2.0
    assert (proxy.received, proxy.forwarded) == (2, 1)


def test_401_is_not_retried_and_says_where_the_key_comes_from(proxied, proxy):
    proxy.fail_next(1, 401)
    with pytest.raises(ModelRequestError) as info:
        with_retries(openai_model(proxied), completion())
    err = info.value
    assert not err.retryable and err.attempts == 1 and proxy.received == 1
    assert err.reason == (
        f"authentication failed (HTTP 401) at {proxied}/completions: check the API key in $OPENAI_API_KEY"
    )


def test_503_twice_then_ok_takes_three_attempts(proxied, proxy):
    proxy.fail_next(2, 503)
    out, attempts, delays = with_retries(openai_model(proxied), completion(max_tokens=2))
    assert out.text and attempts == 3 and len(delays) == 2
    assert (proxy.received, proxy.forwarded) == (3, 1)


def test_loglikelihood_retries_through_a_503(proxied, proxy):
    model = openai_model(proxied)
    proxy.fail_next(1, 503)
    result, attempts, _ = with_retries(model, LoglikelihoodRequest(FRANCE, (" Paris",)))
    assert attempts == 2 and result.scores[0].logprob < 0


def test_dropped_connection_is_retryable(proxied, proxy):
    proxy.drop_next(1)
    with pytest.raises(ModelRequestError) as info:
        ask(openai_model(proxied), lambda m: m.generate(completion()))
    assert info.value.retryable and "dropped" in info.value.reason and "\n" not in info.value.reason
    proxy.drop_next(1)
    out, attempts, _ = with_retries(openai_model(proxied), completion(max_tokens=2))
    assert out.text and attempts == 2


def test_a_server_slower_than_the_timeout_times_out(proxied, proxy):
    proxy.delay_next(1, 2.0)
    with pytest.raises(ModelRequestError) as info:
        ask(openai_model(proxied, timeout=0.5), lambda m: m.generate(completion()))
    assert info.value.retryable and info.value.reason.startswith("timed out after 0.5s")


def test_policy_timeout_bounds_each_attempt(proxied, proxy):
    proxy.delay_next(1, 2.0)
    out, attempts, _ = with_retries(
        openai_model(proxied), completion(max_tokens=2), RetryPolicy(max_attempts=2, timeout=0.5)
    )
    assert out.text and attempts == 2


# -- a 200 that is not the answer ---------------------------------------------------------------

LOGIN_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Sign in - Example Corp proxy</title></head>"
    b"<body><form action='/login'>Please sign in to continue.</form></body></html>"
)

# (how the proxy spoils one answer, what the fault is called in its log, how the reason starts, the
# content type it names)
SPOILED_200 = {
    "html": (lambda p: p.garble_next(1, LOGIN_PAGE), "garble", "HTML page instead of JSON", "text/html"),
    "text": (
        lambda p: p.garble_next(1, b"upstream connect error", content_type="text/plain"),
        "garble",
        "non-JSON body",
        "text/plain",
    ),
    "garbled": (
        lambda p: p.garble_next(1, b'{"choices": [{"text": "4"}}} ]', content_type="application/json"),
        "garble",
        "malformed JSON",
        "application/json",
    ),
    "truncated": (lambda p: p.truncate_next(1), "truncate", "truncated JSON", "application/json"),
    "empty": (
        lambda p: p.garble_next(1, b"", content_type="application/json"),
        "garble",
        "empty body",
        "application/json",
    ),
    "no-choices": (
        lambda p: p.garble_next(1, b'{"message": "upstream timed out"}', content_type="application/json"),
        "garble",
        "no 'choices' in the answer",
        "application/json",
    ),
}


@pytest.mark.parametrize("spoiled", SPOILED_200.values(), ids=SPOILED_200.keys())
def test_a_200_that_is_not_the_answer_is_retryable_and_says_what_came(proxied, proxy, spoiled):
    spoil, _, starts, content_type = spoiled
    spoil(proxy)
    with pytest.raises(ModelRequestError) as info:
        ask(openai_model(proxied), lambda m: m.generate(completion()))
    err = info.value
    assert err.retryable and err.status == 200 and "\n" not in err.reason
    assert err.reason.startswith(f"{starts} from {proxied}/completions (HTTP 200, {content_type}, ")


@pytest.mark.parametrize("spoiled", SPOILED_200.values(), ids=SPOILED_200.keys())
def test_a_200_that_is_not_the_answer_once_then_good_succeeds_on_the_retry(proxied, proxy, spoiled):
    spoil, kind, _, _ = spoiled
    spoil(proxy)
    out, attempts, delays = with_retries(openai_model(proxied), completion(max_tokens=2))
    assert out.text and attempts == 2 and len(delays) == 1
    assert [seen.fault for seen in proxy.requests] == [kind, None]


def test_a_proxy_page_every_time_is_retried_then_an_error_with_its_reason(proxied, proxy):
    proxy.garble_next(4, b"<html>not json</html>")
    with pytest.raises(ModelRequestError) as info:
        with_retries(openai_model(proxied), completion(), RetryPolicy(max_attempts=4))
    err = info.value
    assert err.retryable and err.attempts == 4
    assert (proxy.received, proxy.forwarded) == (4, 0)
    assert err.reason == (
        f"HTML page instead of JSON from {proxied}/completions (HTTP 200, text/html, 21 bytes): "
        "'<html>not json</html>'"
    )


def test_loglikelihood_retries_through_a_truncated_answer(proxied, proxy):
    model = openai_model(proxied)
    proxy.truncate_next(1)  # the first request is the once-per-model log-probability check
    result, attempts, _ = with_retries(model, LoglikelihoodRequest(FRANCE, (" Paris",)))
    assert attempts == 2 and result.scores[0].logprob < 0
    assert proxy.requests[0].fault == "truncate"


def test_an_error_object_in_a_200_is_judged_by_its_code(proxied, proxy):
    refused = b'{"error": {"message": "no such model", "type": "invalid_request_error", "code": 404}}'
    proxy.garble_next(1, refused, content_type="application/json")
    with pytest.raises(ModelRequestError) as info:
        with_retries(openai_model(proxied), completion())
    err = info.value
    assert not err.retryable and err.attempts == 1 and err.status == 404 and proxy.received == 1
    assert err.reason == f"the server answered HTTP 200 with an error at {proxied}/completions: no such model"

    proxy.reset()
    overloaded = b'{"error": {"message": "The server had an error", "type": "server_error"}}'
    proxy.garble_next(1, overloaded, content_type="application/json")
    out, attempts, _ = with_retries(openai_model(proxied), completion(max_tokens=2))
    assert out.text and attempts == 2


def test_what_retrying_cannot_fix_is_not_retried(proxied, proxy):
    # A redirect (to a login page) goes the same way every time; so does a server of another dialect.
    proxy.garble_next(1, LOGIN_PAGE, status=302, headers={"Location": "https://sso.example/login"})
    with pytest.raises(ModelRequestError) as redirect:
        with_retries(openai_model(proxied), completion())
    assert not redirect.value.retryable and redirect.value.attempts == 1 and redirect.value.status == 302
    assert redirect.value.reason == (
        f"redirected (HTTP 302) from {proxied}/completions to https://sso.example/login: "
        "set base_url to the final address"
    )
    proxy.garble_next(1, b'{"choices": ["4"]}', content_type="application/json")
    with pytest.raises(ModelRequestError) as dialect:
        with_retries(openai_model(proxied), completion())
    assert not dialect.value.retryable and dialect.value.attempts == 1
    assert "'choices' is not a list of objects" in dialect.value.reason
    assert proxy.received == 2


def test_through_the_engine_a_proxy_page_every_time_is_an_error_never_a_score(proxy, tmp_path):
    """Each unit is tried max_attempts times, recorded as an error with the reason, never scored as a
    wrong answer; the next run, with the proxy behaving, fills exactly those units."""
    db = tmp_path / "garbled.db"
    options = {
        "limit": 2,
        "model_args": {"base_url": f"http://127.0.0.1:{proxy.port}/v1", "max_concurrency": 1},
        "max_attempts": 3,
        "store": db,
    }
    task = [("gsm8k", {"max_tokens": 4})]
    proxy.delay_next(1, 0.0)  # the reachability check before the run goes through
    proxy.garble_next(100, LOGIN_PAGE)
    first = assay.evaluate("openai:smollm2", task, **options)
    assert first.status == "done_with_errors" and first.stats.errors == 2 and first.scored == 0
    posts = [seen for seen in proxy.requests if seen.method == "POST"]
    assert len(posts) == 2 * 3 and all(seen.fault == "garble" for seen in posts)
    with Store.open(db) as store:
        rows = store.results(first.run_id)
    assert len(rows) == 2 and all(r.scores is None and r.response is None for r in rows)
    assert all(
        r.error and r.error.startswith("HTML page instead of JSON") and "text/html" in r.error for r in rows
    )

    proxy.reset()
    second = assay.evaluate("openai:smollm2", task, **options)
    assert second.status == "done" and second.stats.sent == 2 and second.stats.errors == 0
    with Store.open(db) as store:
        assert all(r.error is None and r.scores is not None for r in store.results(second.run_id))


def test_unreachable_server_is_retryable_and_check_reachable_says_so():
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(ModelRequestError) as info:
        ask(openai_model(url), lambda m: m.generate(completion()))
    assert info.value.retryable and "cannot connect" in info.value.reason
    with pytest.raises(AssayError) as reach:
        ask(openai_model(url), lambda m: m.check_reachable())
    message = str(reach.value)
    assert message.startswith(f"cannot reach OpenAI-compatible server at {url}: ") and "\n" not in message


def test_check_reachable_reports_a_refused_key(proxied, proxy):
    proxy.fail_next(1, 403)
    with pytest.raises(AssayError, match=r"authentication failed \(HTTP 403\)"):
        ask(openai_model(proxied), lambda m: m.check_reachable())


def test_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: no wait
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


# -- streaming ---------------------------------------------------------------------------------

MOON = GenerateRequest(
    messages=(Message("user", "Tell me about the moon in three sentences."),),
    params=GenerationParams(max_tokens=48, seed=0),
)


def streamed(model, request):
    return ask(model, lambda m: collect(m.stream(request)))


async def collect(pieces):
    return [piece async for piece in pieces]


RESET = GenerateRequest(prompt="Hello", params=GenerationParams(max_tokens=1, seed=0))


def streamed_and_generated(model, request):
    """Pieces of a stream, and `generate`'s answer, each made from the same server state.

    llama-cpp-python's server keeps the last prompt in its cache and evaluates only what differs: a
    prompt evaluated from scratch and one found in the cache go through different batch shapes, whose
    float sums may differ in the last bits and flip a greedy choice at a near tie; and a prompt found
    whole in the cache is answered from the last request's logits (an instant end of text). So each
    call here follows the same short unrelated request: the stream and the reference `generate` then
    evaluate the prompt from the same state with the same arithmetic, and equal text is what a correct
    stream must give.
    """

    async def calls(m):
        await m.generate(RESET)
        pieces = await collect(m.stream(request))
        await m.generate(RESET)
        return pieces, await m.generate(request)

    return ask(model, calls)


def test_streamed_chat_pieces_join_to_the_greedy_answer(llama_server):
    pieces, whole = streamed_and_generated(openai_model(llama_server), MOON)
    assert len(pieces) > 5 and all(pieces)  # token by token, no empty pieces
    assert "".join(pieces) == whole.text and "moon" in whole.text.lower()


def test_streamed_completion_honours_stop_strings(llama_server):
    request = completion(max_tokens=24, stop=("3.",))
    pieces, whole = streamed_and_generated(openai_model(llama_server), request)
    joined = "".join(pieces)
    assert joined == whole.text and whole.finish_reason == "stop"
    assert "2." in joined and "3." not in joined and len(pieces) > 1


def test_chat_mode_streams_a_plain_prompt_with_the_key(proxied, proxy, monkeypatch):
    monkeypatch.setenv("ASSAY_TEST_KEY", "sk-test-123")
    model = openai_model(proxied, api_key_env="ASSAY_TEST_KEY", mode="chat")
    pieces = streamed(model, completion("What is the capital of France? One word.", max_tokens=12))
    assert "Paris" in "".join(pieces)
    assert proxy.requests[-1].path == "/v1/chat/completions"
    assert proxy.requests[-1].headers["authorization"] == "Bearer sk-test-123"


@pytest.mark.parametrize(
    "status,retryable", [(503, True), (429, True), (400, False), (401, False), (404, False)]
)
def test_a_server_error_before_streaming_is_the_error_generate_raises(proxied, proxy, status, retryable):
    proxy.fail_next(1, status, retry_after="2")
    with pytest.raises(ModelRequestError) as streaming:
        streamed(openai_model(proxied), completion())
    proxy.fail_next(1, status, retry_after="2")
    with pytest.raises(ModelRequestError) as generating:
        ask(openai_model(proxied), lambda m: m.generate(completion()))
    got, expected = streaming.value, generating.value
    assert got.retryable is retryable and got.status == status
    assert (got.reason, got.retryable, got.status, got.retry_after) == (
        expected.reason,
        expected.retryable,
        expected.status,
        expected.retry_after,
    )


def test_a_stream_retries_through_a_503(proxied, proxy):
    proxy.fail_next(1, 503)
    sleeps = Sleeps()
    model = openai_model(proxied)
    pieces, attempts = ask(
        model,
        lambda m: call_with_retries(lambda: collect(m.stream(completion())), RetryPolicy(), sleep=sleeps),
    )
    assert attempts == 2 and "".join(pieces).strip() and len(sleeps.delays) == 1


def test_dropped_unreachable_and_slow_servers_are_retryable_before_the_first_piece(proxied, proxy):
    proxy.drop_next(1)
    with pytest.raises(ModelRequestError) as dropped:
        streamed(openai_model(proxied), completion())
    assert dropped.value.retryable and "dropped" in dropped.value.reason
    proxy.delay_next(1, 2.0)
    with pytest.raises(ModelRequestError) as slow:
        streamed(openai_model(proxied, timeout=0.5), completion())
    assert slow.value.retryable and slow.value.reason.startswith("timed out after 0.5s")
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(ModelRequestError) as unreachable:
        streamed(openai_model(url), completion())
    assert unreachable.value.retryable and "cannot connect" in unreachable.value.reason


def test_a_server_that_ignores_stream_answers_in_one_piece(proxied, proxy):
    proxy.fail_next(1, 200, body=b'{"choices": [{"text": "all at once", "finish_reason": "stop"}]}')
    assert streamed(openai_model(proxied), completion()) == ["all at once"]
    proxy.fail_next(1, 200, body=b"<html>not json</html>")
    with pytest.raises(ModelRequestError) as info:
        streamed(openai_model(proxied), completion())
    assert info.value.retryable and info.value.reason.startswith("HTML page instead of JSON")


def stream_with_retries(model, request):
    sleeps = Sleeps()
    pieces, attempts = ask(
        model, lambda m: call_with_retries(lambda: collect(m.stream(request)), RetryPolicy(), sleep=sleeps)
    )
    return pieces, attempts


def test_a_proxy_page_instead_of_a_stream_is_retried(proxied, proxy):
    proxy.garble_next(1, LOGIN_PAGE)
    with pytest.raises(ModelRequestError) as info:
        streamed(openai_model(proxied), completion())
    assert info.value.retryable and info.value.status == 200
    assert info.value.reason.startswith(
        f"HTML page instead of JSON from {proxied}/completions (HTTP 200, text/html"
    )
    proxy.reset()
    proxy.garble_next(1, LOGIN_PAGE)
    pieces, attempts = stream_with_retries(openai_model(proxied), completion())
    assert attempts == 2 and "".join(pieces).strip()
    assert [seen.fault for seen in proxy.requests] == ["garble", None]


GARBLED_STREAM = (
    b'data: {"choices": [{"text": " red", "finish_reason": null}]}\n\n'
    b'data: {"choices": [{"text": " gr\xff\xfe<html>\n\n'
)


def test_a_garbled_event_in_a_stream_is_retried(proxied, proxy):
    proxy.garble_next(1, GARBLED_STREAM, content_type="text/event-stream")
    with pytest.raises(ModelRequestError) as info:
        streamed(openai_model(proxied), completion())
    assert info.value.retryable
    assert info.value.reason.startswith(f"malformed event in the stream from {proxied}/completions: ")
    proxy.reset()
    proxy.garble_next(1, GARBLED_STREAM, content_type="text/event-stream")
    pieces, attempts = stream_with_retries(openai_model(proxied), completion())
    assert attempts == 2 and "".join(pieces).strip()


def test_a_stream_cut_short_under_a_clean_end_is_retried(proxied, proxy):
    # The server's real stream, half of it, under a Content-Length that says that was all.
    proxy.truncate_next(1)
    pieces, attempts = stream_with_retries(openai_model(proxied), completion(max_tokens=16))
    assert attempts == 2 and "".join(pieces).strip()
    assert [seen.fault for seen in proxy.requests] == ["truncate", None]


def test_a_stream_the_server_ends_without_an_answer_is_an_error_not_an_empty_answer(llama_server):
    # Asked to stream a prompt longer than its window, llama-cpp-python's server answers 200 and closes
    # the stream without an event (generate gets a 400). On the wire that is a dropped connection.
    with pytest.raises(ModelRequestError) as info:
        streamed(openai_model(llama_server), completion("hello " * 3000, max_tokens=2))
    assert info.value.retryable and "ended before the answer did" in info.value.reason
