"""Format detection and the uniform example view.

Every supported record format is converted to one compact view, so rules never care about the
file format: ``roles`` (one character per turn: ``s`` system, ``u`` user, ``a`` assistant,
``t`` tool/function result, ``?`` unknown), ``texts`` (the text of each turn), ``label``
(classification or KTO label as a string) and ``rejected`` (the rejected side of a preference
pair). Converting a record also validates it and returns :class:`Issue` s (FT002's input).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import xxhash

from ftlint.errors import FormatError

SYSTEM, USER, ASSISTANT, TOOL, UNKNOWN = "s", "u", "a", "t", "?"
ROLE_NAMES = {SYSTEM: "system", USER: "user", ASSISTANT: "assistant", TOOL: "tool", UNKNOWN: "unknown"}

OPENAI_ROLES = {"system": SYSTEM, "developer": SYSTEM, "user": USER, "assistant": ASSISTANT,
                "tool": TOOL, "function": TOOL}
SHAREGPT_ROLES = {"system": SYSTEM, "human": USER, "user": USER, "gpt": ASSISTANT, "assistant": ASSISTANT,
                  "function_call": ASSISTANT, "observation": TOOL, "tool": TOOL, "function": TOOL}
CONTENT_PART_TYPES = {"text", "input_text", "output_text", "image_url", "input_image", "input_audio", "file",
                      "refusal", "image", "audio", "reasoning", "tool_call"}
#: part types whose text is the turn's text (LLaMA-Factory v1 keeps it under "value", OpenAI under "text");
#: reasoning and tool-call parts are text too (the model is trained on them)
TEXT_PART_TYPES = {None, "text", "input_text", "output_text", "refusal", "reasoning", "tool_call"}

# the canonical keys a column mapping may target
CANONICAL_KEYS = ("messages", "conversations", "prompt", "response", "completion", "instruction", "input",
                  "output", "question", "answer", "text", "label", "chosen", "rejected", "system")


@dataclass(frozen=True)
class Issue:
    """A record that does not match its file's format (FT002), or a structural note."""

    kind: str  # missing-key | wrong-type | unknown-role | bad-value
    detail: str
    key: str | None = None


@dataclass
class Example:
    roles: str
    texts: tuple[str, ...]
    label: str | None = None
    rejected: str | None = None
    issues: tuple[Issue, ...] = ()
    #: derived columns the loader keeps next to the record's own extra columns
    extra: dict[str, Any] | None = None


@dataclass(frozen=True)
class Format:
    name: str
    kind: str  # chat | instruction | preference | kto | classification | text
    description: str
    matches: Callable[[Mapping[str, Any]], bool]
    convert: Callable[[Mapping[str, Any]], Example]
    #: chat formats where two consecutive turns on the same side are an error
    strict_alternation: bool = False
    #: keys this format reads besides the common CONSUMED_KEYS (they are not kept as extra columns)
    consumed_keys: frozenset[str] = frozenset()


# -- helpers ----------------------------------------------------------------------------------------

def _text_of(value: Any) -> tuple[str, Issue | None]:
    """Text of a content value: a string, or a list of typed parts (their text joined)."""
    if isinstance(value, str):
        return value, None
    if isinstance(value, list):
        texts: list[str] = []
        for part in value:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict):
                ptype = part.get("type")
                if ptype is not None and ptype not in CONTENT_PART_TYPES:
                    return "", Issue("wrong-type", f"content part of unknown type {ptype!r}", "content")
                t = part.get("text")
                if not isinstance(t, str):
                    t = part.get("value")  # LLaMA-Factory v1: {"type": "text", "value": "..."}
                if isinstance(t, str):
                    texts.append(t)
                elif ptype in TEXT_PART_TYPES:
                    return "", Issue("wrong-type", "text content part without a string 'text' or 'value'",
                                     "content")
                else:  # image/audio/file parts carry no text, they are fine
                    texts.append(f"<{ptype}>")
            else:
                return "", Issue("wrong-type", f"content part is {type(part).__name__}, not an object", "content")
        return "\n".join(texts), None
    return "", Issue("wrong-type", f"content is {_tname(value)}, expected a string or a list of typed parts", "content")


