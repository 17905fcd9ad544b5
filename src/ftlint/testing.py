"""The rule-case harness: one YAML case file per rule, public so plugin authors can use it.

A case file looks like::

    rule: FT201
    cases:
      - name: two identical rows
        doc: true                 # shown in the rule's documentation page
        records:                  # inline records, written to a file of ``format`` (default jsonl)
          - {"instruction": "Say hi", "output": "Hi"}
          - {"instruction": "say  HI", "output": "hi"}
        options: {error-fraction: 0.9}   # this rule's options (TOML spelling)
        settings: {}              # any other ftlint settings (TOML shape)
        validation: [...]         # records of a validation split (optional)
        reference: [...]          # records of a reference sample of the task (optional; FT4xx)
        expect:                   # the findings of this rule, in rank order; [] means silent
          - severity: warning
            rows: [1]             # indices of the affected rows
            message_contains: "exact copies"
            metrics: {group_count: 1}
            charts:               # what the HTML report plots for it (ftlint.chartspec), in order:
              - {kind: clusters, title: "Exact duplicates in train", sizes: [3]}  # the fields given
        skipped: "no labels"      # instead of expect: the rule is skipped with this reason

``raw`` (file text) can replace ``records`` to test unreadable input.

Run rules (FT8xx) add a training run's log (passed as ``--run``; no dataset is written unless the
case has ``records``)::

      - name: overfit after step 500
        run: {kind: overfit, format: hf}      # a generated log (ftlint.runs.synth): kind, format,
                                              # and overrides such as eval: [1.6, 1.3, ...]
      - name: a log cut off mid-write
        files:
          outputs/trainer_log.jsonl: |
            {"current_steps": 10, "total_steps": 100, "loss": 2.0}
            {"current_steps": 20, "tot
        run: outputs                          # a path under the case's folder

``python -m ftlint.testing [CASE_FILE ...]`` prints every case's result (:func:`case_result`:
outcome, findings, rows, messages, metrics) as JSON, e.g. to compare two machines or two BLAS
kernels (the test suite does: tests/rules/test_case_determinism.py).

Training-config rules add a config (written next to the data and passed as ``config=``)::

      - name: Axolotl with val_set_size 0
        config: |                 # the training config's text
          base_model: meta-llama/Llama-3.2-1B
          val_set_size: 0
        config_name: train.yaml   # its file name (default train.yaml; .json for OpenAI jobs)
        framework: axolotl        # optional: force the adapter instead of detecting it
        no_data: true             # run with the config alone (no dataset on the command line)
        files:                    # optional extra files the config names (text, or records as JSONL)
          data/sft.jsonl: [{"prompt": "a", "completion": "b"}]
        expect:
          - severity: error
            line: 2               # the finding's location: line, key, path (as shown)
            key: val_set_size
            fix_contains: "val_set_size"
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml

from ftlint.findings import Report
from ftlint.model import Finding


@dataclass
class RuleCase:
    rule: str
    name: str
    records: list[Any] | None = None
    raw: str | None = None
    format: str = "jsonl"
    filename: str = "train"
    validation: list[Any] | None = None
    reference: list[Any] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    expect: list[dict[str, Any]] | None = None
    skipped: str | None = None
    doc: bool = False
    description: str = ""
    #: the training config's text (None: no config), its file name, a forced framework
    config: str | None = None
    config_name: str = "train.yaml"
    framework: str | None = None
    #: run with the config alone: no dataset file is written or passed
    no_data: bool = False
    #: extra files written under the case's folder (relative name -> text, or records for JSONL)
    files: dict[str, Any] = field(default_factory=dict)
    #: a training run for the FT8xx rules: a generated log (``ftlint.runs.synth.from_spec``
    #: mapping) or a path under the case's folder (written with ``files``)
    run: dict[str, Any] | str | None = None

    @property
    def id(self) -> str:
        return f"{self.rule}:{self.name}"


def load_cases(path: Path) -> list[RuleCase]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    rule = data["rule"]
    cases = []
    for c in data.get("cases", []):
        c = dict(c)
        cases.append(RuleCase(rule=rule, **c))
    return cases


def _write(records: list[Any] | None, raw: str | None, fmt: str, path: Path) -> None:
    if raw is not None:
        path.write_text(raw, encoding="utf-8")
    elif fmt == "jsonl":
        path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records or []))
    elif fmt == "json":
        path.write_bytes(orjson.dumps(records or [], option=orjson.OPT_INDENT_2))
    elif fmt in ("csv", "tsv"):
        import csv

        rows = records or []
        keys = list(dict.fromkeys(k for r in rows for k in r))
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=keys, delimiter="\t" if fmt == "tsv" else ",")
            w.writeheader()
            w.writerows(rows)
    else:
        raise ValueError(f"unsupported case format {fmt!r}")


def run_case(case: RuleCase, workdir: Path | None = None) -> Report:
    """Run one case in a scratch directory with only its rule selected; return the report."""
    from ftlint.api import check
    from ftlint.registry import load_registry
    from ftlint.settings import settings_from_dict

    with tempfile.TemporaryDirectory() if workdir is None else _nullctx(workdir) as d:
        root = Path(d)
        train = root / f"{case.filename}.{case.format}"
        no_data = case.no_data or (case.run is not None and case.records is None and case.raw is None)
        if not no_data:
            _write(case.records, case.raw, case.format, train)
        for name, content in case.files.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                target.write_text(content, encoding="utf-8")
            else:
                _write(content, None, "jsonl", target)
        config_path = None
        if case.config is not None:
            config_path = root / case.config_name
            config_path.write_text(case.config, encoding="utf-8")
        val_paths = []
        if case.validation is not None:
            vp = root / f"validation_split.{case.format}"
            _write(case.validation, None, case.format, vp)
            val_paths.append(vp)
        ref_paths = []
        if case.reference is not None:
            rp = root / "reference_sample.jsonl"
            _write(case.reference, None, "jsonl", rp)
            ref_paths.append(rp)
        run_paths = []
        if isinstance(case.run, dict):
            from ftlint.runs.synth import from_spec

            run_paths.append(from_spec(case.run, root / "outputs"))
        elif isinstance(case.run, str):
            run_paths.append(root / case.run)
        settings_data = dict(case.settings)
        if case.options:
            reg = load_registry()
            rule = reg.lookup(case.rule)
            assert rule is not None, f"no rule {case.rule}"
            settings_data.setdefault("rules", {}).setdefault(rule.name, {}).update(case.options)
        settings = settings_from_dict(settings_data, root)
        settings.cache = False
        return check([] if no_data else [train], validation=val_paths, reference=ref_paths, config=config_path,
                     framework=case.framework, settings=settings, select=[case.rule], runs=run_paths)


class _nullctx:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> str:
        return str(self.path)

    def __exit__(self, *exc: object) -> None:
        return None


def assert_case(case: RuleCase, report: Report) -> None:
    """Assert that ``report`` matches what ``case`` expects (raises AssertionError)."""
    outcome = next((o for o in report.outcomes if o.code == case.rule), None)
    assert outcome is not None, f"{case.id}: rule did not run at all"
    assert outcome.outcome != "failed", f"{case.id}: rule failed: {outcome.reason}"
    if case.skipped is not None:
        assert outcome.outcome == "skipped", f"{case.id}: expected skipped, got {outcome.outcome}"
        assert case.skipped in (outcome.reason or ""), f"{case.id}: skip reason {outcome.reason!r}"
        return
    assert outcome.outcome == "ran", f"{case.id}: skipped: {outcome.reason}"
    got = [f for f in report.findings if f.code == case.rule]
    expect = case.expect or []
    assert len(got) == len(expect), (
        f"{case.id}: expected {len(expect)} finding(s), got {len(got)}: " + "; ".join(f.message for f in got)
    )
    for f, e in zip(got, expect):
        _match(case, f, e)


def _match(case: RuleCase, f: Finding, e: dict[str, Any]) -> None:
    if "severity" in e:
        assert f.severity.label == e["severity"], f"{case.id}: severity {f.severity.label} != {e['severity']}"
    if "rows" in e:
        got_rows = [r.index for r in f.rows]
        assert got_rows == list(e["rows"]), f"{case.id}: rows {got_rows} != {e['rows']}"
    if "count" in e:
        assert f.affected.count == e["count"], f"{case.id}: affected {f.affected.count} != {e['count']}"
    if "message_contains" in e:
        needles = e["message_contains"]
        for needle in [needles] if isinstance(needles, str) else needles:
            assert needle in f.message, f"{case.id}: {needle!r} not in message {f.message!r}"
    if "lines" in e:
        got_lines = [r.line for r in f.rows]
        assert got_lines == list(e["lines"]), f"{case.id}: lines {got_lines} != {e['lines']}"
    if "line" in e:
        assert f.location.line == e["line"], f"{case.id}: location line {f.location.line} != {e['line']}"
    if "key" in e:
        assert f.location.key == e["key"], f"{case.id}: location key {f.location.key!r} != {e['key']!r}"
    if "path" in e:
        assert f.location.path == e["path"], f"{case.id}: location path {f.location.path!r} != {e['path']!r}"
    if "fix_contains" in e:
        needles = e["fix_contains"]
        for needle in [needles] if isinstance(needles, str) else needles:
            assert needle in f.fix, f"{case.id}: {needle!r} not in fix {f.fix!r}"
    for k, v in (e.get("metrics") or {}).items():
        assert k in f.metrics, f"{case.id}: metric {k!r} missing"
        assert f.metrics[k] == v, f"{case.id}: metric {k} = {f.metrics[k]!r}, expected {v!r}"
    for k, v in (e.get("extra") or {}).items():
        assert f.rows and f.rows[0].extra.get(k) == v, f"{case.id}: extra {k} of first row != {v!r}"
    if "charts" in e:
        got = [chart_fields(c) for c in f.charts]
        assert len(got) == len(e["charts"]), f"{case.id}: charts {got} != {e['charts']}"
        for g, want in zip(got, e["charts"]):
            for k, v in want.items():
                assert k in g and g[k] == v, f"{case.id}: chart {g.get('title')!r}: {k} = {g.get(k)!r}, expected {v!r}"


def chart_fields(spec: Any) -> dict[str, Any]:
    """A chart spec's fields as plain JSON values (tuples as lists, nested specs as dicts)."""
    def plain(v: Any) -> Any:
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return {f.name: plain(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        return v

    out: dict[str, Any] = plain(spec)
    return out


def cases_dir() -> Path:
    """Where the built-in rules' case files live (shipped with the package)."""
    return Path(__file__).parent / "rules" / "cases"


def case_result(case: RuleCase, report: Report) -> dict[str, Any]:
    """Everything a case's run says about its rule, as plain JSON values: the outcome (and skip
    reason) and each finding's severity, message, fix, affected count, metrics, charts and rows (path,
    index, line and extra values), in report order. Two runs of one case agree exactly when these
    are equal (e.g. under another BLAS kernel or thread count)."""
    outcome = next((o for o in report.outcomes if o.code == case.rule), None)
    findings = []
    for f in report.findings:
        if f.code != case.rule:
            continue
        findings.append({
            "severity": f.severity.label, "message": f.message, "fix": f.fix,
            "location": [f.location.path, f.location.line, f.location.key],
            "affected": f.affected.count, "metrics": f.metrics, "charts": [chart_fields(c) for c in f.charts],
            "rows": [[r.path, r.split, r.index, r.line, r.extra] for r in f.rows],
        })
    return {"case": case.id, "outcome": outcome.outcome if outcome else None,
            "reason": outcome.reason if outcome else None, "findings": findings}


def dump_case_results(paths: list[Path] | None = None) -> list[dict[str, Any]]:
    """Run every case of the case files ``paths`` (default: the built-in rules') and return
    :func:`case_result` of each, with the scratch folder's path replaced by ``<case>`` (so runs in
    different folders compare equal)."""
    files = sorted(cases_dir().glob("*.yml")) if paths is None else paths
    out = []
    with tempfile.TemporaryDirectory() as d:
        for n, case in enumerate(c for p in files for c in load_cases(p)):
            work = Path(d) / str(n)
            work.mkdir()
            result = case_result(case, run_case(case, work))
            text = orjson.dumps(result, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY).decode()
            out.append(orjson.loads(text.replace(str(work), "<case>")))
    return out


if __name__ == "__main__":  # python -m ftlint.testing [CASE_FILE ...]: every case's result as JSON
    import sys

    _args = [Path(a) for a in sys.argv[1:]]
    sys.stdout.write(orjson.dumps(dump_case_results(_args or None), option=orjson.OPT_INDENT_2).decode() + "\n")
