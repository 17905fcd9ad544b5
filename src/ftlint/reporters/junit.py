"""JUnit XML (GitLab, Jenkins): a failing testcase per finding, a passing one per clean rule,
a skipped one per rule that could not run, an error per rule that crashed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from ftlint.printable import printable, printable_report
from ftlint.reporters._common import RenderOptions, location_of

if TYPE_CHECKING:
    from ftlint.findings import Report
    from ftlint.model import Finding


def _clean(text: str) -> str:
    """XML 1.0 cannot hold most control characters, lone surrogates or U+FFFE/U+FFFF (not even as
    character references): shown as ``<U+XXXX>``, as in every human-facing format."""
    return printable(text, multiline=True)


def render(report: Report, options: RenderOptions) -> str:
    report = printable_report(report)  # every string from the data: no control or bidi character
    by_code: dict[str, list[Finding]] = {}
    for f in report.findings:
        by_code.setdefault(f.code, []).append(f)
    suites = ET.Element("testsuites", name="ftlint")
    suite = ET.SubElement(suites, "testsuite", name="ftlint")
    tests = failures = errors = skipped = 0
    seen_names: set[str] = set()
    for o in report.outcomes:
        findings = by_code.get(o.code, [])
        if o.outcome == "ran" and not findings:
            ET.SubElement(suite, "testcase", classname=o.code, name=f"{o.code} {o.name}", time=f"{o.seconds:.3f}")
            tests += 1
            continue
        if o.outcome == "skipped":
            case = ET.SubElement(suite, "testcase", classname=o.code, name=f"{o.code} {o.name}", time="0")
            ET.SubElement(case, "skipped", message=_clean(f"{o.reason}" + (f" ({o.fix})" if o.fix else "")))
            tests += 1
            skipped += 1
            continue
        if o.outcome == "failed":
            case = ET.SubElement(suite, "testcase", classname=o.code, name=f"{o.code} {o.name}",
                                 time=f"{o.seconds:.3f}")
            err = ET.SubElement(case, "error", message=_clean(o.reason or "rule failed"))
            err.text = _clean(o.fix or "")
            tests += 1
            errors += 1
            continue
        for f in findings:
            path, line = location_of(f, report)
            name = f"{f.code} {path}:{line}"
            n = 1
            while name in seen_names:  # GitLab keeps only the first of duplicate names
                n += 1
                name = f"{f.code} {path}:{line} #{n}"
            seen_names.add(name)
            case = ET.SubElement(suite, "testcase", classname=f.code, name=name, file=path,
                                 line=str(line), time=f"{o.seconds:.3f}")
            props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="severity", value=f.severity.label)
            ET.SubElement(props, "property", name="affected", value=str(f.affected.count))
            fail = ET.SubElement(case, "failure", message=_clean(f.message), type=f.severity.label)
            body = [f"{path}:{line}: {f.code} {f.message}", f"Fix: {f.fix}"]
            body += [f"  {r.path}:{r.line or '#' + str(r.index)}  {r.snippet}" for r in f.rows[:20]]
            if len(f.rows) > 20:
                body.append(f"  … and {len(f.rows) - 20} more rows")
            fail.text = _clean("\n".join(body))
            tests += 1
            failures += 1
    for el in (suites, suite):
        el.set("tests", str(tests))
        el.set("failures", str(failures))
        el.set("errors", str(errors))
        el.set("skipped", str(skipped))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