def _tname(v: Any) -> str:
    return "null" if v is None else {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
                                     int: "a number", float: "a number"}.get(type(v), type(v).__name__)


def _json_text(v: Any) -> str:
    if isinstance(v, str):
        return v
    try:
        return orjson.dumps(v).decode()
    except TypeError:
        return str(v)


def _openai_messages(msgs: Any, key: str = "messages") -> tuple[str, list[str], list[Issue]]:
    issues: list[Issue] = []
    if not isinstance(msgs, list):
        return "", [], [Issue("wrong-type", f"'{key}' is {_tname(msgs)}, expected a list of messages", key)]
    roles: list[str] = []
    texts: list[str] = []
    for i, m in enumerate(msgs):
        if not isinstance(m, dict):
            issues.append(Issue("wrong-type", f"{key}[{i}] is {_tname(m)}, expected an object", key))
            continue
        role = m.get("role")
        if not isinstance(role, str):
            if role is None:
                issues.append(Issue("missing-key", f"{key}[{i}] has no 'role'", "role"))
            else:
                issues.append(Issue("wrong-type", f"{key}[{i}] 'role' is {_tname(role)} ({_json_text(role)[:40]}), "
                                                  "expected a string", "role"))
            code = UNKNOWN
        else:
            code = OPENAI_ROLES.get(role, UNKNOWN)
            if code == UNKNOWN:
                issues.append(Issue("unknown-role", f"{key}[{i}] has unknown role {role!r}", "role"))
        content = m.get("content")
        calls = m.get("tool_calls") or m.get("function_call")
        if content is None:
            if calls and code == ASSISTANT:
                text = _json_text(calls)
            elif "content" not in m and not calls:
                issues.append(Issue("missing-key", f"{key}[{i}] ({role}) has no 'content'", "content"))
                text = ""
            elif calls:
                text = _json_text(calls)
            else:
                issues.append(Issue("wrong-type", f"{key}[{i}] ({role}) has null content and no tool_calls", "content"))
                text = ""
        else:
            text, issue = _text_of(content)
            if issue:
                issues.append(Issue(issue.kind, f"{key}[{i}] ({role}): {issue.detail}", issue.key))
            if calls and code == ASSISTANT:  # the tool call is part of the reply (and of its duplicate key)
                text = _json_text(calls) if not text.strip() else f"{text}\n{_json_text(calls)}"
        if calls is not None and not isinstance(calls, (list, dict)):
            issues.append(Issue("wrong-type", f"{key}[{i}] tool_calls is {_tname(calls)}, expected a list",
                                "tool_calls"))
        w = m.get("weight")
        if w is not None and not (type(w) is int and w in (0, 1)):
            issues.append(Issue("bad-value", f"{key}[{i}] weight is {w!r}, expected 0 or 1", "weight"))
        roles.append(code)
        texts.append(text)
    return "".join(roles), texts, issues


