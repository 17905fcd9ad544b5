"""The judged real-data suite (see harness.py): a finding judged FALSE must not come back, one judged
TRUE must not disappear, and every finding on the corpus must be judged before the suite passes."""

from __future__ import annotations

import pytest

from tests.realdata.harness import CORPUS, VERDICTS, cited_rows, inputs, load_judgements, run

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present (a user's clone): "
                                "the judged real-data suite needs the shared folder beside the repository")

JUDGED = load_judgements()
INPUTS = inputs() if CORPUS.is_dir() else []


def test_judgements_are_complete():
    for (inp, fp), j in JUDGED.items():
        assert j["verdict"] in VERDICTS, (inp, j["code"], fp)
        assert j.get("reason") and j["reason"] != "TODO", (inp, j["code"], fp)
        assert j.get("reviewed_by"), f"{inp} {j['code']}: not reviewed by a second reader"
        assert all(v in VERDICTS for v in (j.get("rows") or {}).values()), (inp, j["code"], fp)


@pytest.mark.parametrize("inp", INPUTS, ids=[i.rel for i in INPUTS])
def test_findings_match_their_judgements(inp):
    report = run(inp)
    assert report.failed_rules == [], report.failed_rules
    seen = set()
    unjudged = []
    for f in report.findings:
        j = JUDGED.get((inp.rel, f.fingerprint))
        if j is None:
            unjudged.append(f"{f.code} {f.fingerprint} {f.message[:100]}")
            continue
        seen.add(f.fingerprint)
        assert j["verdict"] != "FALSE", f"{inp.rel}: {f.code} was judged FALSE and came back: {j['reason']}"
        verdicts = {int(k): v for k, v in (j.get("rows") or {}).items()}
        cited = {r.index for r in f.rows}
        lost = sorted(i for i, v in verdicts.items() if v == "TRUE" and i not in cited)
        assert not lost, f"{inp.rel}: {f.code} no longer cites rows judged TRUE: {lost[:10]}"
        back = sorted(i for i, v in verdicts.items() if v == "FALSE" and i in cited)
        assert not back, f"{inp.rel}: {f.code} cites rows judged FALSE again: {back[:10]}"
        new_rows = set(cited_rows(f)) - set(verdicts)
        assert not new_rows, f"{inp.rel}: {f.code} cites rows not judged yet: {sorted(new_rows)[:10]}"
    assert not unjudged, (f"{inp.rel}: findings not judged yet (python -m tests.realdata.harness --stubs):\n"
                          + "\n".join(unjudged))
    gone = [j for (i, fp), j in JUDGED.items() if i == inp.rel and fp not in seen and j["verdict"] == "TRUE"]
    assert not gone, f"{inp.rel}: findings judged TRUE disappeared: " + "; ".join(
        f"{j['code']} {j['message'][:80]}" for j in gone)
