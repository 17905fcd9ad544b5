"""FT0xx: inputs and format."""

from __future__ import annotations

import shlex
from collections import defaultdict
from collections.abc import Iterator
from pathlib import PurePath

from ftlint.chartspec import bars
from ftlint.context import Context
from ftlint.data.load import ICONV_NAMES, encoding_of
from ftlint.data.schema import (
    ASSISTANT,
    FORMATS_BY_NAME,
    ROLE_NAMES,
    SYSTEM,
    TOOL,
    UNKNOWN,
    USER,
)
from ftlint.grammar import plural, with_article
from ftlint.model import Finding, Location, RowAt, Severity
from ftlint.remedies import DropRows, row_refs
from ftlint.rule import Need, Rule

SHOW = 5
#: what ``ftlint fix`` lists for the rows FT001 and FT002 drop (counted together)
DROP_UNREADABLE = ("drop unreadable",
                   "unreadable records and records that do not match the file's format (FT001, FT002)")


def _verb(n: int, many: str, one: str) -> str:
    return one if n == 1 else many


class UnreadableRecord(Rule):
    """Records that cannot be read: broken JSON, a CSV row with the wrong number of fields, a line
    that is not valid UTF-8.

    ## What it does
    Reports every record of a readable dataset file that could not be parsed, with its line
    number. The rest of the file is still read and checked. When records are not UTF-8, the
    finding says which encoding the bytes look like (Latin-1, Windows-1252) and gives the
    `iconv` command that converts the file. A compressed file that ends early (a truncated
    `train.jsonl.gz`) is read up to where its data stops, and the rest is one unreadable record
    at the last good line (its line number as in the uncompressed file). Files of a given
    directory that look like data but were skipped (a `train.jsonl.zip`, which ftlint does not
    decompress, a symlink loop or a broken symlink) are reported too, one finding each: their data
    was not checked.

    ## Why it matters
    Trainers either crash on the first broken record (after the GPUs are allocated) or skip it
    silently; either way the data you trained on is not the data you reviewed.

    ## Example
    A JSONL line cut short by an interrupted export:
    ```
    {"messages": [{"role": "user", "content": "Hi"}, {"role": "assis
    ```

    ## How to fix
    Repair or delete the reported lines; re-export the file with a JSON library rather than by
    string concatenation, and save it as UTF-8.
    """

    code = "FT001"
    name = "unreadable-record"
    summary = "Records that cannot be parsed (broken JSON, bad CSV rows, invalid UTF-8)"
    severity = Severity.ERROR
    remedies = (DropRows,)
    requires = frozenset({Need.DATASET})

    def check(self, ctx: Context) -> Iterator[Finding]:
        for split in ctx.splits:
            ds = ctx.dataset(split)
            by_file: dict[int, list[RowAt]] = defaultdict(list)
            for k, m in enumerate(ds.malformed):
                by_file[m.file_id].append(RowAt(split, k, extra={"reason": m.reason}, malformed=True))
            for fid, rows in by_file.items():
                f = ds.files[fid]
                first = ds.malformed[rows[0].position]
                at = f"line {first.line}" if first.line else f"record {first.index + 1}"
                message = (f"{plural(len(rows), 'record')} of {f.path} cannot be read"
                           f" (first at {at}: {first.reason})")
                fix = "Repair or remove the reported records; each row below says what is wrong with it."
                undecodable, encoding = encoding_of(r.extra["reason"] for r in rows)
                if undecodable:
                    out = shlex.quote(_utf8_name(f.path))
                    if encoding is not None:
                        message += (f"; {plural(undecodable, 'record')} {_verb(undecodable, 'are', 'is')} not UTF-8 "
                                    f"and the file looks like {encoding}")
                        fix = (f"Convert the file to UTF-8: `iconv -f {ICONV_NAMES[encoding]} -t UTF-8 "
                               f"{shlex.quote(f.path)} > {out}` (check a few converted rows), then use the "
                               f"converted file. {fix}")
                    else:
                        message += f"; {plural(undecodable, 'record')} {_verb(undecodable, 'are', 'is')} not UTF-8"
                        fix = (f"Find the file's encoding (`file -i {shlex.quote(f.path)}`) and convert it to UTF-8: "
                               f"`iconv -f <encoding> -t UTF-8 {shlex.quote(f.path)} > {out}`. {fix}")
                yield self.finding(message, fix, rows=rows, total=max(f.records, 1), split=split,
                                   metrics={"not_utf8": undecodable, "encoding": encoding} if undecodable else None,
                                   remedies=[DropRows(row_refs(rows, ctx), *DROP_UNREADABLE)])
        for path, reason in ctx.skipped_inputs:
            yield self.finding(
                f"{path} was skipped: {reason}",
                "Make the file readable (decompress it, or fix the link) and run ftlint again: the data in it "
                "was not checked.",
                location=Location(path=path, line=None, key="skipped"), affected=1, total=1,
                metrics={"skipped": path, "reason": reason},
            )