def _sharegpt_messages(msgs: Any, key: str = "conversations") -> tuple[str, list[str], list[Issue]]:
    issues: list[Issue] = []
    if not isinstance(msgs, list):
        return "", [], [Issue("wrong-type", f"'{key}' is {_tname(msgs)}, expected a list of turns", key)]
    roles: list[str] = []
    texts: list[str] = []
    for i, m in enumerate(msgs):
        if not isinstance(m, dict):
            issues.append(Issue("wrong-type", f"{key}[{i}] is {_tname(m)}, expected an object", key))
            continue
        if "from" in m or "value" in m:
            role, value = m.get("from"), m.get("value")
            rk, vk = "from", "value"
        else:  # some ShareGPT files use role/content inside conversations
            role, value = m.get("role"), m.get("content")
            rk, vk = "role", "content"
        if not isinstance(role, str):
            if role is None:
                issues.append(Issue("missing-key", f"{key}[{i}] has no '{rk}'", rk))
            else:
                issues.append(Issue("wrong-type", f"{key}[{i}] '{rk}' is {_tname(role)} ({_json_text(role)[:40]}), "
                                                  "expected a string", rk))
            code = UNKNOWN
        else:
            code = SHAREGPT_ROLES.get(role, UNKNOWN)
            if code == UNKNOWN:
                issues.append(Issue("unknown-role", f"{key}[{i}] has unknown role {role!r}", rk))
        if value is None:
            issues.append(Issue("missing-key", f"{key}[{i}] has no '{vk}'", vk))
            text = ""
        else:
            text, issue = _text_of(value)
            if issue:
                issues.append(Issue(issue.kind, f"{key}[{i}]: {issue.detail}", vk))
        roles.append(code)
        texts.append(text)
    return "".join(roles), texts, issues


def _tools_issue(rec: Mapping[str, Any]) -> list[Issue]:
    tools = rec.get("tools")
    if tools is None or isinstance(tools, list):
        return []
    if isinstance(tools, str):
        if not tools.strip():
            return []
        try:
            parsed = orjson.loads(tools)
        except orjson.JSONDecodeError:
            return [Issue("wrong-type", "'tools' is a string that is not valid JSON", "tools")]
        if isinstance(parsed, (list, dict)):
            return []
        return [Issue("wrong-type", "'tools' JSON string does not hold a list", "tools")]
    return [Issue("wrong-type", f"'tools' is {_tname(tools)}, expected a list or a JSON string", "tools")]


def _str_field(rec: Mapping[str, Any], key: str, issues: list[Issue], required: bool = True) -> str:
    v = rec.get(key)
    if v is None:
        if required:
            issues.append(Issue("missing-key", f"missing '{key}'", key))
        return ""
    if isinstance(v, str):
        return v
    issues.append(Issue("wrong-type", f"'{key}' is {_tname(v)}, expected a string", key))
    return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else ""


def _label_str(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (str, int, float)):
        return str(v)
    if isinstance(v, list):
        return "|".join(str(x) for x in v)
    return _json_text(v)


# -- converters -----------------------------------------------------------------------------------

#: extra column holding a digest of the row's tool schema (``tools``): part of the exact-duplicate key,
#: so rows that differ only in the tools they offer are not copies
TOOLS_DIGEST = "ftlint:tools"


