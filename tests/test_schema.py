"""Format detection and the uniform example view (roles, texts, label, rejected, issues)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ftlint.api import check
from ftlint.data.load import load_dataset_file
from ftlint.data.schema import (
    CANONICAL_KEYS,
    CONSUMED_KEYS,
    FORMATS,
    FORMATS_BY_NAME,
    Example,
    apply_mapping,
    detect_format,
)
from ftlint.errors import FormatError, FtlintError, SettingsError
from ftlint.settings import settings_from_dict


def convert(rec: dict[str, Any], expected_format: str) -> Example:
    fmt = detect_format([rec], "x.jsonl")
    assert fmt.name == expected_format
    return fmt.convert(rec)


def issue_kinds(ex: Example) -> list[str]:
    return [x.kind for x in ex.issues]


def u(text: str) -> dict:
    return {"role": "user", "content": text}


def a(text: str) -> dict:
    return {"role": "assistant", "content": text}


# -- OpenAI chat ------------------------------------------------------------------------------------

def test_openai_chat_basic():
    ex = convert({"messages": [{"role": "system", "content": "Be brief."}, u("Hi"), a("Hello")]}, "openai_chat")
    assert ex.roles == "sua"
    assert ex.texts == ("Be brief.", "Hi", "Hello")
    assert ex.label is None and ex.rejected is None
    assert ex.issues == ()


def test_openai_developer_role_is_system():
    ex = convert({"messages": [{"role": "developer", "content": "Rules"}, u("Hi"), a("Yo")]}, "openai_chat")
    assert ex.roles == "sua" and ex.issues == ()


def test_openai_tool_calls_with_null_content_and_tool_results_are_valid():
    call = {"id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": json.dumps({"city": "Paris"})}}
    rec = {
        "messages": [
            {"role": "system", "content": "You can call tools."},
            u("Weather in Paris?"),
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "call_1", "content": json.dumps({"sky": "sunny"})},
            {"role": "assistant", "content": "Sunny in Paris.", "weight": 1},
        ],
        "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather",
                                                   "parameters": {"type": "object",
                                                                  "properties": {"city": {"type": "string"}}}}}],
        "parallel_tool_calls": False,
    }
    ex = convert(rec, "openai_chat")
    assert ex.issues == ()
    assert ex.roles == "suata"
    assert "get_weather" in ex.texts[2]  # a call-only turn is not empty: its text is the call
    assert ex.texts[3] == json.dumps({"sky": "sunny"})
    assert ex.texts[4] == "Sunny in Paris."


def test_openai_tool_call_without_content_key_is_valid():
    rec = {"messages": [u("2+2?"), {"role": "assistant", "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "add", "arguments": "{\"a\":2,\"b\":2}"}}]},
        {"role": "tool", "tool_call_id": "c", "content": "4"}, a("4")]}
    ex = convert(rec, "openai_chat")
    assert ex.issues == () and ex.roles == "uata"


def test_openai_empty_content_with_tool_calls_uses_the_call_text():
    rec = {"messages": [u("x"), {"role": "assistant", "content": "", "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}]}
    ex = convert(rec, "openai_chat")
    assert ex.issues == () and '"name":"f"' in ex.texts[1]


def test_openai_legacy_function_call_and_function_role_are_valid():
    rec = {"messages": [u("hi"), {"role": "assistant", "content": None,
                                  "function_call": {"name": "f", "arguments": "{}"}},
                        {"role": "function", "name": "f", "content": "42"}, a("It is 42.")],
           "functions": [{"name": "f", "parameters": {"type": "object"}}]}
    ex = convert(rec, "openai_chat")
    assert ex.issues == () and ex.roles == "uata"


def test_openai_content_parts_list():
    rec = {"messages": [
        {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                     {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]},
        {"role": "assistant", "content": [{"type": "text", "text": "A cat."}]},
    ]}
    ex = convert(rec, "openai_chat")
    assert ex.issues == ()
    assert ex.texts[0].startswith("What is this?")
    assert ex.texts[1] == "A cat."


def test_openai_per_message_weight_zero_and_one_are_valid():
    rec = {"messages": [u("a"), {"role": "assistant", "content": "b", "weight": 0}, u("c"),
                        {"role": "assistant", "content": "d", "weight": 1}]}
    assert convert(rec, "openai_chat").issues == ()


def test_openai_tools_as_json_string_is_valid():
    rec = {"messages": [u("a"), a("b")], "tools": json.dumps([{"type": "function", "function": {"name": "f"}}])}
    assert convert(rec, "openai_chat").issues == ()


@pytest.mark.parametrize("message,kind", [
    ({"role": "user", "content": {"text": "hi"}}, "wrong-type"),          # content an object
    ({"role": "user", "content": 42}, "wrong-type"),                      # content a number
    ({"role": "user", "content": [{"type": "text"}]}, "wrong-type"),      # text part without text
    ({"role": "user", "content": [{"type": "video", "url": "x"}]}, "wrong-type"),  # unknown part type
    ({"role": "user", "content": ["ok", 3]}, "wrong-type"),               # part not an object
    ({"role": "user"}, "missing-key"),                                    # no content
    ({"role": "user", "content": None}, "wrong-type"),                    # null content, no calls
    ({"content": "who am i"}, "missing-key"),                             # no role
    ({"role": "robot", "content": "beep"}, "unknown-role"),
    ({"role": "assistant", "content": "x", "weight": 2}, "bad-value"),
    ({"role": "assistant", "content": "x", "tool_calls": "call()"}, "wrong-type"),
])
def test_openai_wrong_types_are_issues(message, kind):
    ex = convert({"messages": [u("q"), message, a("end")]}, "openai_chat")
    assert kind in issue_kinds(ex)
    assert any("messages[1]" in x.detail for x in ex.issues)


def test_openai_message_that_is_not_an_object():
    ex = convert({"messages": [u("q"), "hello", a("x")]}, "openai_chat")
    assert issue_kinds(ex) == ["wrong-type"]
    assert ex.roles == "ua"


def test_openai_messages_not_a_list():
    ex = convert({"messages": "hello"}, "openai_chat")
    assert issue_kinds(ex) == ["wrong-type"] and ex.roles == ""


@pytest.mark.parametrize("tools", [5, "not json", json.dumps(7), {"name": "f"}])
def test_openai_bad_tools(tools):
    ex = convert({"messages": [u("q"), a("x")], "tools": tools}, "openai_chat")
    assert [x.key for x in ex.issues] == ["tools"]


# -- ShareGPT ---------------------------------------------------------------------------------------

def test_sharegpt_basic_with_system_key():
    rec = {"system": "Be kind.", "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hey"}]}
    ex = convert(rec, "sharegpt")
    assert ex.roles == "sua" and ex.texts == ("Be kind.", "Hi", "Hey") and ex.issues == ()


def test_sharegpt_system_turn():
    rec = {"conversations": [{"from": "system", "value": "S"}, {"from": "human", "value": "H"},
                             {"from": "gpt", "value": "G"}]}
    ex = convert(rec, "sharegpt")
    assert ex.roles == "sua" and ex.issues == ()


def test_sharegpt_function_call_and_observation_with_tools_json_string():
    rec = {"conversations": [
        {"from": "human", "value": "Convert 5 USD"},
        {"from": "function_call", "value": json.dumps({"name": "convert", "arguments": {"amount": 5}})},
        {"from": "observation", "value": json.dumps({"result": 4.6})},
        {"from": "gpt", "value": "5 USD is 4.60 EUR."},
    ], "tools": json.dumps([{"name": "convert", "description": "Convert currency", "parameters": {}}])}
    ex = convert(rec, "sharegpt")
    assert ex.issues == ()
    assert ex.roles == "uata"
    assert ex.texts[3] == "5 USD is 4.60 EUR."


def test_sharegpt_role_content_variant():
    rec = {"conversations": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]}
    ex = convert(rec, "sharegpt")
    assert ex.roles == "ua" and ex.issues == ()


@pytest.mark.parametrize("turn,kind", [
    ({"from": "human"}, "missing-key"),
    ({"value": "orphan"}, "missing-key"),
    ({"from": "alien", "value": "x"}, "unknown-role"),
    ({"from": "human", "value": {"text": "x"}}, "wrong-type"),
])
def test_sharegpt_wrong_turns(turn, kind):
    ex = convert({"conversations": [turn, {"from": "gpt", "value": "ok"}]}, "sharegpt")
    assert kind in issue_kinds(ex)


def test_sharegpt_conversations_not_a_list():
    ex = convert({"conversations": {"from": "human", "value": "x"}}, "sharegpt")
    assert issue_kinds(ex) == ["wrong-type"]


def test_sharegpt_bad_tools_string():
    ex = convert({"conversations": [{"from": "human", "value": "x"}, {"from": "gpt", "value": "y"}],
                  "tools": "[{not json"}, "sharegpt")
    assert [x.key for x in ex.issues] == ["tools"]


# -- instruction formats ----------------------------------------------------------------------------

def test_alpaca_with_input():
    ex = convert({"instruction": "Translate.", "input": "Bonjour", "output": "Hello"}, "alpaca")
    assert ex.roles == "ua"
    assert ex.texts == ("Translate.\n\nBonjour", "Hello")
    assert ex.issues == ()


def test_alpaca_without_input_and_with_system_and_history():
    rec = {"instruction": "And now?", "input": "", "output": "Done.", "system": "S",
           "history": [["First?", "One."], ["Second?", "Two."]]}
    ex = convert(rec, "alpaca")
    assert ex.roles == "suauaua"
    assert ex.texts == ("S", "First?", "One.", "Second?", "Two.", "And now?", "Done.")
    assert ex.issues == ()


def test_alpaca_missing_input_key_is_fine():
    assert convert({"instruction": "Hi", "output": "Hello"}, "alpaca").issues == ()


@pytest.mark.parametrize("rec,key", [
    ({"instruction": "i", "output": ["o"]}, "output"),
    ({"instruction": {"x": 1}, "output": "o"}, "instruction"),
    ({"instruction": "i", "input": True, "output": "o"}, "input"),
    ({"instruction": "i", "output": None}, "output"),
    ({"instruction": "i", "output": "o", "history": "nope"}, "history"),
    ({"instruction": "i", "output": "o", "history": [["only one"]]}, "history"),
])
def test_alpaca_wrong_types(rec, key):
    ex = FORMATS_BY_NAME["alpaca"].convert(rec)
    assert key in [x.key for x in ex.issues]


@pytest.mark.parametrize("rec,fmt,texts", [
    ({"instruction": "Do it", "response": "Done"}, "instruction_response", ("Do it", "Done")),
    ({"prompt": "P", "completion": "C"}, "prompt_completion", ("P", "C")),
    ({"prompt": "P", "response": "R"}, "prompt_response", ("P", "R")),
    ({"question": "Q?", "answer": "A."}, "question_answer", ("Q?", "A.")),
])
def test_pair_formats(rec, fmt, texts):
    ex = convert(rec, fmt)
    assert ex.roles == "ua" and ex.texts == texts and ex.issues == ()


def test_pair_format_with_system():
    ex = convert({"system": "S", "question": "Q", "answer": "A"}, "question_answer")
    assert ex.roles == "sua" and ex.texts == ("S", "Q", "A")


def test_pair_format_wrong_type():
    ex = convert({"prompt": "P", "completion": {"text": "C"}}, "prompt_completion")
    assert [(x.kind, x.key) for x in ex.issues] == [("wrong-type", "completion")]


# -- preference -------------------------------------------------------------------------------------

def test_preference_strings():
    ex = convert({"prompt": "P", "chosen": "good", "rejected": "bad"}, "preference")
    assert ex.roles == "ua" and ex.texts == ("P", "good") and ex.rejected == "bad" and ex.issues == ()


def test_preference_message_lists_with_explicit_prompt():
    rec = {"prompt": [{"role": "system", "content": "S"}, u("P")], "chosen": [a("good")], "rejected": [a("bad")]}
    ex = convert(rec, "preference")
    assert ex.roles == "sua" and ex.texts == ("S", "P", "good") and ex.rejected == "bad" and ex.issues == ()


def test_preference_implicit_prompt_from_shared_prefix():
    rec = {"chosen": [u("P"), a("good")], "rejected": [u("P"), a("bad")]}
    ex = convert(rec, "preference")
    assert ex.roles == "ua" and ex.texts == ("P", "good") and ex.rejected == "bad" and ex.issues == ()


def test_preference_chosen_messages_rejected_messages():
    rec = {"chosen_messages": [u("P"), a("good")], "rejected_messages": [u("P"), a("bad")]}
    ex = convert(rec, "preference_messages")
    assert ex.roles == "ua" and ex.texts == ("P", "good") and ex.rejected == "bad" and ex.issues == ()


def test_llamafactory_sharegpt_preference():
    rec = {"conversations": [{"from": "system", "value": "S"}, {"from": "human", "value": "P"}],
           "chosen": {"from": "gpt", "value": "good"}, "rejected": {"from": "gpt", "value": "bad"}}
    ex = convert(rec, "sharegpt_preference")
    assert ex.roles == "sua" and ex.texts == ("S", "P", "good") and ex.rejected == "bad" and ex.issues == ()


def test_openai_preference():
    rec = {"input": {"messages": [u("P")], "tools": [], "parallel_tool_calls": True},
           "preferred_output": [a("good")], "non_preferred_output": [a("bad")]}
    ex = convert(rec, "openai_preference")
    assert ex.roles == "ua" and ex.texts == ("P", "good") and ex.rejected == "bad" and ex.issues == ()


@pytest.mark.parametrize("rec,fmt", [
    ({"prompt": "P", "chosen": 5, "rejected": "bad"}, "preference"),
    ({"prompt": {"x": 1}, "chosen": "good", "rejected": "bad"}, "preference"),
    ({"prompt": "P", "chosen": "good", "rejected": None}, "preference"),
    ({"input": "P", "preferred_output": [a("g")], "non_preferred_output": [a("b")]}, "openai_preference"),
    ({"conversations": [{"from": "human", "value": "P"}], "chosen": {"from": "gpt"},
      "rejected": {"from": "gpt", "value": "bad"}}, "sharegpt_preference"),
])
def test_preference_wrong_types(rec, fmt):
    assert convert(rec, fmt).issues


# -- KTO and classification -------------------------------------------------------------------------

def test_kto_messages_with_boolean_label():
    ex = convert({"messages": [u("P"), a("C")], "label": True}, "kto")
    assert ex.roles == "ua" and ex.texts == ("P", "C") and ex.label == "true" and ex.issues == ()


def test_kto_prompt_completion():
    ex = convert({"prompt": "P", "completion": "C", "label": False}, "kto")
    assert ex.roles == "ua" and ex.texts == ("P", "C") and ex.label == "false" and ex.issues == ()


def test_kto_conversational_prompt_completion():
    ex = convert({"prompt": [u("P")], "completion": [a("C")], "label": True}, "kto")
    assert ex.roles == "ua" and ex.texts == ("P", "C") and ex.issues == ()


def test_kto_forced_with_non_boolean_label_is_an_issue():
    ex = FORMATS_BY_NAME["kto"].convert({"prompt": "P", "completion": "C", "label": "yes"})
    assert [(x.kind, x.key) for x in ex.issues] == [("wrong-type", "label")]


def test_messages_with_string_label_is_chat_not_kto():
    assert detect_format([{"messages": [u("P"), a("C")], "label": "good"}], "x").name == "openai_chat"


@pytest.mark.parametrize("rec,label", [
    ({"text": "t", "label": "spam"}, "spam"),
    ({"text": "t", "category": "Album"}, "Album"),
    ({"text": "t", "label_int": 3}, "3"),
    ({"text": "t", "label": 2.0}, "2"),
    ({"text": "t", "label": True}, "true"),
    ({"text": "t", "labels": ["a", "b"]}, "a|b"),
])
def test_classification(rec, label):
    ex = convert(rec, "classification")
    assert ex.roles == "u" and ex.texts == ("t",) and ex.label == label and ex.issues == ()


@pytest.mark.parametrize("rec", [{"text": "t", "label": None}, {"text": "t", "label": {"a": 1}},
                                 {"text": ["t"], "label": "x"}])
def test_classification_wrong_types(rec):
    assert convert(rec, "classification").issues


def test_plain_text():
    ex = convert({"text": "Some pre-training text."}, "text")
    assert ex.roles == "a" and ex.texts == ("Some pre-training text.",) and ex.issues == ()


# -- detection --------------------------------------------------------------------------------------

def test_detection_takes_the_majority_format():
    sample = [{"instruction": "i", "output": "o"}] * 3 + [{"prompt": "p", "completion": "c"}]
    assert detect_format(sample, "x").name == "alpaca"


def test_detection_ignores_records_that_are_not_objects():
    assert detect_format(["s", [1], {"question": "q", "answer": "a"}], "x").name == "question_answer"


def test_every_format_has_a_known_kind_and_unique_name():
    assert len(FORMATS_BY_NAME) == len(FORMATS)
    assert {f.kind for f in FORMATS} <= {"chat", "instruction", "preference", "kto", "classification", "text"}


def test_record_of_another_format_in_a_file_is_an_issue(write_jsonl):
    p = write_jsonl("mixed.jsonl", [{"instruction": "i", "output": "o"}] * 3 + [{"question": "q", "answer": "a"}])
    ds = load_dataset_file(p, "train", "x")
    assert ds.files[0].format == "alpaca"
    assert list(ds.issues) == [3]
    [issue] = ds.issues[3]
    assert issue.kind == "missing-key" and "question" in issue.detail and "alpaca" in issue.detail


def test_unrecognisable_keys_are_a_format_error_listing_them(write_jsonl):
    p = write_jsonl("odd.jsonl", [{"question_text": "q", "answer_text": "a", "meta": 1}] * 2)
    with pytest.raises(FormatError) as e:
        load_dataset_file(p, "train", "x")
    msg = str(e.value)
    assert "odd.jsonl" in msg
    for key in ("question_text", "answer_text", "meta"):
        assert key in msg
    assert "[dataset.columns]" in msg
    assert "format" in msg
    assert "\n" not in msg  # one line


def test_unknown_forced_format_is_a_format_error(write_jsonl):
    p = write_jsonl("d.jsonl", [{"text": "t"}])
    with pytest.raises(FormatError, match="unknown dataset format 'nonsense'"):
        load_dataset_file(p, "train", "x", forced_format="nonsense")


@pytest.mark.parametrize("data", [b"", b"not json\n"])
def test_unknown_forced_format_is_an_error_even_without_readable_records(write_bytes, data):
    # detection never runs on an empty or all-malformed file; the forced name is still checked
    p = write_bytes("d.jsonl", data)
    with pytest.raises(FtlintError, match="unknown dataset format 'nonsense'"):
        load_dataset_file(p, "train", "x", forced_format="nonsense")


def test_known_forced_format_names_an_empty_file(write_bytes):
    ds = load_dataset_file(write_bytes("d.jsonl", b""), "train", "x", forced_format="alpaca")
    assert ds.files[0].format == "alpaca" and len(ds) == 0


# -- the user's override: column mapping and forced format --------------------------------------------

def test_apply_mapping_renames_to_canonical_keys():
    rec = {"question_text": "q", "answer_text": "a", "id": 7}
    out = apply_mapping(rec, {"prompt": "question_text", "response": "answer_text"})
    assert out == {"prompt": "q", "response": "a", "id": 7}
    assert rec == {"question_text": "q", "answer_text": "a", "id": 7}  # the input is not changed
    assert apply_mapping(rec, {}) is rec


def test_mapping_makes_an_unknown_file_loadable(write_jsonl):
    p = write_jsonl("odd.jsonl", [{"question_text": f"q{i}", "answer_text": f"a{i}", "id": i} for i in range(3)])
    ds = load_dataset_file(p, "train", "x", mapping={"prompt": "question_text", "response": "answer_text"})
    assert ds.files[0].format == "prompt_response"
    assert ds.texts == [("q0", "a0"), ("q1", "a1"), ("q2", "a2")]
    assert ds.extras == {"id": [0, 1, 2]}
    assert ds.issues == {}


def test_mapping_to_messages_and_label(write_jsonl):
    p = write_jsonl("d.jsonl", [{"dialog": [u("P"), a("C")], "ok": True}])
    ds = load_dataset_file(p, "train", "x", mapping={"messages": "dialog", "label": "ok"})
    assert ds.files[0].format == "kto" and ds.labels == ["true"]


def test_mapping_through_settings_and_check(tmp_path, write_jsonl):
    write_jsonl("odd.jsonl", [{"body": f"text {i}", "sentiment": "pos" if i % 2 else "neg"} for i in range(4)])
    settings = settings_from_dict({"dataset": {"train": ["odd.jsonl"], "columns": {"text": "body",
                                                                                   "label": "sentiment"}}},
                                  tmp_path)
    report = check(settings=settings, no_cache=True)
    [info] = report.inputs
    assert info.format == "classification"
    assert "FT002" not in {f.code for f in report.findings}


def test_forced_format(write_jsonl):
    # a record with both prompt/completion and text/label: detection picks prompt_completion ...
    p = write_jsonl("d.jsonl", [{"prompt": "p", "completion": "c", "text": "t", "label": "x"}])
    assert load_dataset_file(p, "train", "x").files[0].format == "prompt_completion"
    # ... and [dataset] format overrides it
    ds = load_dataset_file(p, "train", "x", forced_format="classification")
    assert ds.files[0].format == "classification" and ds.labels == ["x"] and ds.texts == [("t",)]


def test_forced_format_that_does_not_fit_is_refused_with_the_keys_found(write_jsonl):
    # every record holds text the forced format cannot read: a detection failure (exit 2), not 2 FT002 rows
    p = write_jsonl("d.jsonl", [{"text": "t", "label": "x"}] * 2)
    with pytest.raises(FormatError,
                       match=r"format 'alpaca' .* extracts no text from 2 of 2 records.*keys found: text, label"):
        load_dataset_file(p, "train", "x", forced_format="alpaca")


def test_forced_format_that_fits_most_rows_reports_the_others(write_jsonl):
    p = write_jsonl("d.jsonl", [{"instruction": "i", "output": "o"}] * 8 + [{"text": "t", "label": "x"}] * 2)
    ds = load_dataset_file(p, "train", "x", forced_format="alpaca")
    assert ds.files[0].format == "alpaca"
    assert sorted(ds.issues) == [8, 9]
    assert all(x.kind == "missing-key" for v in ds.issues.values() for x in v)


def test_forced_format_through_settings(tmp_path, write_jsonl):
    write_jsonl("d.jsonl", [{"prompt": "p", "completion": "c", "text": "t", "label": "x"}] * 2)
    s = settings_from_dict({"dataset": {"format": "classification"}}, tmp_path)
    report = check([tmp_path / "d.jsonl"], settings=s, no_cache=True)
    assert report.inputs[0].format == "classification"


def test_unknown_column_role_in_settings_is_a_settings_error(tmp_path):
    with pytest.raises(SettingsError, match=r"unknown column role 'promt'.*did you mean 'prompt'"):
        settings_from_dict({"dataset": {"columns": {"promt": "q"}}}, tmp_path)


def test_every_canonical_key_is_consumed_by_the_converters():
    # a mapped column becomes a canonical key, which must not also be kept as an extra column
    assert set(CANONICAL_KEYS) <= CONSUMED_KEYS
