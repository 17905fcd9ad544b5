"""Seeded generator of realistic chat fine-tuning data with planted duplicates and leakage.

Writes, under ``--out``:

- ``train.jsonl``: OpenAI chat records ``{"messages": [system, user, assistant]}``, 50-400 words
  of user + assistant text per record (uniform), words drawn from a Zipf-Mandelbrot distribution
  (s = 1.07, q = 2.7) over a vocabulary of pseudo-words, with sentence punctuation, capitals
  and paragraph breaks; a dozen shared system prompts and 20 shared instruction openings (40%
  of user turns) make unrelated records overlap the way real datasets do.
- planted in train: ~2% exact duplicates of other rows (half byte-identical, half differing
  only in case and whitespace) and ~5% near-duplicates (0.5-3% of the user + assistant words
  substituted, inserted or deleted);
- ``validation.jsonl`` (with ``--validation-rows N``): fresh records plus planted leakage,
  ~5% exact copies of train rows (half case/whitespace variants) and ~5% near copies;
- ``ground_truth.json``: every planted pair as 0-based row indices, ``[source, copy, kind]``.

With ``--kind classification``: ``{"text", "label", "gender"}`` rows instead (see
:func:`generate_classification`), for the label (FT006, FT102, FT103, FT3xx) and fairness (FT5xx,
with ``--sensitive gender``) rules. They are always streamed (only a ring of recent rows is held),
so ``--stream`` makes no difference to them: the same seed gives the same files either way.

Usage: ``python benchmarks/gen_data.py --rows 100000 --out DIR [--seed 0] [--validation-rows N] [--stream]
[--kind chat|classification]``

``--stream`` (:func:`generate_stream`) writes rows as they are made, holding only a uniform
reservoir of 20,000 earlier rows to copy from (planted copies spread over the whole file, as after a
shuffle): memory stays flat, so 10M rows (~13 GB) fit on a small machine. Its files differ from the
default mode's for the same seed (the default mode keeps every row and shuffles once).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

EXACT_SHARE = 0.02
NEAR_SHARE = 0.05
LEAK_EXACT_SHARE = 0.05
LEAK_NEAR_SHARE = 0.05
ZIPF_S = 1.07
ZIPF_Q = 2.7

_ONSETS = ("", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "qu", "r", "s", "t", "v",
           "w", "z", "br", "ch", "cl", "dr", "fl", "gr", "pl", "pr", "sh", "sk", "st", "str", "th", "tr")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "ee", "io", "ou", "y")
_CODAS = ("", "", "", "n", "r", "s", "t", "l", "m", "nd", "ng", "rk", "st", "x")


Turn = tuple[npt.NDArray[np.int64], npt.NDArray[np.object_]]  # word ids, separator after each


@dataclass
class Record:
    """Word ids and separators of a record's turns (rendered on demand)."""

    system: int
    user: Turn
    assistant: Turn


def make_vocab(rng: np.random.Generator, size: int) -> list[str]:
    """Distinct pseudo-words, roughly shorter for more frequent ranks (as in real language)."""
    onsets, vowels, codas = (np.array(x, dtype=object) for x in (_ONSETS, _VOWELS, _CODAS))
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < size:
        m = 8192
        syl = rng.integers(1, 4, m)
        parts = [onsets[rng.integers(len(_ONSETS), size=m)] + vowels[rng.integers(len(_VOWELS), size=m)]
                 + codas[rng.integers(len(_CODAS), size=m)] for _ in range(3)]
        for k in range(m):
            w = "".join(parts[j][k] for j in range(int(syl[k])))
            if w not in seen:
                seen.add(w)
                words.append(w)
                if len(words) == size:
                    break
    words.sort(key=len)
    for lo in range(0, size, 500):  # shuffle within blocks of 500 ranks
        block = words[lo : lo + 500]
        words[lo : lo + 500] = [block[i] for i in rng.permutation(len(block))]
    return words