def _tools_extra(rec: Mapping[str, Any]) -> dict[str, Any] | None:
    tools = rec.get("tools")
    if isinstance(tools, str):
        if not tools.strip():
            return None
        try:
            tools = orjson.loads(tools)
        except orjson.JSONDecodeError:
            return {TOOLS_DIGEST: xxhash.xxh3_64_hexdigest(tools.encode("utf-8", "surrogatepass"))}
    if not tools:
        return None
    try:
        canonical = orjson.dumps(tools, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        canonical = repr(tools).encode("utf-8", "surrogatepass")
    return {TOOLS_DIGEST: xxhash.xxh3_64_hexdigest(canonical)}


def _openai_chat(rec: Mapping[str, Any]) -> Example:
    roles, texts, issues = _openai_messages(rec.get("messages"))
    issues += _tools_issue(rec)
    return Example(roles, tuple(texts), issues=tuple(issues), extra=_tools_extra(rec))


def _sharegpt(rec: Mapping[str, Any]) -> Example:
    roles, texts, issues = _sharegpt_messages(rec.get("conversations"))
    system = rec.get("system")
    if isinstance(system, str) and system.strip():
        roles, texts = SYSTEM + roles, [system, *texts]
    issues += _tools_issue(rec)
    return Example(roles, tuple(texts), issues=tuple(issues), extra=_tools_extra(rec))


def _side_text(v: Any, key: str, issues: list[Issue], sharegpt: bool = False) -> str:
    """Text of one preference side: a string, a message object, or a list of messages."""
    if isinstance(v, str):
        return v
    if isinstance(v, dict):
        r, t, iss = (_sharegpt_messages if sharegpt or "from" in v else _openai_messages)([v], key)
        issues.extend(iss)
        return "\n".join(t)
    if isinstance(v, list):
        if v and isinstance(v[0], dict) and "from" in v[0]:
            r, t, iss = _sharegpt_messages(v, key)
        else:
            r, t, iss = _openai_messages(v, key)
        issues.extend(iss)
        # the assistant part of the side (a full conversation keeps only its replies)
        picked = [x for code, x in zip(r, t) if code == ASSISTANT] or t
        return "\n".join(picked)
    if v is None:
        issues.append(Issue("missing-key", f"missing '{key}'", key))
    else:
        issues.append(Issue("wrong-type", f"'{key}' is {_tname(v)}, expected a string or messages", key))
    return ""


#: extra column set on preference rows whose chosen and rejected conversations carry different
#: prompts (FT303): what differs
PROMPT_MISMATCH = "ftlint:prompt_mismatch"


def _side_prompt(side: Any) -> list[tuple[Any, str]]:
    """(role, normalised content) of a message-list side, up to its final assistant turn(s)."""
    if not isinstance(side, list):
        return []
    msgs = [m for m in side if isinstance(m, dict)]
    end = len(msgs)
    while end and msgs[end - 1].get("role", msgs[end - 1].get("from")) in ("assistant", "gpt"):
        end -= 1
    return [(m.get("role", m.get("from")), " ".join(str(m.get("content", m.get("value"))).casefold().split()))
            for m in msgs[:end]]


def _prompt_mismatch(chosen: Any, rejected: Any, shared: int) -> dict[str, Any] | None:
    c, r = _side_prompt(chosen), _side_prompt(rejected)
    if c == r:
        return None
    k = next((k for k, (x, y) in enumerate(zip(c, r)) if x != y), min(len(c), len(r)))
    if k < min(len(c), len(r)):
        detail = f"turn {shared + k + 1} ({c[k][0]}) differs between chosen and rejected"
    else:
        detail = (f"chosen has {len(c)} and rejected {len(r)} prompt turn(s) after the {shared} they share")
    return {PROMPT_MISMATCH: detail}


def _preference(rec: Mapping[str, Any]) -> Example:
    issues: list[Issue] = []
    prompt = rec.get("prompt")
    chosen, rejected = rec.get("chosen"), rec.get("rejected")
    shared = 0
    if prompt is None and isinstance(chosen, list) and isinstance(rejected, list):
        # implicit prompt: the shared prefix of two full conversations
        n = 0
        while n < min(len(chosen), len(rejected)) - 1 and chosen[n] == rejected[n]:
            n += 1
        shared = n
        roles, texts, iss = _openai_messages(chosen[:n], "chosen")
        issues += iss
        chosen, rejected = chosen[n:], rejected[n:]
    elif isinstance(prompt, list):
        roles, texts, iss = _openai_messages(prompt, "prompt")
        issues += iss
    elif isinstance(prompt, str):
        roles, texts = USER, [prompt]
    else:
        issues.append(Issue("wrong-type" if prompt is not None else "missing-key",
                            "'prompt' must be a string or a list of messages", "prompt"))
        roles, texts = USER, [""]
    mismatch = _prompt_mismatch(chosen, rejected, shared)
    c = _side_text(chosen, "chosen", issues)
    r = _side_text(rejected, "rejected", issues)
    return Example(roles + ASSISTANT, (*texts, c), rejected=r, issues=tuple(issues), extra=mismatch)


def _question_response_jk(rec: Mapping[str, Any]) -> Example:
    """stack-exchange-paired (torchtune, TRL): ``question``, ``response_j`` preferred, ``response_k`` rejected."""
    return _preference({"prompt": rec.get("question"), "chosen": rec.get("response_j"),
                        "rejected": rec.get("response_k")})


def _preference_messages(rec: Mapping[str, Any]) -> Example:
    return _preference({"chosen": rec.get("chosen_messages"), "rejected": rec.get("rejected_messages")})


def _sharegpt_preference(rec: Mapping[str, Any]) -> Example:
    roles, texts, issues = _sharegpt_messages(rec.get("conversations"))
    system = rec.get("system")
    if isinstance(system, str) and system.strip():
        roles, texts = SYSTEM + roles, [system, *texts]
    c = _side_text(rec.get("chosen"), "chosen", issues, sharegpt=True)
    r = _side_text(rec.get("rejected"), "rejected", issues, sharegpt=True)
    return Example(roles + ASSISTANT, (*texts, c), rejected=r, issues=tuple(issues))


def _openai_preference(rec: Mapping[str, Any]) -> Example:
    issues: list[Issue] = []
    inp = rec.get("input")
    if isinstance(inp, dict):
        roles, texts, issues = _openai_messages(inp.get("messages"), "input.messages")
        issues += _tools_issue(inp)
    else:
        issues.append(Issue("wrong-type", f"'input' is {_tname(inp)}, expected an object with 'messages'", "input"))
        roles, texts = USER, [""]
    c = _side_text(rec.get("preferred_output"), "preferred_output", issues)
    r = _side_text(rec.get("non_preferred_output"), "non_preferred_output", issues)
    return Example(roles + ASSISTANT, (*texts, c), rejected=r, issues=tuple(issues))


def _kto(rec: Mapping[str, Any]) -> Example:
    issues: list[Issue] = []
    if "messages" in rec:
        roles, texts, iss = _openai_messages(rec.get("messages"))
        issues += iss
    else:
        p = rec.get("prompt")
        if isinstance(p, list):
            roles, texts, iss = _openai_messages(p, "prompt")
            issues += iss
        else:
            roles, texts = USER, [_str_field(rec, "prompt", issues)]
        comp = rec.get("completion")
        c = _side_text(comp, "completion", issues)
        roles, texts = roles + ASSISTANT, [*texts, c]
    label = rec.get("label")
    if not isinstance(label, bool):
        issues.append(Issue("wrong-type", f"KTO 'label' is {_tname(label)}, expected true or false", "label"))
    return Example(roles, tuple(texts), label=_label_str(label), issues=tuple(issues))


def _alpaca(rec: Mapping[str, Any]) -> Example:
    issues: list[Issue] = []
    instr = _str_field(rec, "instruction", issues)
    inp = _str_field(rec, "input", issues, required=False)
    out = _str_field(rec, "output", issues)
    roles, texts = "", []
    system = rec.get("system")
    if isinstance(system, str) and system.strip():
        roles, texts = SYSTEM, [system]
    history = rec.get("history")
    if isinstance(history, list):
        for pair in history:
            if isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair):
                roles += USER + ASSISTANT
                texts += [pair[0], pair[1]]
            else:
                issues.append(Issue("wrong-type", "'history' items must be [instruction, response] pairs", "history"))
    elif history is not None:
        issues.append(Issue("wrong-type", f"'history' is {_tname(history)}, expected a list", "history"))
    user = instr if not inp.strip() else (f"{instr}\n\n{inp}" if instr.strip() else inp)
    return Example(roles + USER + ASSISTANT, (*texts, user, out), issues=tuple(issues))


