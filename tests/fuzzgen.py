"""A seeded generator of hostile, odd and degenerate inputs for ftlint (the fuzz cases).

Plain and deterministic: everything comes from ``random.Random(seed)``, so one seed always gives
the same bytes, and a failing case is reproduced from its name alone (``cases_by_name()``).
Importable from any test (``tests/`` is on ``sys.path`` under pytest) and from a shell::

    PYTHONPATH=tests python -c "import fuzzgen; fuzzgen.write_case('degenerate/chat/one-row', '/tmp/x')"

Families (``FuzzCase.family``):

``malformed``   records a careful user would never write: bad JSON, truncated lines, wrong types for
                role/content/messages, nested garbage, NaN/Infinity literals, huge numbers, null
                bytes, BOMs, terminal escapes, lone surrogates, empty message lists.
``encoding``    the same records as UTF-8, UTF-8 with BOM, UTF-16 with and without BOM, Latin-1,
                invalid bytes, CRLF and CR line ends.
``shape``       every supported record format (chat messages, ShareGPT, Alpaca, prompt/completion,
                preference, conversational preference, KTO, classification) in every container
                (JSONL, JSON array, CSV, Parquet).
``degenerate``  splits with nothing to learn from: 0, 1 and 2 rows; all rows identical; all texts
                empty; one-token texts; only non-Latin scripts; only numbers; a validation split
                identical to train; one label only.  Each is checked with validation, test,
                reference and benchmark files and a training config beside it, so that every rule
                runs on it.
``config``      training configs of every framework under ``ftlint/training/`` (HF/TRL, Axolotl,
                LLaMA-Factory, torchtune, OpenAI) whose values have the wrong type, a negative or
                huge number, a string for a number, a list or mapping for a scalar, null, NaN.

A case says what ``ftlint check`` must do with it (``FuzzCase.expect``): ``"data"`` — the input is
readable, exit 0 or 1 by ``--fail-on``; ``"unusable"`` — exit 2 with a one-line message;
``"either"`` — one of the two, whichever ftlint decides (a file that is half binary, say).
"""

from __future__ import annotations

import hashlib
import io
import json
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Record = Any  # a JSON value (normally an object)

FORMATS = ("chat", "sharegpt", "alpaca", "prompt_completion", "preference", "preference_messages", "kto",
           "classification")
CONTAINERS = ("jsonl", "json", "csv", "parquet")
FRAMEWORKS = ("axolotl", "trl", "hf", "llamafactory", "torchtune", "openai")

_WORDS = (
    "the model should answer each question about the recipe with a short clear list of steps and "
    "explain why every ingredient matters when baking bread at home on a cold morning while the oven "
    "heats slowly and the dough rises under a clean towel near the window before lunch time"
).split()
_TOPICS = ("bread", "tax forms", "python loops", "rose pruning", "bike repair", "chess openings", "tea",
           "knitting", "SQL joins", "bird songs", "tide tables", "violin strings")
_NON_LATIN = (
    "今天天气很好我们去公园散步吧", "机器学习需要大量的数据", "東京の春は桜がとても美しいです",
    "Привет как дела сегодня", "Машинное обучение требует данных", "مرحبا كيف حالك اليوم",
    "التعلم الآلي يحتاج إلى بيانات", "नमस्ते आप कैसे हैं", "안녕하세요 반갑습니다", "שלום מה שלומך היום",
    "Γειά σου κόσμε καλημέρα", "สวัสดีครับ ยินดีต้อนรับ",
)
#: what a malicious row may carry: terminal escapes (title, clipboard, clear screen), C1, DEL, bidi
HOSTILE_TEXTS = (
    "set title \x1b]0;PWNED\x07 now", "copy \x1b]52;c;ZWNobyBoaQ==\x07 this", "clear \x1b[2J\x1b[H screen",
    "c1 \x9b31m red \x85 next", "del \x7f char and bell \x07", "bidi \u202egnp.exe\u202c file",
    "nul \x00 byte inside", "carriage \r return and form \x0c feed",
)


# ------------------------------------------------------------------------------------------------
# The case type


@dataclass(frozen=True)
class FuzzCase:
    """One generated input: files under a folder and the ``ftlint check`` arguments that read them."""

    name: str
    family: str
    files: Mapping[str, bytes]
    #: arguments of ``ftlint check`` (paths relative to the case folder), without output options
    args: tuple[str, ...]
    #: "data" (exit 0/1), "unusable" (exit 2, one line) or "either"
    expect: str = "data"
    #: the case has a training config (``--config``)
    has_config: bool = False
    note: str = ""

    def write(self, root: Path) -> dict[str, str]:
        """Write the files under ``root``; return ``{relative path: sha256}`` of each."""
        hashes: dict[str, str] = {}
        for rel, data in self.files.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
            hashes[rel] = hashlib.sha256(data).hexdigest()
        return hashes

    def args_without(self, *options: str) -> tuple[str, ...]:
        """``args`` without the given options and their values (for commands that do not take them)."""
        out: list[str] = []
        skip = False
        for a in self.args:
            if skip:
                skip = False
            elif a in options:
                skip = True
            else:
                out.append(a)
        return tuple(out)


# ------------------------------------------------------------------------------------------------
# Text and records