class Generator:
    def __init__(self, seed: int, vocab_size: int) -> None:
        self.rng = np.random.default_rng(seed)
        words = make_vocab(self.rng, vocab_size)
        self.vocab = np.array(words, dtype=object)
        self.vocab_cap = np.array([w.capitalize() for w in words], dtype=object)
        ranks = np.arange(vocab_size, dtype=np.float64)
        p = 1.0 / (ranks + ZIPF_Q) ** ZIPF_S
        self.cdf = np.cumsum(p / p.sum())
        self.systems = [self._sentences(self._words(int(self.rng.integers(8, 26))), 0.0) for _ in range(12)]
        self.templates = [self._words(int(self.rng.integers(5, 13))) for _ in range(20)]

    def _words(self, n: int) -> npt.NDArray[np.int64]:
        return np.searchsorted(self.cdf, self.rng.random(n), side="right").clip(max=len(self.vocab) - 1)

    def _sentences(self, ids: npt.NDArray[np.int64], paragraph: float) -> Turn:
        """Pair each word with the separator that follows it: space, comma, sentence end, break."""
        n = ids.size
        seps = np.full(n, " ", dtype=object)
        seps[self.rng.random(n) < 0.07] = ", "
        ends = np.cumsum(self.rng.integers(5, 21, n // 5 + 1)) - 1
        ends = ends[ends < n - 1]
        marks = np.array([". ", ". ", ". ", "? ", "! "], dtype=object)[self.rng.integers(5, size=ends.size)]
        marks[self.rng.random(ends.size) < paragraph] = ".\n\n"
        seps[ends] = marks
        seps[n - 1] = "."
        return ids, seps

    def record(self) -> Record:
        total = int(self.rng.integers(50, 401))
        n_user = max(5, int(total * self.rng.uniform(0.15, 0.4)))
        n_asst = max(10, total - n_user)
        user_ids = self._words(n_user)
        if self.rng.random() < 0.4:
            t = self.templates[int(self.rng.integers(len(self.templates)))]
            user_ids = np.concatenate([t, user_ids])[:n_user]
        return Record(
            system=int(self.rng.integers(len(self.systems))),
            user=self._sentences(user_ids, 0.0),
            assistant=self._sentences(self._words(n_asst), 0.2),
        )

    def render_turn(self, turn: Turn) -> str:
        ids, seps = turn
        cap = np.ones(ids.size, dtype=bool)
        cap[1:] = seps[:-1] != " "
        cap[1:] &= seps[:-1] != ", "
        words = np.where(cap, self.vocab_cap[ids], self.vocab[ids])
        return "".join((words + seps).tolist()).strip()

    def render(self, rec: Record) -> dict[str, list[dict[str, str]]]:
        return {
            "messages": [
                {"role": "system", "content": self.render_turn(self.systems[rec.system])},
                {"role": "user", "content": self.render_turn(rec.user)},
                {"role": "assistant", "content": self.render_turn(rec.assistant)},
            ]
        }

    def near_copy(self, rec: Record) -> tuple[Record, int]:
        """A copy with 0.5-3% of its user + assistant words substituted, inserted or deleted."""
        turns = [[t[0].copy(), t[1].copy()] for t in (rec.user, rec.assistant)]
        n_words = turns[0][0].size + turns[1][0].size
        edits = max(1, int(round(n_words * self.rng.uniform(0.005, 0.03))))
        for _ in range(edits):
            t = turns[0] if self.rng.random() < turns[0][0].size / n_words else turns[1]
            pos = int(self.rng.integers(t[0].size))
            op = self.rng.random()
            new = self._words(1)
            if op < 0.5:
                t[0][pos] = new[0]
            elif op < 0.75 or t[0].size < 3:
                t[0] = np.insert(t[0], pos, new[0])
                t[1] = np.insert(t[1], pos, " ")
            else:
                # Keep the deleted word's separator if it ended a sentence.
                if pos > 0 and t[1][pos] != " ":
                    t[1][pos - 1] = t[1][pos]
                t[0] = np.delete(t[0], pos)
                t[1] = np.delete(t[1], pos)
        return Record(rec.system, (turns[0][0], turns[0][1]), (turns[1][0], turns[1][1])), edits

    def variant(self, row: dict[str, list[dict[str, str]]]) -> dict[str, list[dict[str, str]]]:
        """The same row differing only in case and whitespace."""
        msgs = []
        for m in row["messages"]:
            text = m["content"]
            style = self.rng.random()
            if style < 0.3:
                text = text.upper()
            elif style < 0.6:
                text = text.lower()
            words = text.split(" ")
            doubled = self.rng.random(len(words)) < 0.05
            text = "".join(w + ("  " if d else " ") for w, d in zip(words, doubled, strict=True)).rstrip(" ")
            if self.rng.random() < 0.5:
                text = "  " + text + "\n"
            msgs.append({"role": m["role"], "content": text})
        return {"messages": msgs}


def generate(
    rows: int, out: Path, seed: int = 0, validation_rows: int = 0, vocab_size: int = 50_000
) -> dict[str, object]:
    gen = Generator(seed, vocab_size)
    rng = gen.rng
    n_exact = int(round(rows * EXACT_SHARE))
    n_near = int(round(rows * NEAR_SHARE))
    n_orig = rows - n_exact - n_near
    records = [gen.record() for _ in range(n_orig)]
    rendered = [gen.render(r) for r in records]
    # Planted rows, then one shuffle of the whole file; sources are original rows.
    kinds: list[tuple[int, str, int]] = []  # (source position, kind, edits)
    for k in range(n_exact):
        src = int(rng.integers(n_orig))
        kind = "exact" if k % 2 == 0 else "exact_variant"
        rendered.append(rendered[src] if kind == "exact" else gen.variant(rendered[src]))
        kinds.append((src, kind, 0))
    for _ in range(n_near):
        src = int(rng.integers(n_orig))
        rec, edits = gen.near_copy(records[src])
        rendered.append(gen.render(rec))
        kinds.append((src, "near", edits))
    perm = rng.permutation(rows)  # perm[new position] = old position
    where = np.empty(rows, dtype=np.int64)
    where[perm] = np.arange(rows)
    truth: dict[str, object] = {
        "seed": seed,
        "train_rows": rows,
        "train_pairs": [
            [int(where[src]), int(where[n_orig + k]), kind, edits] for k, (src, kind, edits) in enumerate(kinds)
        ],
    }
    out.mkdir(parents=True, exist_ok=True)
    with (out / "train.jsonl").open("w", encoding="utf-8") as f:
        for i in perm.tolist():
            f.write(json.dumps(rendered[i], ensure_ascii=False) + "\n")
    if validation_rows:
        n_le = int(round(validation_rows * LEAK_EXACT_SHARE))
        n_ln = int(round(validation_rows * LEAK_NEAR_SHARE))
        val: list[dict[str, list[dict[str, str]]]] = [
            gen.render(gen.record()) for _ in range(validation_rows - n_le - n_ln)
        ]
        leaks: list[tuple[int, str, int]] = []
        for k in range(n_le):
            src = int(rng.integers(n_orig))
            val.append(rendered[src] if k % 2 == 0 else gen.variant(rendered[src]))
            leaks.append((src, "exact" if k % 2 == 0 else "exact_variant", 0))
        for _ in range(n_ln):
            src = int(rng.integers(n_orig))
            rec, edits = gen.near_copy(records[src])
            val.append(gen.render(rec))
            leaks.append((src, "near", edits))
        vperm = rng.permutation(validation_rows)
        vwhere = np.empty(validation_rows, dtype=np.int64)
        vwhere[vperm] = np.arange(validation_rows)
        base = validation_rows - n_le - n_ln
        truth["validation_rows"] = validation_rows
        truth["leak_pairs"] = [
            [int(where[src]), int(vwhere[base + k]), kind, edits] for k, (src, kind, edits) in enumerate(leaks)
        ]
        with (out / "validation.jsonl").open("w", encoding="utf-8") as f:
            for i in vperm.tolist():
                f.write(json.dumps(val[i], ensure_ascii=False) + "\n")
    (out / "ground_truth.json").write_text(json.dumps(truth) + "\n", encoding="utf-8")
    return truth


#: rows kept to copy from in the streaming mode (a uniform reservoir over the rows written so far)
RESERVOIR = 20_000


def generate_stream(
    rows: int, out: Path, seed: int = 0, validation_rows: int = 0, vocab_size: int = 50_000
) -> dict[str, object]:
    """The data of :func:`generate` (the same shares of exact, case/whitespace and near copies, the same
    leakage into validation), written row by row: each row is, with the planted shares, a copy of a row
    drawn uniformly from a reservoir of earlier rows, else a fresh record. Ground truth holds the pairs
    as 0-based row positions."""
    gen = Generator(seed, vocab_size)
    rng = gen.rng
    pool: list[tuple[int, Record, dict[str, list[dict[str, str]]]]] = []  # (position, record, rendered)
    seen = 0
    pairs: list[list[object]] = []
    out.mkdir(parents=True, exist_ok=True)

    def keep(pos: int, rec: Record, row: dict[str, list[dict[str, str]]]) -> None:
        nonlocal seen
        seen += 1
        if len(pool) < RESERVOIR:
            pool.append((pos, rec, row))
        else:
            k = int(rng.integers(seen))
            if k < RESERVOIR:
                pool[k] = (pos, rec, row)

    warmup = min(rows, 1000)  # copies start once there is something to copy
    share_exact = EXACT_SHARE * rows / max(1, rows - warmup)
    share_near = NEAR_SHARE * rows / max(1, rows - warmup)
    with (out / "train.jsonl").open("w", encoding="utf-8") as f:
        for pos in range(rows):
            u = rng.random() if pos >= warmup else 1.0
            if u < share_exact + share_near:
                src, rec, row = pool[int(rng.integers(len(pool)))]
                if u < share_exact:
                    kind = "exact" if rng.random() < 0.5 else "exact_variant"
                    new = row if kind == "exact" else gen.variant(row)
                    pairs.append([src, pos, kind, 0])
                else:
                    near, edits = gen.near_copy(rec)
                    new = gen.render(near)
                    pairs.append([src, pos, "near", edits])
                    rec = near
                f.write(json.dumps(new, ensure_ascii=False) + "\n")
                continue
            rec = gen.record()
            row = gen.render(rec)
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            keep(pos, rec, row)
    truth: dict[str, object] = {"seed": seed, "train_rows": rows, "train_pairs": pairs, "stream": True}
    if validation_rows:
        leaks: list[list[object]] = []
        with (out / "validation.jsonl").open("w", encoding="utf-8") as f:
            for vpos in range(validation_rows):
                u = rng.random()
                if pool and u < LEAK_EXACT_SHARE + LEAK_NEAR_SHARE:
                    src, rec, row = pool[int(rng.integers(len(pool)))]
                    if u < LEAK_EXACT_SHARE:
                        exact = rng.random() < 0.5
                        new = row if exact else gen.variant(row)
                        leaks.append([src, vpos, "exact" if exact else "exact_variant", 0])
                    else:
                        near, edits = gen.near_copy(rec)
                        new = gen.render(near)
                        leaks.append([src, vpos, "near", edits])
                else:
                    new = gen.render(gen.record())
                f.write(json.dumps(new, ensure_ascii=False) + "\n")
        truth["validation_rows"] = validation_rows
        truth["leak_pairs"] = leaks
    (out / "ground_truth.json").write_text(json.dumps(truth) + "\n", encoding="utf-8")
    return truth


# -- labelled classification rows (label and fairness rules) ----------------------------------------

CLASSES = ("billing", "shipping", "returns", "account", "technical", "product", "complaint", "praise")
#: class shares (imbalanced, every class well above the label rules' minimums)
CLASS_SHARE = (0.30, 0.20, 0.15, 0.11, 0.09, 0.07, 0.05, 0.03)
GROUPS = ("female", "male", "nonbinary")
GROUP_SHARE = (0.48, 0.48, 0.04)
PRONOUNS = ("he", "she", "him", "her", "his", "hers", "they", "them")


def generate_classification(rows: int, out: Path, seed: int = 0, validation_rows: int = 0,
                            vocab_size: int = 50_000) -> dict[str, object]:
    """``{"text", "label", "gender"}`` rows streamed to ``train.jsonl`` (and ``validation.jsonl``).

    Texts of 20-120 Zipf words in which a quarter of the words come from the row's class's 60 topic
    words (so a classifier learns the labels), 2% pronouns; 8 imbalanced classes (30% down to 3%),
    one in 50 labels spelled "Billing"-style (FT006), a sensitive ``gender`` column (48/48/4%)
    whose label rates differ a little by group. Planted in train: 2% exact copies of a recent row
    (a fifth of them with another label: FT301), 3% near copies (a tenth relabelled: FT304) and
    3% of labels flipped at random (FT302). Only a ring of recent rows is held, so memory does not
    grow with ``rows``."""
    gen = Generator(seed, vocab_size)
    rng = gen.rng
    topics = [rng.integers(300, 8000, 60) for _ in CLASSES]
    cls_cdf = np.cumsum(CLASS_SHARE)
    grp_cdf = np.cumsum(GROUP_SHARE)
    pron = np.array(PRONOUNS, dtype=object)
    ring: list[tuple[str, int, int]] = []  # (text, class, group) of recent rows
    counts = {"exact": 0, "exact_conflict": 0, "near": 0, "near_conflict": 0, "flipped": 0}

    def fresh() -> tuple[str, int, int]:
        g = int(np.searchsorted(grp_cdf, rng.random(), side="right").clip(max=len(GROUPS) - 1))
        u = rng.random()
        if g == 0:  # label rates differ by group (FT502)
            u = u ** 1.15
        c = int(np.searchsorted(cls_cdf, u, side="right").clip(max=len(CLASSES) - 1))
        n = int(rng.integers(20, 121))
        ids = gen._words(n)
        topical = rng.random(n) < 0.25
        ids[topical] = topics[c][rng.integers(60, size=int(topical.sum()))]
        ids_t, seps = gen._sentences(ids, 0.0)
        text = gen.render_turn((ids_t, seps))
        words = text.split(" ")
        for k in np.flatnonzero(rng.random(len(words)) < 0.02).tolist():
            words[k] = str(pron[int(rng.integers(len(pron)))])
        return " ".join(words), c, g

    def row(split_rows: int, f: Any, plant: bool) -> None:
        for _ in range(split_rows):
            u = rng.random()
            if plant and ring and u < 0.02:
                text, c, g = ring[int(rng.integers(len(ring)))]
                if rng.random() < 0.2:
                    c = (c + 1 + int(rng.integers(len(CLASSES) - 1))) % len(CLASSES)
                    counts["exact_conflict"] += 1
                counts["exact"] += 1
            elif plant and ring and u < 0.05:
                text, c, g = ring[int(rng.integers(len(ring)))]
                words = text.split(" ")
                for _e in range(max(1, len(words) // 50)):
                    words[int(rng.integers(len(words)))] = str(gen.vocab[int(gen._words(1)[0])])
                text = " ".join(words)
                if rng.random() < 0.1:
                    c = (c + 1 + int(rng.integers(len(CLASSES) - 1))) % len(CLASSES)
                    counts["near_conflict"] += 1
                counts["near"] += 1
            else:
                text, c, g = fresh()
                if len(ring) < 2000:
                    ring.append((text, c, g))
                else:
                    ring[int(rng.integers(2000))] = (text, c, g)
                if plant and rng.random() < 0.03:
                    c = (c + 1 + int(rng.integers(len(CLASSES) - 1))) % len(CLASSES)
                    counts["flipped"] += 1
            label = CLASSES[c].capitalize() if rng.random() < 0.02 else CLASSES[c]
            f.write(json.dumps({"text": text, "label": label, "gender": GROUPS[g]}, ensure_ascii=False) + "\n")

    out.mkdir(parents=True, exist_ok=True)
    with (out / "train.jsonl").open("w", encoding="utf-8") as f:
        row(rows, f, True)
    if validation_rows:
        with (out / "validation.jsonl").open("w", encoding="utf-8") as f:
            row(validation_rows, f, False)
    truth: dict[str, object] = {"seed": seed, "kind": "classification", "train_rows": rows,
                                "validation_rows": validation_rows, "planted": counts}
    (out / "ground_truth.json").write_text(json.dumps(truth) + "\n", encoding="utf-8")
    return truth


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, required=True, help="train rows to write")
    ap.add_argument("--out", type=Path, required=True, help="output directory")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--validation-rows", type=int, default=0, help="also write validation.jsonl with leakage")
    ap.add_argument("--vocab", type=int, default=50_000, help="pseudo-word vocabulary size")
    ap.add_argument("--stream", action="store_true", help="write rows as they are made (flat memory; for 10M rows)")
    ap.add_argument("--kind", choices=("chat", "classification"), default="chat",
                    help="chat records (default) or text + label + gender rows (label and fairness rules; "
                         "always streamed)")
    args = ap.parse_args()
    t = time.perf_counter()
    if args.kind == "classification":
        info = generate_classification(args.rows, args.out, args.seed, args.validation_rows, args.vocab)
        print(f"wrote {args.rows} classification rows ({info['planted']}) to {args.out} in "
              f"{time.perf_counter() - t:.1f} s")
        return
    truth = (generate_stream if args.stream else generate)(args.rows, args.out, args.seed, args.validation_rows,
                                                           args.vocab)
    pairs = truth["train_pairs"]
    assert isinstance(pairs, list)
    print(
        f"wrote {args.rows} train rows ({sum(p[2] != 'near' for p in pairs)} exact, "
        f"{sum(p[2] == 'near' for p in pairs)} near duplicates planted)"
        + (f" and {args.validation_rows} validation rows" if args.validation_rows else "")
        + f" to {args.out} in {time.perf_counter() - t:.1f} s"
    )


if __name__ == "__main__":
    main()