def _pair(pkey: str, rkey: str) -> Callable[[Mapping[str, Any]], Example]:
    def convert(rec: Mapping[str, Any]) -> Example:
        issues: list[Issue] = []
        p = _str_field(rec, pkey, issues)
        r = _str_field(rec, rkey, issues)
        roles, texts = USER + ASSISTANT, [p, r]
        system = rec.get("system")
        if isinstance(system, str) and system.strip():
            roles, texts = SYSTEM + roles, [system, *texts]
        return Example(roles, tuple(texts), issues=tuple(issues))

    return convert


LABEL_KEYS = ("label", "category", "label_int", "labels", "class", "intent")


def _classification(rec: Mapping[str, Any]) -> Example:
    issues: list[Issue] = []
    text = _str_field(rec, "text", issues)
    label: Any = None
    for k in LABEL_KEYS:
        if k in rec:
            label = rec[k]
            if label is None or isinstance(label, (dict,)):
                issues.append(Issue("wrong-type", f"'{k}' is {_tname(label)}, expected a class label", k))
            break
    return Example(USER, (text,), label=_label_str(label), issues=tuple(issues))


#: multi-column classification (news topics, reviews): a short heading column and a body column, and a
#: label or score; matched case-insensitively ("Summary", "Text", "Score")
HEADING_COLUMNS = ("title", "headline", "subject", "summary")
BODY_COLUMNS = ("text", "description", "body", "content", "review", "sentence", "article")
SCORE_COLUMNS = (*LABEL_KEYS, "score", "rating", "stars", "sentiment")