class Texts:
    """Ordinary, varied prompts and replies from one seeded ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def sentence(self, lo: int = 6, hi: int = 16) -> str:
        words = [self.rng.choice(_WORDS) for _ in range(self.rng.randint(lo, hi))]
        return " ".join(words).capitalize() + self.rng.choice(".!.")

    def prompt(self, i: int) -> str:
        topic = _TOPICS[i % len(_TOPICS)]
        return f"Question {i} about {topic}: {self.sentence(5, 12)[:-1]}?"

    def reply(self, i: int) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(1, 3)))

    def triples(self, n: int, labels: Sequence[str] = ("pos", "neg", "neutral")) -> list[tuple[str, str, str]]:
        return [(self.prompt(i), self.reply(i), labels[self.rng.randrange(len(labels))]) for i in range(n)]


def record(fmt: str, prompt: str, reply: str, label: str = "pos", rejected: str | None = None) -> Record:
    """One record of format ``fmt`` from a prompt, a reply and a label (or a KTO/preference side)."""
    if rejected is None:
        rejected = (reply[::-1] + " no") if reply else ""
    if fmt == "chat":
        return {"messages": [{"role": "system", "content": "You are a helpful assistant."},
                             {"role": "user", "content": prompt}, {"role": "assistant", "content": reply}]}
    if fmt == "sharegpt":
        return {"conversations": [{"from": "human", "value": prompt}, {"from": "gpt", "value": reply}]}
    if fmt == "alpaca":
        return {"instruction": prompt, "input": "", "output": reply}
    if fmt == "prompt_completion":
        return {"prompt": prompt, "completion": reply}
    if fmt == "preference":
        return {"prompt": prompt, "chosen": reply, "rejected": rejected}
    if fmt == "preference_messages":
        user = {"role": "user", "content": prompt}
        return {"chosen": [user, {"role": "assistant", "content": reply}],
                "rejected": [user, {"role": "assistant", "content": rejected}]}
    if fmt == "kto":
        return {"prompt": prompt, "completion": reply, "label": label != "neg"}
    if fmt == "classification":
        return {"text": prompt + " " + reply if reply else prompt, "label": label}
    raise ValueError(f"unknown format {fmt!r}")


def records(fmt: str, triples: Iterable[tuple[str, str, str]]) -> list[Record]:
    return [record(fmt, p, r, lab) for p, r, lab in triples]


# ------------------------------------------------------------------------------------------------
# Containers


def _csv_value(v: Any) -> str:
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def to_jsonl(recs: Sequence[Record]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs).encode("utf-8", "surrogatepass")


def to_json(recs: Sequence[Record]) -> bytes:
    return json.dumps(list(recs), ensure_ascii=False, indent=1).encode("utf-8", "surrogatepass")


def to_csv(recs: Sequence[Record]) -> bytes:
    import csv

    cols: list[str] = []
    for r in recs:
        for k in (r if isinstance(r, dict) else {}):
            if k not in cols:
                cols.append(k)
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols or ["text"])
    for r in recs:
        w.writerow([_csv_value(r.get(c)) for c in cols] if isinstance(r, dict) else [_csv_value(r)])
    return buf.getvalue().encode("utf-8", "surrogatepass")


def to_parquet(recs: Sequence[Record]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if recs:
        table = pa.Table.from_pylist(list(recs))
    else:  # a schema with no rows
        table = pa.table({"prompt": pa.array([], pa.string()), "completion": pa.array([], pa.string())})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


SERIALISERS: dict[str, Callable[[Sequence[Record]], bytes]] = {
    "jsonl": to_jsonl, "json": to_json, "csv": to_csv, "parquet": to_parquet,
}


def serialise(recs: Sequence[Record], container: str) -> bytes:
    return SERIALISERS[container](recs)


# ------------------------------------------------------------------------------------------------
# Malformed records (JSONL lines, raw bytes)


def malformed_lines() -> dict[str, list[bytes]]:
    """Named lists of raw JSONL lines, each list mixing good and broken records."""
    good = [json.dumps(record("chat", f"Question {i} about tea?", f"Answer {i}: steep it for {i + 2} minutes."))
            .encode() for i in range(6)]
    bad: dict[str, list[bytes]] = {
        "bad-json": [b"{not json at all", b"[1, 2,", b"}{", b"'single': 'quotes'"],
        "truncated": [good[0][: len(good[0]) // 2], good[1][:-1], b'{"messages": [{"role": "user", "content": "hi'],
        "wrong-types": [
            b'{"messages": "hello"}', b'{"messages": 42}', b'{"messages": {"role": "user"}}',
            b'{"messages": [{"role": 7, "content": "x"}, {"role": "assistant", "content": "y"}]}',
            b'{"messages": [{"role": "user", "content": 12}, {"role": "assistant", "content": null}]}',
            b'{"messages": [{"role": ["user"], "content": "x"}, {"role": "assistant", "content": true}]}',
            b'{"messages": [null, 3, "text", []]}',
        ],
        "nested-garbage": [
            b'{"messages": [{"role": "user", "content": {"a": [1, {"b": [null, {"c": {}}]}]}}, '
            b'{"role": "assistant", "content": [{"type": "text", "text": {"x": 1}}]}]}',
            b'{"messages": [{"role": "user", "content": [{"type": "bogus"}, 5, null]}]}',
            b'{"messages": [{"role": "user", "content": "q", "tool_calls": "nope"}, '
            b'{"role": "assistant", "content": "a", "weight": "heavy"}], "tools": 5}',
            b"[" * 300 + b"]" * 300,
        ],
        "nan-infinity": [
            b'{"messages": [{"role": "user", "content": NaN}, {"role": "assistant", "content": "x"}]}',
            b'{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], '
            b'"score": Infinity}',
            b'{"messages": [], "score": -Infinity}',
        ],
        "huge-numbers": [
            b'{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], '
            b'"id": 123456789012345678901234567890123456789}',
            b'{"messages": [{"role": "user", "content": "q2"}, {"role": "assistant", "content": "a2"}], '
            b'"score": 1e400}',
            b'{"messages": [{"role": "user", "content": "q3"}, {"role": "assistant", "content": "a3"}], '
            b'"score": -1e-400, "weight": 1e308}',
        ],
        "null-bytes": [
            b'{"messages": [{"role": "user", "content": "nul \\u0000 escaped"}, '
            b'{"role": "assistant", "content": "ok"}]}',
        ],
        "boms": [b"\xef\xbb\xbf" + good[2], b"\xef\xbb\xbf" + good[3]],
        "hostile-text": [
            json.dumps(record("chat", t, f"reply to {t}")).encode() for t in HOSTILE_TEXTS
        ] + [json.dumps({"messages": [{"role": "user\x1b[31m", "content": "x"}], "na\x1bme": "k\x9bey"}).encode()]
        + [b'{"messages": "raw ' + t.encode() + b'"' for t in HOSTILE_TEXTS if "\x00" not in t]  # FT001 snippets
        + [json.dumps({"messages": [{"role": "user", "content": t}, {"role": "assistant", "content": ""}]}).encode()
           for t in HOSTILE_TEXTS[:3]]  # FT003 rows
        + [json.dumps({"messages": [{"role": "assistant", "content": t}, {"role": "assistant", "content": t}]})
           .encode() for t in HOSTILE_TEXTS[3:6]],  # FT004 rows
        "lone-surrogates": [
            b'{"messages": [{"role": "user", "content": "cut emoji \\ud83d"}, '
            b'{"role": "assistant", "content": "x"}]}',
            b'{"messages": [{"role": "user", "content": "raw \xed\xa0\x80 bytes"}, '
            b'{"role": "assistant", "content": "x"}]}',
        ],
        "empty-conversations": [
            b'{"messages": []}', b'{"messages": [{}]}', b"{}", b"null", b"[]", b'""', b"0",
            b'{"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": ""}]}',
        ],
        "duplicate-keys": [
            b'{"messages": "x", "messages": [{"role": "user", "content": "q"}, '
            b'{"role": "assistant", "content": "a"}]}',
        ],
        "long-line": [json.dumps(record("chat", "long " * 20000, "reply " * 20000)).encode()],
    }
    return {name: good[:3] + lines + good[3:] for name, lines in bad.items()}


def malformed_cases(rng: random.Random) -> list[FuzzCase]:
    out: list[FuzzCase] = []
    lines = malformed_lines()
    for name, ls in lines.items():
        data = b"\n".join(ls) + b"\n"
        out.append(FuzzCase(f"malformed/{name}/jsonl", "malformed", {"train.jsonl": data}, ("train.jsonl",)))
    # the same records inside a JSON array: one broken record stops the rest of the file (still data)
    out.append(FuzzCase("malformed/nan-infinity/json", "malformed",
                        {"train.json": b"[" + b",\n".join(lines["nan-infinity"]) + b"]"}, ("train.json",)))
    out.append(FuzzCase("malformed/wrong-types/json", "malformed",
                        {"train.json": b"[" + b",\n".join(lines["wrong-types"]) + b"]"}, ("train.json",)))
    out.append(FuzzCase("malformed/truncated/json", "malformed",
                        {"train.json": to_json(records("alpaca", Texts(rng).triples(8)))[:-40]}, ("train.json",)))
    out.append(FuzzCase("malformed/deep-nesting/json", "malformed",
                        {"train.json": b'[{"prompt": "a", "completion": "b"}, ' + b"[" * 50000 + b"]" * 50000
                         + b"]"}, ("train.json",)))
    out.append(FuzzCase("malformed/deep-nesting/jsonl", "malformed",
                        {"train.jsonl": b'{"prompt": "a", "completion": "b"}\n' + b"[" * 50000 + b"]" * 50000
                         + b"\n"}, ("train.jsonl",)))
    deep_value = b'{"prompt": "a", "completion": "b", "meta": ' + b'{"k": ' * 400 + b"1" + b"}" * 400 + b"}"
    out.append(FuzzCase("malformed/deep-value/json", "malformed",
                        {"train.json": b"[" + deep_value + b', {"prompt": "c", "completion": "d"}]'}, ("train.json",)))
    out.append(FuzzCase("malformed/deep-value/jsonl", "malformed",
                        {"train.jsonl": deep_value + b'\n{"prompt": "c", "completion": "d"}\n'}, ("train.jsonl",)))
    big = [{"text": f"row {i} about tea", "label": 10**30 + i % 2, "id": 10**40 + i, "score": -(10**25),
            "group": 2**64 + i % 3} for i in range(24)]
    out.append(FuzzCase("malformed/huge-ints/json", "malformed", {"train.json": to_json(big)},
                        ("train.json", "--sensitive", "group")))
    out.append(FuzzCase("malformed/scalars/json", "malformed", {"train.json": b'[1, "two", null, true, [3]]'},
                        ("train.json",), expect="either"))
    out.append(FuzzCase("malformed/top-level-scalar/json", "malformed", {"train.json": b"42"}, ("train.json",),
                        expect="either"))
    # a raw NUL byte: a text file with one binary byte, or a binary file
    out.append(FuzzCase("malformed/raw-nul/jsonl", "malformed",
                        {"train.jsonl": b'{"prompt": "a\x00b", "completion": "c"}\n'
                                        b'{"prompt": "d", "completion": "e"}\n'},
                        ("train.jsonl",), expect="either"))
    out.append(FuzzCase("malformed/raw-nul-late/jsonl", "malformed",
                        {"train.jsonl": to_jsonl(records("prompt_completion", Texts(rng).triples(120)))
                         + b'{"prompt": "a\x00b", "completion": "c"}\n'}, ("train.jsonl",), expect="either"))
    # CSV: ragged rows, a broken JSON column, quotes never closed, NaN strings
    csv_text = (
        "prompt,completion,label\n"
        "What is tea?,A drink.,pos\n"
        "ragged row,with,too,many,fields\n"
        "short\n"
        '"unclosed quote,never,ends\n'
        "NaN,Infinity,-Infinity\n"
        "1e400,-0,123456789012345678901234567890\n"
    )
    out.append(FuzzCase("malformed/ragged/csv", "malformed", {"train.csv": csv_text.encode()}, ("train.csv",)))
    out.append(FuzzCase("malformed/json-columns/csv", "malformed",
                        {"train.csv": b'messages,label\n"[{""role"": ""user""","x"\n"{not json",y\n'
                                      b'"[{""role"": 5, ""content"": []}]",z\n'}, ("train.csv",)))
    out.append(FuzzCase("malformed/header-only/csv", "malformed", {"train.csv": b"prompt,completion\n"},
                        ("train.csv",), expect="either"))
    # Parquet: wrong types in columns, nulls, a truncated file, a file that is not Parquet
    out.append(FuzzCase("malformed/types/parquet", "malformed",
                        {"train.parquet": to_parquet([{"messages": "not a list", "label": 1},
                                                      {"messages": None, "label": None},
                                                      {"messages": "[]", "label": 3}])},
                        ("train.parquet",)))
    out.append(FuzzCase("malformed/empty-messages/parquet", "malformed",
                        {"train.parquet": to_parquet([{"messages": []}, {"messages": []}])}, ("train.parquet",)))
    whole = to_parquet(records("prompt_completion", Texts(rng).triples(20)))
    out.append(FuzzCase("malformed/truncated/parquet", "malformed", {"train.parquet": whole[: len(whole) // 2]},
                        ("train.parquet",), expect="unusable"))
    # random bytes overwritten in valid files of every container (a disk error, a bad upload)
    for cont in CONTAINERS:
        clean = serialise(records("chat", Texts(random.Random(rng.random())).triples(30)), cont)
        for k in range(3):
            data = bytearray(clean)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            out.append(FuzzCase(f"malformed/bytes-overwritten/{cont}/{k}", "malformed", {f"train.{cont}": bytes(data)},
                                (f"train.{cont}",), expect="either"))
    out.append(FuzzCase("malformed/invalid-utf8-string-column/parquet", "malformed",
                        {"train.parquet": _parquet_with_invalid_utf8()}, ("train.parquet",), expect="unusable"))
    out.append(FuzzCase("malformed/not-parquet/parquet", "malformed", {"train.parquet": b"PAR1 but not really"},
                        ("train.parquet",), expect="unusable"))
    return out


def _parquet_with_invalid_utf8() -> bytes:
    """A Parquet file whose string column holds bytes that are not UTF-8 (pyarrow writes it unchecked)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    raw = pa.array([b"What is tea?", b"bad \xff\xfe bytes"], type=pa.binary())
    text = pa.Array.from_buffers(pa.string(), len(raw), raw.buffers())
    buf = io.BytesIO()
    pq.write_table(pa.table({"prompt": text, "completion": pa.array(["A drink.", "x"])}), buf)
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------
# Encodings


def encoding_cases(rng: random.Random) -> list[FuzzCase]:
    t = Texts(rng)
    base = [record("prompt_completion", f"Café question {i}: naïve façade?", f"Réponse {i}: {t.sentence()}")
            for i in range(12)]
    text = to_jsonl(base).decode("utf-8")
    json_text = to_json(base).decode("utf-8")
    csv_text = to_csv(base).decode("utf-8")
    variants: list[tuple[str, str, bytes, str]] = [
        ("utf-8", "jsonl", text.encode("utf-8"), "data"),
        ("utf-8-bom", "jsonl", b"\xef\xbb\xbf" + text.encode("utf-8"), "data"),
        ("utf-8-bom", "json", b"\xef\xbb\xbf" + json_text.encode("utf-8"), "data"),
        ("utf-8-bom", "csv", b"\xef\xbb\xbf" + csv_text.encode("utf-8"), "data"),
        ("utf-16-bom", "jsonl", text.encode("utf-16"), "unusable"),
        ("utf-16-le-no-bom", "jsonl", text.encode("utf-16-le"), "unusable"),
        ("utf-16-be-no-bom", "json", json_text.encode("utf-16-be"), "unusable"),
        ("utf-16-bom", "csv", csv_text.encode("utf-16"), "unusable"),
        ("latin-1", "jsonl", text.encode("latin-1"), "data"),
        ("latin-1", "json", json_text.encode("latin-1"), "data"),
        ("latin-1", "csv", csv_text.encode("latin-1"), "data"),
        ("cp1252-quotes", "jsonl", text.replace("naïve", "\u201cnaive\u201d").encode("cp1252"), "data"),
        ("invalid-bytes", "jsonl", text.encode() + b'{"prompt": "\xff\xfe\xc3", "completion": "\x80"}\n', "data"),
        ("invalid-bytes", "json", json_text.encode()[:-2] + b', {"prompt": "\xc3\x28", "completion": "x"}]',
         "data"),
        ("crlf", "jsonl", text.replace("\n", "\r\n").encode(), "data"),
        ("crlf", "json", json_text.replace("\n", "\r\n").encode(), "data"),
        ("crlf", "csv", csv_text.replace("\n", "\r\n").encode(), "data"),
        ("cr-only", "jsonl", text.replace("\n", "\r").encode(), "data"),
        ("mixed-line-ends", "jsonl", "".join(line + ("\r\n" if i % 2 else "\n") for i, line in
                                             enumerate(text.splitlines())).encode(), "data"),
    ]
    return [FuzzCase(f"encoding/{enc}/{cont}", "encoding", {f"train.{cont}": data}, (f"train.{cont}",), expect=exp)
            for enc, cont, data, exp in variants]


# ------------------------------------------------------------------------------------------------
# Shapes: every format in every container


def shape_cases(rng: random.Random, n: int = 30) -> list[FuzzCase]:
    out: list[FuzzCase] = []
    for fmt in FORMATS:
        for cont in CONTAINERS:
            t = Texts(random.Random(rng.random()))
            recs = records(fmt, t.triples(n))
            train = serialise(recs, cont)
            val = serialise(records(fmt, t.triples(8)), cont)
            out.append(FuzzCase(f"shape/{fmt}/{cont}", "shape",
                                {f"train.{cont}": train, f"val.{cont}": val},
                                (f"train.{cont}", "--validation", f"val.{cont}")))
    return out


# ------------------------------------------------------------------------------------------------
# Degenerate splits


def degenerate_splits(rng: random.Random, fmt: str = "chat") -> dict[str, tuple[list[Record], list[Record] | None]]:
    """Named degenerate splits of format ``fmt``: ``{name: (train records, validation records or None)}``.

    ``None`` validation means: use an ordinary small validation split."""
    t = Texts(rng)
    ok = t.triples(40)
    one = ok[0]
    out: dict[str, tuple[list[Record], list[Record] | None]] = {
        "zero-rows": ([], None),
        "one-row": (records(fmt, [one]), None),
        "two-rows": (records(fmt, ok[:2]), None),
        "identical-rows": (records(fmt, [one] * 30), None),
        "all-empty": (records(fmt, [("", "", lab) for _, _, lab in ok[:20]]), None),
        "one-token": (records(fmt, [(f"w{i % 3}", "ok", lab) for i, (_, _, lab) in enumerate(ok[:20])]), None),
        "same-token": (records(fmt, [("a", "a", "pos")] * 20), None),
        "non-latin": (records(fmt, [(_NON_LATIN[i % len(_NON_LATIN)], _NON_LATIN[(i * 5 + 3) % len(_NON_LATIN)],
                                     lab) for i, (_, _, lab) in enumerate(ok[:24])]), None),
        "numbers": (records(fmt, [(str(i * 7), str(i * 13 % 97), str(i % 3)) for i in range(24)]), None),
        "punctuation": (records(fmt, [("?!" * (i % 4 + 1), "..." * (i % 3 + 1), lab)
                                      for i, (_, _, lab) in enumerate(ok[:20])]), None),
        "one-label": (records(fmt, [(p, r, "pos") for p, r, _ in ok[:20]]), None),
        "validation-identical": (records(fmt, ok[:20]), records(fmt, ok[:20])),
        "validation-empty-texts": (records(fmt, ok[:20]), records(fmt, [("", "", "pos")] * 4)),
        "validation-zero-rows": (records(fmt, ok[:20]), []),
        "validation-one-row": (records(fmt, ok[:20]), records(fmt, ok[20:21])),
    }
    return out


#: ftlint settings that let every rule do its real work on a handful of rows (the defaults leave
#: the statistical rules silent below 20-200 rows)
LOW_THRESHOLDS = b"""\
[rules.too-few-per-class]
min-per-class = 1
[rules.degenerate-text]
outlier-min-rows = 2
min-chars = 1
[rules.likely-mislabeled]
min-rows = 2
min-per-class = 1
[rules.task-drift]
min-rows = 2
[rules.off-topic-examples]
min-rows = 2
[rules.split-drift]
min-rows = 2
[rules.language-mismatch]
min-rows = 2
min-chars = 1
[rules.group-underrepresented]
min-group-rows = 1
[rules.label-disparity]
min-group-rows = 1
[rules.demographic-term-skew]
min-terms = 1
[rules.unaudited-sensitive-content]
min-rows = 1
"""


def _bench_and_reference(t: Texts) -> tuple[bytes, bytes]:
    bench = to_jsonl([{"question": t.prompt(i), "answer": t.reply(i)} for i in range(5)])
    ref = to_jsonl([{"prompt": t.prompt(i + 100)} for i in range(30)])  # FT4xx need 20 rows a side
    return bench, ref


def _axolotl_config(train: str, val: str | None = None, base_model: str = "meta-llama/Llama-3.2-1B"
                    ) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "base_model": base_model, "datasets": [{"path": train, "type": "chat_template"}],
        "val_set_size": 0.1, "sequence_len": 2048, "sample_packing": False, "micro_batch_size": 2,
        "gradient_accumulation_steps": 4, "num_epochs": 3, "learning_rate": 0.0002, "lr_scheduler": "cosine",
        "warmup_ratio": 0.1, "weight_decay": 0.0, "adapter": "lora", "lora_r": 16, "lora_alpha": 32,
        "lora_dropout": 0.05, "lora_target_linear": True, "eval_steps": 10, "save_steps": 10,
        "early_stopping_patience": 3, "output_dir": "./out",
    }
    if val:
        cfg["test_datasets"] = [{"path": val, "type": "chat_template", "split": "train"}]
        del cfg["val_set_size"]
    return cfg


def degenerate_cases(rng: random.Random, formats: Sequence[str] = ("chat", "classification", "preference", "kto",
                                                                    "alpaca"),
                     base_model: str = "meta-llama/Llama-3.2-1B",
                     low_thresholds: Sequence[str] = ("classification", "kto", "alpaca")) -> list[FuzzCase]:
    """Every degenerate split, in several formats, with every other input beside it so every rule
    runs: validation and test splits (24 rows: FT403 needs 20), a reference sample, a benchmark
    file, a training config naming ``base_model`` (a local model folder makes the tokenizer rules
    run), a sensitive column.  The formats in ``low_thresholds`` are checked with the settings
    :data:`LOW_THRESHOLDS`, so the statistical rules model the few rows instead of stepping aside."""
    out: list[FuzzCase] = []
    for fmt in formats:
        t = Texts(random.Random(rng.random()))
        normal_val = records(fmt, t.triples(24))
        bench, ref = _bench_and_reference(t)
        for name, (train, val) in degenerate_splits(random.Random(rng.random()), fmt).items():
            val = normal_val if val is None else val
            for i, r in enumerate(train):  # a sensitive attribute column for FT5xx
                if isinstance(r, dict):
                    r["group"] = ("a", "b")[i % 2]
            files = {
                "train.jsonl": to_jsonl(train), "val.jsonl": to_jsonl(val), "test.jsonl": to_jsonl(val[:3]),
                "ref.jsonl": ref, "bench.jsonl": bench,
                "train.yaml": yaml.safe_dump(_axolotl_config("train.jsonl", "val.jsonl", base_model),
                                             sort_keys=False).encode(),
            }
            args: tuple[str, ...] = (
                "train.jsonl", "--validation", "val.jsonl", "--test", "test.jsonl", "--reference", "ref.jsonl",
                "--contamination", "bench.jsonl", "--config", "train.yaml", "--sensitive", "group")
            note = ""
            if fmt in low_thresholds:
                files["fuzz-settings.toml"] = LOW_THRESHOLDS
                args += ("--settings", "fuzz-settings.toml")
                note = "low rule thresholds"
            out.append(FuzzCase(f"degenerate/{fmt}/{name}", "degenerate", files, args, has_config=True, note=note))
    # the degenerate shapes in the other containers, with the file alone
    for cont in ("json", "csv", "parquet"):
        for name in ("zero-rows", "one-row", "all-empty", "non-latin", "numbers"):
            train, _ = degenerate_splits(random.Random(rng.random()), "prompt_completion")[name]
            out.append(FuzzCase(f"degenerate/prompt_completion/{name}/{cont}", "degenerate",
                                {f"train.{cont}": serialise(train, cont)}, (f"train.{cont}",)))
    out.append(FuzzCase("degenerate/whitespace-only/jsonl", "degenerate", {"train.jsonl": b"\n \n\t\n\r\n"},
                        ("train.jsonl",)))
    out.append(FuzzCase("degenerate/empty-file/json", "degenerate", {"train.json": b""}, ("train.json",)))
    out.append(FuzzCase("degenerate/empty-array/json", "degenerate", {"train.json": b"[]"}, ("train.json",)))
    return out


# ------------------------------------------------------------------------------------------------
# Training configs with bad values


#: values a config key should never hold (or holds only by mistake)
BAD_VALUES: tuple[Any, ...] = (
    "abc", "three", "", "1e-4", "-5", "0x10", "auto", "yes", -5, -1, 0, -0.5, 1e30, 10**30, float("nan"),
    float("inf"), -float("inf"), [1, 2], [], ["a", None], {"a": 1}, {}, None, True, False, 0.5, 3.7,
)


def base_configs(train: str = "train.jsonl", val: str = "val.jsonl"
                 ) -> dict[str, tuple[str, dict[str, Any], dict[str, bytes]]]:
    """``{framework: (config file name, config, extra files)}``: small valid configs naming ``train``/``val``."""
    lf_info = json.dumps({"mytrain": {"file_name": f"../{train}"}, "myval": {"file_name": f"../{val}"}}).encode()
    return {
        "axolotl": ("train.yaml", _axolotl_config(train, val), {}),
        "trl": ("sft.yaml", {
            "model_name_or_path": "Qwen/Qwen2.5-0.5B", "datasets": [{"path": "json", "data_files": [train]}],
            "dataset_text_field": "text", "max_length": 1024, "packing": False, "learning_rate": 2e-5,
            "num_train_epochs": 3, "per_device_train_batch_size": 4, "gradient_accumulation_steps": 2,
            "eval_strategy": "steps", "eval_steps": 50, "save_strategy": "steps", "save_steps": 50,
            "load_best_model_at_end": True, "metric_for_best_model": "eval_loss", "warmup_ratio": 0.1,
            "lr_scheduler_type": "cosine", "logging_steps": 10, "use_peft": True, "lora_r": 16, "lora_alpha": 32,
            "output_dir": "out",
        }, {}),
        "hf": ("args.json", {
            "model_name_or_path": "gpt2", "train_file": train, "validation_file": val, "do_train": True,
            "do_eval": True, "num_train_epochs": 3, "per_device_train_batch_size": 8, "learning_rate": 5e-5,
            "max_seq_length": 512, "eval_strategy": "epoch", "save_strategy": "epoch", "output_dir": "out",
        }, {}),
        "llamafactory": ("lf.yaml", {
            "model_name_or_path": "Qwen/Qwen2.5-0.5B-Instruct", "stage": "sft", "do_train": True,
            "finetuning_type": "lora", "lora_rank": 8, "lora_alpha": 16, "lora_target": "all",
            "dataset": "mytrain", "eval_dataset": "myval", "dataset_dir": "data", "template": "qwen",
            "cutoff_len": 1024, "per_device_train_batch_size": 2, "gradient_accumulation_steps": 4,
            "learning_rate": 1e-4, "num_train_epochs": 3.0, "lr_scheduler_type": "cosine", "warmup_ratio": 0.1,
            "eval_strategy": "steps", "eval_steps": 100, "save_steps": 100, "output_dir": "saves/x",
        }, {"data/dataset_info.json": lf_info}),
        "torchtune": ("tt.yaml", {
            "output_dir": "/tmp/tt",
            "model": {"_component_": "torchtune.models.llama3_2.lora_llama3_2_1b", "lora_attn_modules": ["q_proj"],
                      "lora_rank": 8, "lora_alpha": 16, "lora_dropout": 0.0},
            "tokenizer": {"_component_": "torchtune.models.llama3.llama3_tokenizer", "path": "/tmp/tok.model",
                          "max_seq_len": 1024},
            "dataset": {"_component_": "torchtune.datasets.instruct_dataset", "source": "json",
                        "data_files": train, "split": "train"},
            "dataset_val": {"_component_": "torchtune.datasets.instruct_dataset", "source": "json",
                            "data_files": val, "split": "train"},
            "batch_size": 4, "batch_size_val": 4, "epochs": 2, "gradient_accumulation_steps": 2,
            "max_steps_per_epoch": None, "run_val_every_n_steps": 50,
            "optimizer": {"_component_": "torch.optim.AdamW", "lr": 3e-4, "weight_decay": 0.01},
            "lr_scheduler": {"_component_": "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup",
                             "num_warmup_steps": 10},
            "loss": {"_component_": "torchtune.modules.loss.LinearCrossEntropyLoss"},
        }, {}),
        "openai": ("job.json", {
            "model": "gpt-4o-mini-2024-07-18", "training_file": train, "validation_file": val,
            "method": {"type": "supervised", "supervised": {"hyperparameters": {
                "n_epochs": 3, "batch_size": "auto", "learning_rate_multiplier": 1.8}}},
        }, {}),
    }


def _scalar_paths(value: Any, prefix: str = "") -> list[str]:
    """Dotted key paths (with ``[i]``) of every value in a config, containers included."""
    out: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            path = f"{prefix}.{k}" if prefix else str(k)
            out.append(path)
            out.extend(_scalar_paths(v, path))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            path = f"{prefix}[{i}]"
            out.append(path)
            out.extend(_scalar_paths(v, path))
    return out


def _set_path(cfg: Any, path: str, value: Any) -> None:
    import re

    parts: list[str | int] = []
    for piece in path.split("."):
        m = re.match(r"^([^\[]*)((?:\[\d+\])*)$", piece)
        assert m
        if m.group(1):
            parts.append(m.group(1))
        parts.extend(int(x) for x in re.findall(r"\[(\d+)\]", m.group(2)))
    node = cfg
    for p in parts[:-1]:
        node = node[p]
    node[parts[-1]] = value


def dump_config(name: str, cfg: Mapping[str, Any]) -> bytes:
    if name.endswith(".json"):
        return json.dumps(cfg, indent=2).encode()  # NaN / Infinity literals, as Python writes them
    return yaml.safe_dump(dict(cfg), sort_keys=False, allow_unicode=True).encode()


def config_cases(rng: random.Random, per_framework: int = 6, keys_per_case: int = 5) -> list[FuzzCase]:
    """Each framework's base config, then ``per_framework`` mutants with ``keys_per_case`` keys set
    to bad values (plus one mutant per framework where every scalar is a string)."""
    import copy

    t = Texts(rng)
    train = to_jsonl(records("chat", t.triples(24)))
    val = to_jsonl(records("chat", t.triples(6)))
    out: list[FuzzCase] = []
    for fw, (cname, cfg, extra) in base_configs().items():
        files = {"train.jsonl": train, "val.jsonl": val, **extra}
        out.append(FuzzCase(f"config/{fw}/base", "config", {**files, cname: dump_config(cname, cfg)},
                            ("--config", cname), has_config=True))
        paths = _scalar_paths(cfg)
        for k in range(per_framework):
            mutant = copy.deepcopy(cfg)
            chosen = rng.sample(paths, min(keys_per_case, len(paths)))
            done: list[str] = []
            for p in sorted(chosen, key=len, reverse=True):  # leaves first: a parent may be replaced
                try:
                    _set_path(mutant, p, rng.choice(BAD_VALUES))
                except (KeyError, IndexError, TypeError):
                    continue  # a parent was replaced by a scalar already
                done.append(p)
            out.append(FuzzCase(f"config/{fw}/mutant-{k}", "config", {**files, cname: dump_config(cname, mutant)},
                                ("--config", cname), expect="either", has_config=True,
                                note="bad values at " + ", ".join(sorted(done))))
        strings = copy.deepcopy(cfg)
        for p in _scalar_paths(cfg):
            try:
                node_value = _get_path(strings, p)
            except (KeyError, IndexError, TypeError):
                continue
            if isinstance(node_value, (int, float)) and not isinstance(node_value, bool):
                _set_path(strings, p, str(node_value))
        out.append(FuzzCase(f"config/{fw}/numbers-as-strings", "config",
                            {**files, cname: dump_config(cname, strings)}, ("--config", cname), expect="either",
                            has_config=True))
        # read by the wrong adapter (`--framework` names another one)
        other = FRAMEWORKS[(FRAMEWORKS.index(fw) + 1 + rng.randrange(len(FRAMEWORKS) - 1)) % len(FRAMEWORKS)]
        out.append(FuzzCase(f"config/{fw}/as-{other}", "config", {**files, cname: dump_config(cname, cfg)},
                            ("--config", cname, "--framework", other), expect="either", has_config=True))
    # configs that are not configs
    for label, text in (("empty", b""), ("list", b"- a\n- b\n"), ("scalar", b"42\n"), ("bad-yaml", b"a: [1, 2\nb: }"),
                        ("tabs", b"a:\n\t- b\n"), ("binary", b"\x00\x01\x02\xff"),
                        ("python-tag", b"base_model: !!python/object/apply:os.system ['echo hi']\n"),
                        ("anchors", b"a: &x [*x]\n"), ("billion", b"a: &a [1,1,1]\nb: &b [*a,*a,*a]\nc: [*b,*b,*b]\n"),
                        ("nan-keys", b"base_model: m\n.nan: 1\n? [1, 2]\n: x\nnum_epochs: .inf\n"),
                        ("deep-yaml", b"base_model: m\ndatasets: " + b"[" * 5000 + b"]" * 5000 + b"\n")):
        out.append(FuzzCase(f"config/not-a-config/{label}", "config",
                            {"train.jsonl": train, "train.yaml": text}, ("train.jsonl", "--config", "train.yaml"),
                            expect="either", has_config=True))
    out.append(FuzzCase("config/not-a-config/deep-json", "config",
                        {"train.jsonl": train, "job.json": b'{"model": "m", "training_file": "train.jsonl", "x": '
                         + b"[" * 5000 + b"]" * 5000 + b"}"}, ("train.jsonl", "--config", "job.json"),
                        expect="either", has_config=True))
    return out


def _get_path(cfg: Any, path: str) -> Any:
    import re

    node = cfg
    for piece in path.split("."):
        m = re.match(r"^([^\[]*)((?:\[\d+\])*)$", piece)
        assert m
        if m.group(1):
            node = node[m.group(1)]
        for idx in re.findall(r"\[(\d+)\]", m.group(2)):
            node = node[int(idx)]
    return node


# ------------------------------------------------------------------------------------------------
# All cases, a deterministic subset


def all_cases(seed: int = 0, base_model: str = "meta-llama/Llama-3.2-1B") -> list[FuzzCase]:
    """Every case of every family, from ``seed`` (same seed, same bytes); the degenerate cases'
    training config names ``base_model``."""
    rng = random.Random(seed)
    return [*malformed_cases(random.Random(rng.random())), *encoding_cases(random.Random(rng.random())),
            *shape_cases(random.Random(rng.random())),
            *degenerate_cases(random.Random(rng.random()), base_model=base_model),
            *config_cases(random.Random(rng.random()))]


def cases_by_name(seed: int = 0, base_model: str = "meta-llama/Llama-3.2-1B") -> dict[str, FuzzCase]:
    return {c.name: c for c in all_cases(seed, base_model)}


def write_case(name: str, root: str | Path, seed: int = 0, base_model: str = "meta-llama/Llama-3.2-1B") -> FuzzCase:
    """Write the case ``name`` under ``root`` (to reproduce a failure by hand)."""
    case = cases_by_name(seed, base_model)[name]
    case.write(Path(root))
    return case


def subset(cases: Sequence[FuzzCase], n: int, seed: int = 0, always: Iterable[str] = ()) -> list[FuzzCase]:
    """A deterministic subset of at most ``n`` cases: the ``always`` names, then round-robin over the
    families (so each family is represented), each family's order shuffled by ``seed``."""
    by_family: dict[str, list[FuzzCase]] = {}
    for c in cases:
        by_family.setdefault(c.family, []).append(c)
    rng = random.Random(seed)
    for fam in sorted(by_family):
        rng.shuffle(by_family[fam])
    keep = set(always)
    chosen = [c for c in cases if c.name in keep]
    queues = [by_family[f] for f in sorted(by_family)]
    while len(chosen) < n and any(queues):
        for q in queues:
            while q and q[0].name in keep:
                q.pop(0)
            if q and len(chosen) < n:
                c = q.pop(0)
                chosen.append(c)
                keep.add(c.name)
    return chosen


__all__ = ["BAD_VALUES", "CONTAINERS", "FORMATS", "FRAMEWORKS", "FuzzCase", "HOSTILE_TEXTS", "Texts", "all_cases",
           "base_configs", "cases_by_name", "config_cases", "degenerate_cases", "degenerate_splits", "encoding_cases",
           "malformed_cases", "malformed_lines", "record", "records", "serialise", "shape_cases", "subset",
           "write_case"]
