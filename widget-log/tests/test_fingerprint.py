import pytest

from widget_log.fingerprint import RequestError, request_key

BASE = {
    "model": "claude-a",
    "max_tokens": 100,
    "messages": [{"role": "user", "content": "How do I reverse a list?"}],
}


def key(**over):
    return request_key({**BASE, **over})


@pytest.mark.parametrize(
    "field,value",
    [
        ("model", "claude-b"),
        ("system", "You answer in French."),
        ("tools", [{"name": "t", "input_schema": {"type": "object"}}]),
        ("tool_choice", {"type": "any"}),
        ("temperature", 0.2),
        ("top_p", 0.5),
        ("max_tokens", 101),
        ("stop_sequences", ["END"]),
        ("thinking", {"type": "enabled", "budget_tokens": 1024}),
        ("output_format", {"type": "json_schema", "schema": {}}),
    ],
)
def test_every_answer_changing_field_changes_the_fingerprint(field, value):
    a, b = key(), key(**{field: value})
    assert a.fingerprint != b.fingerprint
    assert a.exact_key != b.exact_key
    assert a.last_user_text == b.last_user_text


def test_earlier_turns_change_the_fingerprint():
    other = key(
        messages=[
            {"role": "user", "content": "We talk about Rust."},
            {"role": "assistant", "content": "OK."},
            {"role": "user", "content": "How do I reverse a list?"},
        ]
    )
    assert other.fingerprint != key().fingerprint


def test_transport_and_formatting_do_not_change_the_key():
    a = key()
    b = request_key(
        {
            **BASE,
            "stream": True,
            "metadata": {"user_id": "u1"},
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "text",
                            "text": "How do I reverse a list?  \r\n",
                            "cache_control": {"type": "ephemeral"},
                        }
                    ],
                }
            ],
        }
    )
    assert a.exact_key == b.exact_key
    assert request_key(BASE, "ns1").exact_key != request_key(BASE, "ns2").exact_key


def test_system_string_equals_one_text_block():
    a = key(system="Be brief.")
    b = key(system=[{"type": "text", "text": "Be brief."}])
    assert a.fingerprint == b.fingerprint


@pytest.mark.parametrize(
    "bad",
    [
        {"messages": []},
        {"messages": [{"role": "assistant", "content": "x"}]},
        {"messages": "hi"},
    ],
)
def test_unusable_requests(bad):
    with pytest.raises(RequestError):
        request_key({**BASE, **bad})