def _column(rec: Mapping[str, Any], names: Sequence[str]) -> list[str]:
    """The record's keys that match ``names`` case-insensitively, in ``names`` order."""
    lower = {k.lower(): k for k in rec if isinstance(k, str)}
    return [lower[n] for n in names if n in lower]


def _is_text_columns(r: Mapping[str, Any]) -> bool:
    return bool(_column(r, SCORE_COLUMNS)) and bool(_column(r, BODY_COLUMNS) or _column(r, HEADING_COLUMNS)) \
        and "text" not in r


def _text_columns(rec: Mapping[str, Any]) -> Example:
    issues: list[Issue] = []
    parts: list[str] = []
    for key in (*_column(rec, HEADING_COLUMNS)[:1], *_column(rec, BODY_COLUMNS)[:1]):
        v = rec.get(key)
        if isinstance(v, str):
            if v.strip():
                parts.append(v)
        elif v is not None:
            issues.append(Issue("wrong-type", f"'{key}' is {_tname(v)}, expected a string", key))
    if not parts and not issues:
        keys = ", ".join(_column(rec, HEADING_COLUMNS)[:1] + _column(rec, BODY_COLUMNS)[:1])
        issues.append(Issue("missing-key", f"no text in {keys}", keys or None))
    [lk] = _column(rec, SCORE_COLUMNS)[:1]
    label = rec.get(lk)
    if label is None or isinstance(label, (dict, list)):
        issues.append(Issue("wrong-type", f"'{lk}' is {_tname(label)}, expected a class label", lk))
    return Example(USER, ("\n\n".join(parts),), label=_label_str(label), issues=tuple(issues))


def _text(rec: Mapping[str, Any]) -> Example:
    issues: list[Issue] = []
    text = _str_field(rec, "text", issues)
    return Example(ASSISTANT, (text,), issues=tuple(issues))


