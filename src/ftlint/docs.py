"""Rule documentation, generated from the rule classes (the docstring is the documentation)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ftlint.rule import Rule

SECTION_ORDER = ("What it does", "Why it matters", "Example", "How to fix")


def case_file(rule: type[Rule]) -> Path | None:
    """The rule's YAML case file: ``cases/<CODE>.yml`` beside its module (the built-in rules' are in
    ``ftlint/rules/cases``; a plugin pack's beside its own module), None when it has none."""
    import sys

    module = sys.modules.get(rule.__module__)
    where = getattr(module, "__file__", None)
    path = Path(where).parent / "cases" / f"{rule.code}.yml" if where else None
    return path if path is not None and path.is_file() else None


def _doc_cases(rule: type[Rule]) -> list[Any]:
    from ftlint.testing import load_cases

    path = case_file(rule)
    if path is None:
        return []
    return [c for c in load_cases(path) if c.doc]


def rule_markdown(rule: type[Rule]) -> str:
    import orjson

    sections = rule.doc_sections()
    lines = [f"# {rule.name} ({rule.code})", "", rule.summary + ".", ""]
    meta = [f"Default severity: **{rule.severity.label}**"]
    if rule.escalation:
        meta.append(f"escalates one level through `{rule.escalation.replace('_', '-')}`")
    needs = sorted(n.value for n in rule.requires)
    if needs:
        meta.append("needs: " + ", ".join(needs))
    meta.append(f"source: {rule.source}")
    lines += ["; ".join(meta) + ".", ""]
    if not rule.default:
        lines += [f"Not in the default selection: {rule.not_default_because or 'see the README'}. Enable it with "
                  f"`--extend-select {rule.code}` (or `--select ALL`).", ""]
    for title in SECTION_ORDER:
        if title in sections:
            lines += [f"## {title}", "", sections[title], ""]
    for title, body in sections.items():
        if title not in SECTION_ORDER:
            lines += [f"## {title}", "", body, ""]
    opts = rule.option_fields()
    lines += ["## Options", ""]
    if opts:
        lines += ["| option | default | meaning |", "|---|---|---|"]
        for name, default, _tname, help_ in opts:
            lines.append(f"| `{name}` | `{default!r}` | {help_} |")
        lines.append("")
    lines += ["Every rule also takes `severity` (error, warning, info), which pins the level of all its findings:",
              "", "```toml", f"[tool.ftlint.rules.{rule.name}]", f'severity = "{rule.severity.label}"']
    for name, default, _t, _h in opts:
        lines.append(f"{name} = {_toml(default)}")
    lines += ["```", ""]
    cases = _doc_cases(rule)
    if cases:
        lines += ["## Examples from the test cases", ""]
        for c in cases:
            lines += [f"### {c.name}", ""]
            if c.description:
                lines += [c.description, ""]
            if c.run is not None and c.records is None and c.raw is None:
                lines += _run_case_lines(c)
            elif c.raw is not None:
                lines += [f"```{'json' if c.format.startswith('json') else ''}", c.raw.rstrip("\n"), "```", ""]
            else:
                body = "\n".join(orjson.dumps(r).decode() for r in c.records or [])
                lines += ["```json", body, "```", ""]
            if c.options:
                lines += ["With options: " + ", ".join(f"`{k} = {_toml(v)}`" for k, v in c.options.items()), ""]
            if c.skipped is not None:
                lines += [f"The rule is skipped: {c.skipped}.", ""]
            elif not c.expect:
                lines += ["No finding.", ""]
            else:
                for e in c.expect:
                    rows = e.get("rows")
                    lines.append(f"Finding ({e.get('severity', rule.severity.label)})"
                                 + (f" on rows {', '.join(str(r) for r in rows)}" if rows else "") + ".")
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _run_case_lines(c: Any) -> list[str]:
    """A run case in a rule's page: the generated log's curves, or the log file's text."""
    if isinstance(c.run, dict):
        from ftlint.runs.synth import describe

        return ["```", *describe(c.run), "```", ""]
    body = [f"{name}:\n{text.rstrip()}" for name, text in c.files.items() if isinstance(text, str)]
    return ["```", *body, "```", ""] if body else []


def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    return repr(v)


def rule_json(rule: type[Rule]) -> dict[str, Any]:
    return {
        "code": rule.code,
        "name": rule.name,
        "summary": rule.summary,
        "severity": rule.severity.label,
        "requires": sorted(n.value for n in rule.requires),
        "fixable": rule.fixable,
        "default": rule.default,
        "escalation": rule.escalation,
        "source": rule.source,
        "sections": rule.doc_sections(),
        "options": [{"name": n, "default": d, "type": t, "help": h} for n, d, t, h in rule.option_fields()],
    }


def index_markdown(rules: list[type[Rule]]) -> str:
    lines = ["# ftlint rules", "",
             "Generated by `ftlint rule --all --output-dir rules`; do not edit by hand.", "",
             "| code | name | severity | default | summary |", "|---|---|---|---|---|"]
    for r in sorted(rules, key=lambda r: r.code):
        lines.append(f"| [{r.code}]({r.code}.md) | {r.name} | {r.severity.label} | {'yes' if r.default else 'no'} "
                     f"| {r.summary} |")
    return "\n".join(lines) + "\n"


def write_rule_pages(rules: list[type[Rule]], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for r in rules:
        p = out / f"{r.code}.md"
        p.write_text(rule_markdown(r), encoding="utf-8")
        written.append(p)
    (out / "README.md").write_text(index_markdown(rules), encoding="utf-8")
    return written
