"""The text features behind FT009-FT011: what counts as cut off, as a refusal, as another language."""

from __future__ import annotations

import pytest

from ftlint.features import replies as R

PROSE = "The model is trained on recent sales and evaluated on houses it has not seen. "


@pytest.mark.parametrize("text, kind, strong", [
    (PROSE + "If its performance degrades over time, it may need to be re", "mid-sentence", True),
    (PROSE + "It serves as a reminder of the importance of", "mid-sentence", True),
    (PROSE + "For", "mid-sentence", True),
    (PROSE + "Then we reverse", "mid-sentence", False),  # only a cut for one of the split's longest replies
    ("Here is the code:\n\n```python\ndef f(x):\n    return x *", "unclosed-code-fence", True),
    ("resource \"x\" \"y\" {\n  kind = \"linux\"\n  maximum_elastic_scale =", "dangling-punctuation", True),
    ("1. 节奏：切分音。\n2. 音色：不同乐器的结合十分重要，萨克斯、小号、", "dangling-punctuation", True),
    ("以下是一些化学元素：\n1. 氢（Hydrogen, H）\n2. 锂(Li", "unclosed-bracket", True),
    (PROSE + "He said \"this is where the story", "unclosed-quote", True),
])
def test_cut_replies(text: str, kind: str, strong: bool) -> None:
    cut = R.truncation(text)
    assert cut is not None and (cut.kind, cut.strong) == (kind, strong)


@pytest.mark.parametrize("text", [
    PROSE + "It ends properly.",
    "Three languages:\n1. Java\n2. Python\n3. C++",
    "| Planet | Moons |\n|---|---|\n| Mars | 2 |",
    "See the tutorial at https://docs.python.org/3/tutorial/",
    "Twelve times twelve is 144",
    PROSE + "Time to go outside 🌷",
    PROSE + "Try it today. #jam #homemade",
    "Thank you for your time.\n\nBest regards,\nJohn Smith\nSoftware Developer",
    "Thank you for considering my application.\n\nSincerely,",
    "\"Friendship is born at that moment when one says: You too?\" - C.S. Lewis",
    PROSE + "The premise supports it.\nAnswer: entailment",
    PROSE + "Good luck with your project",
    "I am sad :(",
    "Order a 12\" pizza with extra cheese and olives on top",
    "Here it is:\n```python\nprint(1)\n```",
    "See you at the meeting on Friday, and bring the slides.\n\nTalk soon,",
])
def test_finished_replies(text: str) -> None:
    assert R.truncation(text) is None


@pytest.mark.parametrize("text", [
    PROSE + "The usual dose is 500 mg",
    PROSE + "That is where the name comes from",
    PROSE + "It may take a while",
])
def test_a_missing_full_stop_is_only_a_sign_in_the_longest_replies(text: str) -> None:
    cut = R.truncation(text)
    assert cut is not None and not cut.strong


def test_start_fragments() -> None:
    assert R.starts_mid_sentence("e! Here is a list of four albums by The Beatles.").kind == "starts-mid-sentence"
    assert R.starts_mid_sentence("canvas,'' Soren replied, his eyes growing distant.") is not None
    for ok in ("yes, the premise entails the hypothesis here.", "b, c and d are consonants of the alphabet.",
               "iPhone 12 is a phone made by Apple.", "i. yes\n\nThe premise states it clearly.", "bird"):
        assert R.starts_mid_sentence(ok) is None, ok


@pytest.mark.parametrize("text, kind, lang", [
    ("As an AI, I don't have access to real-time financial data.", "ai-disclaimer", "en"),
    ("I'm sorry, but as an AI language model, I'm unable to create graphics.", "ai-disclaimer", "en"),
    ("I'm an AI Assistant, so unable to perceive the website you are talking about.", "ai-disclaimer", "en"),
    ("I'm sorry, but I can't assist with that.", "refusal", "en"),
    ("As an AI, I can help with ideas. However, I'm unable to create the actual image.", "ai-disclaimer", "en"),
    ("作为一个AI语言模型，我无法访问您的计算机操作系统。", "ai-disclaimer", "zh"),
    ("抱歉，我不能总结评论，因为您没有提供评论内容。", "refusal", "zh"),
    ("我无法直接访问该数据库，但根据公开信息，我整理了以下列表。", "disclaimer", "zh"),
])
def test_refusals(text: str, kind: str, lang: str) -> None:
    r = R.refusal(text)
    assert r is not None and (r.kind, r.language) == (kind, lang)


@pytest.mark.parametrize("text, prompt", [
    ("I am Aria, an AI assistant developed by Example Labs. How can I help?", "Who are you?"),
    ("您好！我是一个人工智能助手，很高兴为您服务。", "你是谁？"),
    ("As an AI assistant, I would read each page aloud.", "How would you help a blind customer?"),
    ("I'm sorry, but I'm unable to come into work today.", "Generate an excuse for not coming to work."),
    ("Unfortunately, I cannot determine the angle from two sides alone.", "Find the angle."),
    ("I'm sorry to hear that. Losing a pet is hard.", "My dog died."),
    ("反对观点可能是：你作为一个人工智能助手并没有提供足够的帮助。", "反对观点是什么？"),
    ("I can't help but notice how much the city has changed since then.", "Describe your city."),
    ("Sorry, I can't come tonight, I have to work late.", "Are you coming to the party?"),
    ("I am an AI researcher and I don't think models understand language.", "What do you do?"),
    ("我是一个人工智能研究员，我不认为模型真正理解语言。", "你是做什么的？"),
    ("对不起，我今天不能来上班了，因为我发烧了。", "你今天来上班吗？"),
])
def test_not_refusals(text: str, prompt: str) -> None:
    assert R.refusal(text, prompt) is None


def test_language_helpers() -> None:
    assert R.quick_language("生成一个关于选举的问题集合。") == "zh"
    assert R.quick_language("This is the answer to the question that you asked.") == "en"
    assert R.quick_language("La vida es un viaje, no un destino.") is None  # left to the model
    assert R.segments("判断句子的语态：The dog was taken for a walk.") == [
        "判断句子的语态：", "The dog was taken for a walk."]
    assert R.language_exercise("生成一个正确使用“opulent”一词的例句。", "latin")
    assert not R.language_exercise("生成一个随机的字母数字字符串，输入为\"Hello\"。", "latin")
    assert R.asks_translation("将句子翻译成英语。") and R.asks_translation("Say this using Spanish.")
    assert R.names_language("请用英文回答", "en") and not R.names_language("请回答", "en")
    assert R.prose("Run this:\n```python\nx = 1\n```\nThen `x` holds one.").split() == ["Run", "this:", "Then",
                                                                                        "holds", "one."]
    assert R.letters("ab 中文") == 6
