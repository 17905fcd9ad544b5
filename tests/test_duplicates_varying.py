"""FT202/FT203 compare what varies: segments most rows share (a system prompt, a tool schema, a fixed
instruction) are left out; replies and tool calls are never stripped; preference pairs that share a
prompt by design are not near-copies; snippets show the part that was compared."""

from __future__ import annotations

import json
from pathlib import Path

from ftlint.api import check
from ftlint.settings import Settings

SYSTEM = ("You are the flight assistant of a consumer drone. You control the drone only through the tools "
          "listed below and you always confirm an action before you call a tool. Keep answers short, never "
          "invent a tool, and refuse anything that would fly the drone outside the legal altitude limit of "
          "one hundred and twenty metres or beyond the line of sight of the pilot who holds the controller.")
REQUESTS = [
    ("bring the drone back home", "return_to_home", {}),
    ("bring the drone down to where we are?", "land_drone", {"target": "pilot"}),
    ("take a photo of the lake", "capture_photo", {"subject": "lake"}),
    ("start recording a video", "start_video", {}),
    ("stop the video now", "stop_video", {}),
    ("fly up to fifty metres", "set_altitude", {"metres": 50}),
    ("turn the camera to the left", "rotate_gimbal", {"direction": "left"}),
    ("how much battery is left", "battery_status", {}),
    ("hover in place for a minute", "hover", {"seconds": 60}),
    ("follow the red car", "follow_target", {"target": "red car"}),
    ("circle around the tower", "orbit", {"target": "tower"}),
    ("switch on the lights", "set_lights", {"on": True}),
    ("what is the wind speed up there", "wind_status", {}),
    ("fly north for one hundred metres", "move", {"direction": "north", "metres": 100}),
    ("zoom the camera in twice", "zoom", {"factor": 2}),
    ("show me the flight log", "flight_log", {}),
    ("calibrate the compass", "calibrate_compass", {}),
    ("lock the gimbal", "lock_gimbal", {}),
    ("set the home point here", "set_home", {}),
    ("what is our current altitude", "altitude_status", {}),
    ("land next to the red car", "land_drone", {"target": "red car"}),
    ("take a panorama of the valley", "capture_panorama", {"subject": "valley"}),
]


def chat(request: str, name: str, args: dict) -> dict:
    return {"messages": [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Hey, could you please {request} for me"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}]},
    ]}


def write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def findings(report, code):
    return [f for f in report.findings if f.code == code]


def test_a_shared_system_prompt_does_not_make_rows_near_copies(tmp_path):
    path = write(tmp_path / "train.jsonl", [chat(*r) for r in REQUESTS])
    report = check([path], settings=Settings(select=["FT202"]), no_cache=True)
    assert findings(report, "FT202") == []


def test_near_copies_are_still_found_and_the_snippet_shows_what_was_compared(tmp_path):
    records = [chat(*r) for r in REQUESTS]
    long = ("bring the drone back home to the launch point behind the house, slow down over the garden so "
            "that the dog is not scared, keep away from the big oak tree and the washing line, and land it "
            "softly on the grass next to the shed where the batteries are charging in the shade")
    records[0] = chat(long, "return_to_home", {})
    records.append(chat(long + " again", "return_to_home", {}))
    path = write(tmp_path / "train.jsonl", records)
    report = check([path], settings=Settings(select=["FT202"]), no_cache=True)
    [f] = findings(report, "FT202")
    [row] = f.rows
    assert row.index == len(records) - 1 and row.extra["near_duplicate_of"]["index"] == 0
    assert "bring the drone back home" in row.snippet and "flight assistant" not in row.snippet


def test_the_same_rows_without_a_shared_prompt_are_compared_whole(tmp_path):
    # fewer than 20 rows: nothing is stripped, and the long shared prompt makes them near-copies
    path = write(tmp_path / "train.jsonl", [chat(*r) for r in REQUESTS[:6]])
    report = check([path], settings=Settings(select=["FT202"]), no_cache=True)
    assert findings(report, "FT202")


def test_leakage_compares_what_varies_across_splits(tmp_path):
    train = write(tmp_path / "train.jsonl", [chat(*r) for r in REQUESTS[:16]])
    val = write(tmp_path / "val.jsonl", [chat(*r) for r in REQUESTS[16:]] + [chat(*REQUESTS[0])])
    report = check([train], validation=[val], settings=Settings(select=["FT203"]), no_cache=True)
    [f] = findings(report, "FT203")
    assert [r.index for r in f.rows] == [6]  # only the real copy; the other 5 share just the system prompt
    assert "flight assistant" not in f.rows[0].snippet


def test_preference_pairs_sharing_a_prompt_by_design_are_not_near_copies(tmp_path):
    question = ("I am writing a Java Swing program that should press the right button when I type a number key, "
                "but the listener never fires and I cannot find out why from the documentation or the tutorial.")
    good = ("Attach a key binding to the root pane instead of a KeyListener: key listeners only fire on the "
            "focused component, and buttons take the focus away from the panel as soon as they are clicked.")
    rows = [{"question": question, "response_j": good,
             "response_k": f"Try restarting your IDE, it happens sometimes {k}."}
            for k in ("first", "second time", "and then a third")]
    path = write(tmp_path / "train.jsonl", rows)
    report = check([path], settings=Settings(select=["FT202"]), no_cache=True)
    assert findings(report, "FT202") == []
    rows.append(dict(rows[0], response_k=rows[0]["response_k"] + " really"))
    write(path, rows)
    report = check([path], settings=Settings(select=["FT202"]), no_cache=True)
    [f] = findings(report, "FT202")
    assert [r.index for r in f.rows] == [3]


def test_exact_copies_key_is_the_whole_example_tools_and_tool_calls_included(tmp_path):
    msgs = [{"role": "user", "content": "What is the weather in Paris?"},
            {"role": "assistant", "content": "Let me check.", "tool_calls": [
                {"id": "c", "type": "function",
                 "function": {"name": "weather", "arguments": "{\"city\": \"Paris\"}"}}]}]
    tools_a = [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}]
    tools_b = [{"type": "function", "function": {"name": "weather", "description": "metric units"}}]
    other_call = json.loads(json.dumps(msgs))
    other_call[1]["tool_calls"][0]["function"]["arguments"] = "{\"city\": \"Lyon\"}"
    rows = [{"messages": msgs, "tools": tools_a}, {"messages": msgs, "tools": tools_b},
            {"messages": other_call, "tools": tools_a}, {"messages": msgs, "tools": tools_a}]
    path = write(tmp_path / "train.jsonl", rows)
    report = check([path], settings=Settings(select=["FT201"]), no_cache=True)
    [f] = findings(report, "FT201")
    assert [r.index for r in f.rows] == [3]  # only the row equal to row 0 in messages, tool call and tools
    assert "1 group," in f.message
