"""Precision of ftlint's findings on the judged real-data suite (tests/realdata/judgements.yaml).

By finding: TRUE / (TRUE + FALSE) over the findings judged (DEBATABLE counted apart). By cited row:
the same over every row a judge read. Prints one table per rule and the totals. Without --run it
counts every judgement on file (what the rules reported when each was judged, FALSE findings that
have since been fixed included); with --run it checks the corpus again and counts only the findings
ftlint reports now and the rows they cite now.

    python benchmarks/precision.py [--run]
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.realdata.harness import inputs, load_judgements, run  # noqa: E402


def main() -> None:
    judged = load_judgements()
    keys = set(judged)
    cited: dict[tuple[str, str], set[int]] | None = None
    if "--run" in sys.argv:  # only the findings ftlint reports now, and only the rows they cite now
        cited = {(i.rel, f.fingerprint): {r.index for r in f.rows} for i in inputs() for f in run(i).findings}
        keys = set(cited) & set(judged)
    by_rule: dict[str, Counter[str]] = defaultdict(Counter)
    for key in sorted(keys):
        j = judged[key]
        c = by_rule[j["code"]]
        c["f_" + j["verdict"]] += 1
        for row, v in (j.get("rows") or {}).items():
            if cited is None or int(row) in cited[key]:
                c["r_" + v] += 1

    def prec(t: int, f: int) -> str:
        return f"{t / (t + f):.1%}" if t + f else "-"

    total: Counter[str] = Counter()
    print(f"{'rule':<6} {'findings T/F/D':>15} {'precision':>9}   {'rows T/F/D':>14} {'precision':>9}")
    for code in sorted(by_rule):
        c = by_rule[code]
        total.update(c)
        print(f"{code:<6} {c['f_TRUE']:>5}/{c['f_FALSE']}/{c['f_DEBATABLE']:<5} {prec(c['f_TRUE'], c['f_FALSE']):>9}   "
              f"{c['r_TRUE']:>5}/{c['r_FALSE']}/{c['r_DEBATABLE']:<5} {prec(c['r_TRUE'], c['r_FALSE']):>9}")
    print(f"{'all':<6} {total['f_TRUE']:>5}/{total['f_FALSE']}/{total['f_DEBATABLE']:<5} "
          f"{prec(total['f_TRUE'], total['f_FALSE']):>9}   {total['r_TRUE']:>5}/{total['r_FALSE']}/"
          f"{total['r_DEBATABLE']:<5} {prec(total['r_TRUE'], total['r_FALSE']):>9}")


if __name__ == "__main__":
    main()
