"""FT009, FT010 and FT011 on every dataset file of ../shared/corpus, with the rows they cite pinned.

Every row pinned here was read in full and judged a true positive (the comment above each group
says why). A row that appears or disappears fails the test: judge it before changing the pins.
Files not listed in CITED must stay silent for all three rules.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ftlint.api import check
from ftlint.findings import Report
from ftlint.settings import Settings

CODES = ("FT009", "FT010", "FT011")
LF = "hiyouga__LLaMA-Factory"

#: file -> code -> (severity, the row indexes cited)
CITED: dict[str, dict[str, tuple[str, tuple[int, ...]]]] = {
    f"{LF}/data__alpaca_en_demo.json": {
        # 124 "...it may need to be re" (cut word); 463 "...a reminder of the importance of";
        # 179: the 2-10 multiplication table stops at 4x8=32 inside a code block never closed;
        # 269 "...Then we reverse", 730 "...the organic section – your body", 782 "...aggression that
        # finally boiled over", 898 "...you want to invest in. While Bitcoin": the last sentence of
        # one of the split's longest replies (1,932-2,837 chars, the token limit) stops unfinished
        "FT009": ("warning", (124, 179, 269, 463, 730, 782, 898)),
        # "As an AI, I don't have access to real-time ...", "I'm an AI Assistant, so unable to perceive
        # the website", "I am sorry, but as an AI language model, I do not have ..." (23 AI
        # disclaimers); 185, 223, 930: "I'm sorry, but I don't have access / I cannot retrieve / I
        # cannot estimate ..." (refusals); 973: "As an AI, I can assist ... However, I'm unable to
        # create the actual image"
        "FT010": ("warning", (43, 67, 80, 82, 95, 117, 185, 223, 239, 264, 275, 380, 407, 432, 502, 526,
                              608, 665, 691, 711, 736, 794, 817, 930, 942, 973)),
    },
    f"{LF}/data__alpaca_zh_demo.json": {
        # 43 ends "萨克斯、小号、", 391 "…有以下几种：", 806 "4. 工作：" (the list it announces is missing);
        # 492: a crossword grid in a code block never closed; 989: "43. 锝(T" (the element list stops
        # mid-bracket); 185, 576 "e! Here is…", 332 "e, here's…": "Sure!" lost its first letters
        "FT009": ("warning", (43, 185, 332, 391, 492, 576, 806, 989)),
        # 作为/由于我是 一个人工智能/语言模型/文本机器人 + 无法/没有/不能 (AI disclaimers), and
        # 抱歉/对不起/不好意思 + 无法 (32, 465, 584, 628, 658, 686, 841; 334 goes on to answer the blank, judged
        # FALSE, not cited) or a reply that opens with
        # 我无法访问 (872): refusals
        "FT010": ("warning", (4, 32, 46, 53, 76, 142, 145, 158, 186, 347, 376, 381, 402, 415, 450, 465,
                              470, 532, 545, 558, 570, 584, 628, 658, 659, 665, 686, 726, 753, 759, 841, 859,
                              872, 961, 967)),
        # English replies to Chinese instructions that ask for no English: "输出一段代码…" -> "Here is a
        # simple code…", "生成一个关于2020年美国总统选举的5个问题和答案的集合" -> "Here's a collection…",
        # "安排明天上午10点的会议" -> "Certainly, I will schedule…", "识别这个句子的情绪" -> "As an AI
        # language model…", "换句话说：看到了一只狗" -> "In other words, a dog was seen." (56, 185, 322,
        # 332, 351, 353, 458, 576, 612, 625, 893)
        "FT011": ("warning", (56, 185, 322, 332, 351, 353, 458, 576, 612, 625, 893)),
    },
    f"{LF}/data__dpo_en_demo.json": {
        # 7 (Java) and 171 (Terraform, "maximum_elastic_scale =") stop inside a code block never
        # closed (288, which starts "canvas,'' Soren replied", continues a prompt that asks "Continue
        # writing the following text" and ends mid-sentence: judged FALSE, not cited any more)
        "FT009": ("warning", (7, 171)),
        # 142 "I apologize, but I cannot provide information on the personal details of individuals"
        # (a birth date), in the chosen side, 0.3% of the rows (info); 155's refusal is an earlier
        # turn of the prompt history, which the pair does not train on (judged FALSE, not cited)
        "FT010": ("info", (142,)),
    },
    f"{LF}/data__dpo_zh_demo.json": {
        # the chosen reply ends "祝你辩护愉快，" (a comma: the sign-off is cut), twice (a repeated row)
        "FT009": ("warning", (98, 208)),
        # 作为一个AI语言模型/作为人工智能 + 无法/没有 (159, 227, 229, 242, 261); 149 "对不起，我无法回答那个请求" is
        # followed by an answer of its own and is no longer cited (judged DEBATABLE);
        # 76 "我无法直接访问芝加哥建筑基金会的数据库，但根据公开信息…" goes on to answer (judged FALSE, not cited)
        "FT010": ("warning", (159, 227, 229, 242, 261)),
    },
    f"{LF}/data__glaive_toolcall_en_demo.json": {
        # 51: "...dimensionality reduction. For"; 243: a Go snippet whose code block never closes (it
        # runs into 5,588 zeros)
        "FT009": ("warning", (51, 243)),
        # no FT010: every refusal here ("I'm sorry, but (as an AI,) I don't have the capability to order
        # a pizza / book a flight") declines a request none of the row's tools serves, in rows that
        # offer tools: tool-calling scope, the behaviour the data teaches (judged FALSE)
    },
    f"{LF}/data__v1_sft_demo.jsonl": {
        # rows 50-499 are Alpaca rows: the same cuts as alpaca_en 124, 179, 269
        "FT009": ("warning", (174, 229, 319)),
        # the same disclaimers and refusals as alpaca_en; the identity rows 0-49 ("I am {{name}}, an AI
        # assistant developed by {{author}}") are self-introductions and stay silent
        "FT010": ("warning", (93, 117, 130, 132, 145, 167, 235, 273, 289, 314, 325, 430, 457, 482)),
    },
}

#: dataset files where none of the three rules has anything to report
SILENT = (
    f"{LF}/data__reason_tool_use_demo_50.jsonl",
    "openai__openai-cookbook/examples__data__dbpedia_samples.jsonl",
    "openai__openai-cookbook/examples__data__fine_food_reviews_1k.csv",
    "openai__openai-cookbook/examples__data__toy_chat_fine_tuning.jsonl",
    "axolotl-ai-cloud__axolotl/tests__fixtures__conversation.missingturns.json",
    "axolotl-ai-cloud__axolotl/tests__fixtures__alpaca__alpaca.json",
    "pytorch__torchtune/tests__assets__alpaca_tiny.json",
    "pytorch__torchtune/tests__assets__chat_tiny.json",
    "pytorch__torchtune/tests__assets__instruct_tiny.json",
    "pytorch__torchtune/tests__assets__stack_exchange_paired_tiny.json",
)


def _run(path: Path) -> Report:
    from tests.realdata.harness import CORPUS, Input, run

    try:
        rel = path.resolve().relative_to(CORPUS.resolve()).as_posix()
    except ValueError:
        return check([path], settings=Settings(), no_cache=True, select=list(CODES))
    full = run(Input(rel, "dataset"))  # --select ALL, shared with the other corpus tests
    return dataclasses.replace(full, findings=[f for f in full.findings if f.code in CODES],
                               outcomes=[o for o in full.outcomes if o.code in CODES])


def _cited(report: Report) -> dict[str, tuple[str, tuple[int, ...]]]:
    out: dict[str, tuple[str, tuple[int, ...]]] = {}
    for f in report.findings:
        assert f.code not in out, f"two {f.code} findings for one file"
        out[f.code] = (f.severity.label, tuple(r.index for r in f.rows))
    return out


@pytest.mark.parametrize("rel", sorted(CITED), ids=[Path(p).name for p in sorted(CITED)])
def test_new_rules_cite_exactly_the_rows_judged_true(corpus_dir: Path, rel: str) -> None:
    report = _run(corpus_dir / rel)
    assert all(o.outcome != "failed" for o in report.outcomes), [o.reason for o in report.outcomes]
    assert _cited(report) == CITED[rel]


def test_new_rules_stay_silent_on_the_other_corpus_files(corpus_dir: Path) -> None:
    for rel in SILENT:
        report = _run(corpus_dir / rel)
        assert all(o.outcome != "failed" for o in report.outcomes), (rel, [o.reason for o in report.outcomes])
        assert _cited(report) == {}, rel


def test_every_corpus_dataset_file_is_judged(corpus_dir: Path) -> None:
    """A dataset file added to the corpus must be run and its rows judged here."""
    found = {p.relative_to(corpus_dir).as_posix() for p in corpus_dir.rglob("*")
             if p.suffix in (".json", ".jsonl", ".csv") and not p.name.endswith("dataset_info.json")}
    assert found == set(CITED) | set(SILENT)
