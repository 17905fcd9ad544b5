"""The batch language identification behind FT011 (issue 17, part 0) gives exactly what the
one-text-at-a-time path gives (codes, confidences, every class's probability, bit for bit), and
the screening helpers that replaced a Python step per character count what they counted."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest

from ftlint.features import language as L
from ftlint.features import replies as R

MULTILINGUAL = [
    "The quick brown fox jumps over the lazy dog while the farmer watches from the porch.",
    "Der schnelle braune Fuchs springt über den faulen Hund, während der Bauer zusieht.",
    "Le renard brun rapide saute par-dessus le chien paresseux pendant que le fermier regarde.",
    "El rápido zorro marrón salta sobre el perro perezoso mientras el granjero mira.",
    "Быстрая коричневая лиса прыгает через ленивую собаку, пока фермер смотрит с крыльца.",
    "这是一个用于测试语言识别的中文句子，农民在门廊上看着。",
    "これは言語識別をテストするための日本語の文です。農夫がポーチから見ています。",
    "이것은 언어 식별을 테스트하기 위한 한국어 문장입니다.",
    "الثعلب البني السريع يقفز فوق الكلب الكسول بينما يراقب المزارع.",
    "तेज़ भूरी लोमड़ी आलसी कुत्ते के ऊपर कूदती है जबकि किसान देखता है।",
    "Η γρήγορη καφέ αλεπού πηδά πάνω από τον τεμπέλη σκύλο.",
    "השועל החום המהיר קופץ מעל הכלב העצלן בזמן שהאיכר מסתכל.",
    "Brzi smeđi lisac skače preko lijenog psa dok ga seljak gleda.",  # one of sr/hr/bs: a group
    "Rubah coklat yang cepat melompati anjing yang malas.",  # id/ms: a group
    "THIS TEXT IS ALL UPPER CASE AND IS LOWERED FIRST",  # py3langid lowers an all-caps text
    "cafe\u0301 na\u0308ive  re\u0301sume\u0301 — NFC changes the bytes",
    "", " ", "\n\n", "12345 67890 !!! ???", "a", "é",
    "\udc80 a lone surrogate \ud800 encoded with surrogatepass",
    "\x00\x01\x02 control bytes \x7f and \u200b\u200f\u202e bidi",
    "😀🎉👍 " * 40,
    "word " * 1200,  # 6,000 characters: past the detector's 2,000
    "日本語のテキスト" * 400,  # 3,200 characters, 9,600 bytes
    "Mixed English and 中文 text, Deutsch auch, и немного русского.",
]


def _corpus_texts(corpus_dir: Path, limit: int = 400) -> list[str]:
    """Replies and prompts of the corpus's chat and instruction files, a spread of them."""
    texts: list[str] = []

    def walk(o: object) -> None:
        if isinstance(o, str):
            if o.strip():
                texts.append(o)
        elif isinstance(o, dict):
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    names = ["data__alpaca_en_demo.json", "data__alpaca_zh_demo.json", "data__dpo_zh_demo.json",
             "data__glaive_toolcall_en_demo.json", "data__v1_sft_demo.jsonl"]
    for name in names:
        path = corpus_dir / "hiyouga__LLaMA-Factory" / name
        if not path.is_file():
            continue
        raw = path.read_text(encoding="utf-8")
        walk([json.loads(line) for line in raw.splitlines() if line.strip()] if name.endswith(".jsonl")
             else json.loads(raw))
    if not texts:
        pytest.skip("no corpus chat files")
    step = max(1, len(texts) // limit)
    return texts[::step][:limit]


def _generated(n: int = 300, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    pool = [chr(c) for c in [*range(0x20, 0x250), *range(0x370, 0x3ff), *range(0x400, 0x4ff), *range(0x600, 0x6ff),
                             *range(0x3040, 0x30ff), *range(0x4e00, 0x4f00), 0xd800, 0xdfff, 0x1f600, 0x10ffff]]
    words = " ".join(MULTILINGUAL[:14]).split()
    out = []
    for _ in range(n):
        if rng.random() < 0.5:
            out.append("".join(rng.choice(pool) for _ in range(rng.randint(0, 300))))
        else:
            out.append(" ".join(rng.choice(words) for _ in range(rng.randint(1, 400))))
    return out


def _one_at_a_time(det: L.LanguageDetector, texts: list[str]) -> np.ndarray:
    return np.array([np.asarray(det._ident._decide(t[:L.MAX_CHARS]), dtype=np.float64) for t in texts])


def _batched(det: L.LanguageDetector, texts: list[str]) -> np.ndarray:
    out = np.full((len(texts), len(det.classes)), np.nan)
    for idx, scores in det.score_blocks(texts):
        out[idx] = scores
    return out


@pytest.fixture(scope="module")
def det() -> L.LanguageDetector:
    return L.shared_detector()


def test_batch_matches_one_at_a_time_on_corpus_and_generated_text(det: L.LanguageDetector, corpus_dir: Path) -> None:
    corpus = _corpus_texts(corpus_dir)
    texts = corpus + [t[:200] for t in corpus[:200]] + MULTILINGUAL + _generated()
    assert L._batch_model() is not None  # the batch path, not its one-at-a-time fallback
    assert np.array_equal(_batched(det, texts), _one_at_a_time(det, texts))  # every class, bit for bit
    assert det.classify_many(texts) == tuple(map(list, zip(*[det.classify(t) for t in texts], strict=True)))
    assert R.identify_many(texts, det) == [R.identify(t, det) for t in texts]
    assert {c for c, _ in R.identify_many(corpus, det)} >= {"en", "zh"}


def test_small_blocks_and_ties(det: L.LanguageDetector, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of a few texts (a text longer than a block's budget is a block of its own), and
    texts whose probabilities tie (no feature: every class equal)."""
    monkeypatch.setattr(L, "BATCH_CELLS", 300)
    monkeypatch.setattr(L, "FEATURE_CELLS", 100)
    texts = MULTILINGUAL + ["", "   ", "!!!"] * 3
    assert np.array_equal(_batched(det, texts), _one_at_a_time(det, texts))
    assert R.identify_many(texts, det) == [R.identify(t, det) for t in texts]
    assert det.classify_many([]) == ([], []) and R.identify_many([], det) == []


def test_the_csr_kernel_alone_equals_scipy_sparse(det: L.LanguageDetector, monkeypatch: pytest.MonkeyPatch) -> None:
    """FT011 loads scipy's CSR x dense kernel on its own (importing ``scipy.sparse`` for it cost ~23
    MiB of resident memory in every check that detects a language); through ``scipy.sparse`` (the
    fallback when the kernel is not where this scipy keeps it) the scores are the same, bit for bit."""
    assert callable(L._csr_matvecs())
    texts = MULTILINGUAL + _generated(60, seed=3)
    alone = _batched(det, texts)
    monkeypatch.setattr(L, "_csr_matvecs", lambda: None)
    assert np.array_equal(_batched(det, texts), alone)


def test_detecting_languages_does_not_import_scipy_sparse(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("import sys, json; from ftlint.features import language as L; "
            "L.shared_detector().classify_many(['the farmer watches the lazy dog', 'der Bauer sieht zu']); "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('scipy'))))")
    src = str(Path(__file__).resolve().parents[2] / "src")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120,
                         env={**__import__("os").environ, "PYTHONPATH": src})
    assert json.loads(out.stdout) == ["scipy.sparse._sparsetools"]  # the kernel's extension, not the packages


# -- the screening helpers: the same counts without a Python step per character ------------------------------

_OLD_CODE_LINE = R._CODE_LINE_RE
_OLD_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_OLD_SENTENCE = re.compile(r"(?:[^\n.!?。！？]|[.!?](?![.!?]*(?:\s|$)))*(?:[.!?]+(?=\s|$)|[。！？]+|\n|$)")


def _random_strings(seed: int, n: int = 4000) -> list[str]:
    rng = random.Random(seed)
    chars = (list(" \t\r\x0b\x0c\x85\xa0\u2028\u3000;{}=<>/#*()[]\"'`~:.!?_-ab xyzABZ09’。！？\n")
             + [chr(c) for c in (0xe9, 0x660, 0x2167, 0xff21, 0x4e00, 0x3042, 0xac00, 0x416, 0x1f600, 0xd800, 0x2e2f)])
    out = []
    for _ in range(n):
        s = "".join(rng.choice(chars) for _ in range(rng.randint(0, 40)))
        out += [s, rng.choice(["    ", "\t", "  def ", "if ", "x = ", "<a ", "// ", "# x(", "}", ""]) + s]
    return out


def test_screening_helpers_count_what_they_counted() -> None:
    texts = _random_strings(0) + MULTILINGUAL + _generated(200, seed=1)
    for t in texts:
        assert R.alpha_count(t) == sum(map(str.isalpha, t)), repr(t)
        assert R.letters(t) == sum(map(str.isalpha, t)) + len(R._CJK_RE.findall(t)), repr(t)
        cjk = len(R._CJK_RE.findall(t))
        assert R.word_count(t) == len(_OLD_WORD.findall(R._CJK_RE.sub(" ", t))) + cjk // 2, repr(t)
        assert R.sentences(t) == [s for m in _OLD_SENTENCE.finditer(t) if (s := m.group().strip())], repr(t)
        for line in t.split("\n"):
            assert R.looks_like_code(line) == bool(_OLD_CODE_LINE.search(line)), repr(line)
    assert R.word_count("a'b'c d''e it’s") == 4 and R.word_count("don't stop-me now") == 4


def test_quick_language_reads_the_words_it_read() -> None:
    def old(text: str) -> str | None:
        head = text[:600]
        cjk = len(R._CJK_RE.findall(head))
        alpha = sum(map(str.isalpha, head))
        if cjk and cjk >= 0.6 * alpha:
            if len(R._HANGUL_RE.findall(head)) >= 0.3 * cjk:
                return "ko"
            return "ja" if len(R._KANA_RE.findall(head)) >= 0.1 * cjk else "zh"
        if alpha and head.isascii():
            words = re.findall(r"[a-z]+", head.lower())[:80]
            if len(words) >= 5 and sum(w in R._EN_STOP for w in words) >= 0.2 * len(words):
                return "en"
        return None

    rng = random.Random(2)
    stop = sorted(R._EN_STOP)
    texts = _random_strings(3, 1000) + MULTILINGUAL + [
        " ".join(rng.choice([*stop, "Zebra", "x9y", "IT'S", "The,", "and-or"]) for _ in range(rng.randint(0, 150)))
        for _ in range(1000)]
    assert [R.quick_language(t) for t in texts] == [old(t) for t in texts]
    assert sum(R.quick_language(t) == "en" for t in texts) > 100