def _utf8_name(path: str) -> str:
    """``data/train.jsonl`` -> ``data/train.utf8.jsonl``: where the converted copy goes."""
    p = PurePath(path)
    return str(p.with_name(f"{p.stem}.utf8{p.suffix}"))


class SchemaMismatch(Rule):
    """Records that do not match the file's detected format.

    ## What it does
    Checks every record against the format detected for its file (OpenAI chat, ShareGPT, Alpaca,
    preference, KTO, classification, ...): required keys present, values of the right type
    (message content a string or a list of typed parts, `tool_calls` a list, `weight` 0 or 1,
    `tools` a list or a JSON string).

    ## Why it matters
    A record with a missing key or a wrong type makes the trainer's data collator raise halfway
    through a run, or is dropped without a word, so the model never sees it.

    ## Example
    ```
    {"messages": [{"role": "user", "content": {"text": "hi"}}, {"role": "assistant", "content": "Hello"}]}
    ```
    `content` is an object, not a string or a list of typed parts.

    ## How to fix
    Bring the reported records to the format of the rest of the file. If ftlint detected the
    wrong format, set `[dataset] format = "..."` or map your columns with `[dataset.columns]`.
    """

    code = "FT002"
    name = "schema-mismatch"
    summary = "Records that do not match the file's detected format"
    severity = Severity.ERROR
    remedies = (DropRows,)

    def check(self, ctx: Context) -> Iterator[Finding]:
        for split in ctx.splits:
            ds = ctx.dataset(split)
            per_file: dict[int, list[RowAt]] = defaultdict(list)
            kinds: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for i, issues in sorted(ds.issues.items()):
                relevant = [x for x in issues if x.kind != "unknown-role"]  # unknown roles are FT004's
                if not relevant:
                    continue
                fid = int(ds.file_id[i])
                per_file[fid].append(RowAt(split, i, extra={"problems": [x.detail for x in relevant]}))
                for x in relevant:
                    kinds[fid][x.kind] += 1
            for fid, rows in per_file.items():
                f = ds.files[fid]
                fmt = FORMATS_BY_NAME.get(f.format)
                yield self.finding(
                    f"{plural(len(rows), 'record')} of {f.path} {_verb(len(rows), 'do', 'does')} not match its format "
                    f"'{f.format}'" + (f" ({fmt.description})" if fmt else ""),
                    "Fix the reported records (each row lists its problems). If the format was detected "
                    "wrongly, set [dataset] format = \"...\" or map columns with [dataset.columns].",
                    rows=rows, total=max(f.records, 1), split=split,
                    metrics={"by_kind": dict(kinds[fid]), "format": f.format},
                    charts=bars("by kind", {split: kinds[fid]}),
                    remedies=[DropRows(row_refs(rows, ctx), *DROP_UNREADABLE)],
                )


#: the key that holds a chat format's turns (what an empty conversation has empty)
_TURNS_KEY = {"openai_chat": "messages", "sharegpt": "conversations", "kto": "messages"}