def _has(*keys: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda r: all(k in r for k in keys)


def _is_kto(r: Mapping[str, Any]) -> bool:
    return isinstance(r.get("label"), bool) and ("messages" in r or ("prompt" in r and "completion" in r))


FORMATS: tuple[Format, ...] = (
    Format("openai_preference", "preference", "OpenAI DPO: input.messages + preferred_output/non_preferred_output",
           _has("input", "preferred_output", "non_preferred_output"), _openai_preference),
    Format("preference_messages", "preference", "chosen_messages + rejected_messages",
           _has("chosen_messages", "rejected_messages"), _preference_messages),
    Format("sharegpt_preference", "preference", "LLaMA-Factory ranking: conversations + chosen/rejected messages",
           _has("conversations", "chosen", "rejected"), _sharegpt_preference, strict_alternation=True),
    Format("question_response_jk", "preference", "stack-exchange-paired: question + response_j (preferred) / "
           "response_k (rejected)", _has("question", "response_j", "response_k"), _question_response_jk),
    Format("preference", "preference", "prompt/chosen/rejected (strings or message lists)",
           lambda r: "chosen" in r and "rejected" in r, _preference),
    Format("kto", "kto", "KTO: messages (or prompt/completion) + boolean label", _is_kto, _kto),
    Format("openai_chat", "chat", "OpenAI chat: messages with role/content", _has("messages"), _openai_chat),
    Format("sharegpt", "chat", "ShareGPT: conversations with from/value", _has("conversations"), _sharegpt,
           strict_alternation=True),
    Format("alpaca", "instruction", "Alpaca: instruction/input/output", _has("instruction", "output"), _alpaca),
    Format("instruction_response", "instruction", "instruction/response", _has("instruction", "response"),
           _pair("instruction", "response")),
    Format("prompt_completion", "instruction", "prompt/completion", _has("prompt", "completion"),
           _pair("prompt", "completion")),
    Format("prompt_response", "instruction", "prompt/response", _has("prompt", "response"),
           _pair("prompt", "response")),
    Format("question_answer", "instruction", "question/answer", _has("question", "answer"),
           _pair("question", "answer")),
    Format("classification", "classification", "text + label (or category/label_int)",
           lambda r: "text" in r and any(k in r for k in LABEL_KEYS), _classification),
    Format("text_columns", "classification", "heading and/or body columns (title/summary + description/text) "
           "+ label or score", _is_text_columns, _text_columns,
           consumed_keys=frozenset(k.capitalize() for k in (*HEADING_COLUMNS, *BODY_COLUMNS, *SCORE_COLUMNS))
           | frozenset((*HEADING_COLUMNS, *BODY_COLUMNS, *SCORE_COLUMNS))),
    Format("text", "text", "plain text (continued pre-training)", lambda r: "text" in r, _text),
)
FORMATS_BY_NAME = {f.name: f for f in FORMATS}

#: the keys each format consumes (others are kept as extra columns)
CONSUMED_KEYS = {"messages", "conversations", "tools", "system", "prompt", "chosen", "rejected", "completion",
                 "response", "instruction", "input", "output", "history", "question", "answer", "text",
                 "chosen_messages", "rejected_messages", "preferred_output", "non_preferred_output", "response_j",
                 "response_k", *LABEL_KEYS}


def apply_mapping(rec: dict[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """Rename the user's columns to canonical keys (``[dataset.columns] prompt = "question_text"``)."""
    if not mapping:
        return rec
    out = dict(rec)
    for canonical, column in mapping.items():
        if column in out:
            out[canonical] = out.pop(column)
    return out


def detect_format(sample: Sequence[Any], path: str, forced: str | None = None) -> Format:
    """Pick the format most records in ``sample`` match; raise a FormatError listing the keys found."""
    if forced:
        try:
            return FORMATS_BY_NAME[forced]
        except KeyError:
            raise FormatError(f"unknown dataset format {forced!r}; known: {', '.join(FORMATS_BY_NAME)}",
                              path) from None
    votes: Counter[str] = Counter()
    keys: Counter[str] = Counter()
    for rec in sample:
        if not isinstance(rec, dict):
            continue
        keys.update(rec.keys())
        for fmt in FORMATS:
            if fmt.matches(rec):
                votes[fmt.name] += 1
                break
    if votes:
        best = max(FORMATS, key=lambda f: (votes.get(f.name, 0), -FORMATS.index(f)))
        return best
    found = ", ".join(k for k, _ in keys.most_common(12)) or "none (records are not JSON objects)"
    raise FormatError(
        "cannot recognise the record format; keys found: " + found + ". Map your columns in the settings, "
        "e.g. [dataset.columns] prompt = \"<your prompt key>\", response = \"<your response key>\" "
        "(or label = \"...\", messages = \"...\"), or set [dataset] format = one of: "
        + ", ".join(FORMATS_BY_NAME),
        path,
    )