class EmptyField(Rule):
    """Empty or whitespace-only prompts, responses, message contents or preference sides, and
    conversations with no turns at all.

    ## What it does
    Flags rows where a turn's text, the prompt, the response, or either side of a preference pair
    is empty or only whitespace, and conversations whose list of turns is empty
    (`{"messages": []}`). Assistant turns that only carry tool calls are not empty.

    ## Why it matters
    An empty response teaches the model to answer with nothing (or with the end-of-turn token
    straight away); an empty prompt teaches it to answer questions nobody asked.

    ## Example
    ```
    {"conversations": [{"from": "human", "value": "how could i..."}, {"from": "gpt", "value": ""}]}
    ```

    ## How to fix
    Fill in or drop the reported rows.
    """

    code = "FT003"
    name = "empty-field"
    summary = "Empty or whitespace-only prompts, responses, turns, preference sides or conversations"
    severity = Severity.ERROR
    remedies = (DropRows,)

    def check(self, ctx: Context) -> Iterator[Finding]:
        for split in ctx.splits:
            ds = ctx.dataset(split)
            rows: list[RowAt] = []
            where_counts: dict[str, int] = defaultdict(int)
            for i in range(len(ds)):
                roles, texts = ds.roles[i], ds.texts[i]
                if any(x.kind in ("wrong-type", "missing-key") for x in ds.issues.get(i, ())):
                    continue  # a value of the wrong type or a missing key is FT002's, not an empty field
                if not roles:  # a conversation with no turns at all: {"messages": []}
                    key = _TURNS_KEY.get(ds.format_of(i), "record")
                    where_counts["conversation"] += 1
                    rows.append(RowAt(split, i, extra={"empty": [f"the conversation ('{key}' is [])"]}))
                    continue
                empty = [f"{ROLE_NAMES.get(r, r)} turn {k + 1}" for k, (r, t) in enumerate(zip(roles, texts))
                         if not t.strip()]
                kind = ds.kind_of(i)
                if kind == "preference":
                    if (rejected := ds.rejected[i]) is not None and not rejected.strip():
                        empty.append("rejected side")
                    if empty and empty[-1].startswith("assistant turn") and int(empty[-1].split()[-1]) == len(roles):
                        empty[-1] = "chosen side"
                elif kind in ("instruction", "classification", "kto") and len(roles) <= 3:
                    empty = [e.replace(f"user turn {len(roles) - 1 if kind != 'classification' else 1}", "prompt")
                             .replace(f"assistant turn {len(roles)}", "response") for e in empty]
                if empty:
                    for e in empty:
                        where_counts[e.split(" turn")[0]] += 1
                    rows.append(RowAt(split, i, extra={"empty": empty}))
            if rows:
                yield self.finding(
                    f"{plural(len(rows), 'row')} of the {split} split {_verb(len(rows), 'have', 'has')} empty fields "
                    f"({', '.join(rows[0].extra['empty'])} in the first)",
                    "Fill in or remove these rows (every one is in the JSON report's rows).",
                    rows=rows, total=len(ds), split=split, metrics={"by_field": dict(where_counts)},
                    charts=bars("by field", {split: where_counts}),
                    remedies=[DropRows(row_refs(rows, ctx), "drop empty", "rows with empty fields (FT003)")],
                )


class ChatStructure(Rule):
    """Conversations whose turn structure a trainer will reject or learn the wrong thing from.

    ## What it does
    Checks the roles of each conversation: unknown roles, no assistant turn, a supervised
    conversation that does not end with an assistant turn (a preference prompt ends on the user
    turn by design), a system message that is not first, and two consecutive turns on the same
    side where the format forbids it (ShareGPT). A conversation with no user turn is reported as
    a separate warning.

    ## Why it matters
    Trainers compute the loss on assistant turns: a conversation without one trains on nothing,
    one that ends with a user turn trains the model to stop mid-dialogue, and LLaMA-Factory drops
    ShareGPT conversations whose turns do not alternate.

    ## Example
    ```
    {"messages": [{"role": "system", "content": "..."}, {"role": "assistant", "content": "..."}]}
    ```
    (no user turn: the model learns to talk without being asked)

    ## How to fix
    Repair the reported conversations: rename unknown roles, move the system message first, merge
    consecutive turns of the same side, and end every supervised example with the assistant's reply.
    """

    code = "FT004"
    name = "chat-structure"
    summary = "Conversations with unknown roles, no assistant turn, wrong order or no user turn"
    severity = Severity.ERROR

    def check(self, ctx: Context) -> Iterator[Finding]:
        for split in ctx.splits:
            ds = ctx.dataset(split)
            errors: list[RowAt] = []
            no_user: list[RowAt] = []
            problem_counts: dict[str, int] = defaultdict(int)
            for i in range(len(ds)):
                roles = ds.roles[i]
                if not roles:
                    continue
                fmt = FORMATS_BY_NAME.get(ds.format_of(i))
                if fmt is None or fmt.kind in ("classification", "text"):
                    continue
                problems: list[str] = []
                if UNKNOWN in roles:
                    unknown = [x.detail for x in ds.issues.get(i, ()) if x.kind == "unknown-role"]
                    if unknown:  # a role that is missing or not a string is FT002's (the record's shape)
                        problems.append(unknown[0])
                if ASSISTANT not in roles:
                    problems.append("no assistant turn")
                elif fmt.kind == "preference":
                    prompt_roles = roles[:-1]
                    if prompt_roles and prompt_roles.rstrip(SYSTEM)[-1:] not in (USER, TOOL):
                        problems.append("the preference prompt does not end with a user turn")
                elif roles[-1] != ASSISTANT:
                    last = with_article(ROLE_NAMES.get(roles[-1], roles[-1]))
                    problems.append(f"ends with {last} turn, not the assistant's")
                if SYSTEM in roles[1:]:
                    problems.append(f"system message at turn {roles.index(SYSTEM, 1) + 1}, not first")
                if fmt.strict_alternation:
                    body = roles.lstrip(SYSTEM)
                    sides = ["a" if r == ASSISTANT else "u" for r in body if r != SYSTEM]
                    for k in range(1, len(sides)):
                        if sides[k] == sides[k - 1]:
                            who = "assistant" if sides[k] == "a" else "user/tool"
                            problems.append(f"two consecutive {who} turns ({k} and {k + 1} after the system "
                                            f"message), which {fmt.name} does not allow")
                            break
                if problems:
                    for p in problems:
                        problem_counts[p.split(" (")[0].split(" at turn")[0]] += 1
                    errors.append(RowAt(split, i, extra={"problems": problems},
                                          text=f"[{' > '.join(ROLE_NAMES.get(r, r) for r in roles)}] "
                                               + ds.full_text(i)))
                elif USER not in roles and UNKNOWN not in roles and fmt.kind in ("chat", "kto"):
                    no_user.append(RowAt(split, i, extra={"problems": ["no user turn"]}))
            if errors:
                yield self.finding(
                    f"{plural(len(errors), 'conversation')} in the {split} split "
                    f"{_verb(len(errors), 'have', 'has')} a broken structure "
                    f"({errors[0].extra['problems'][0]} in the first)",
                    "Repair the turn order of the reported conversations: known roles only, system first, "
                    "alternating user and assistant turns, ending with the assistant's reply.",
                    rows=errors, total=len(ds), split=split, metrics={"by_problem": dict(problem_counts)},
                    charts=bars("by problem", {split: problem_counts}),
                )
            if no_user:
                f = self.finding(
                    f"{plural(len(no_user), 'conversation')} in the {split} split "
                    f"{_verb(len(no_user), 'have', 'has')} no user turn",
                    "Add the user message the assistant is answering, or drop these rows; a model trained "
                    "on them learns to speak unprompted.",
                    rows=no_user, total=len(ds), split=split,
                )
                f.severity = Severity.WARNING
                yield f
