"""Third-party rule packs: real `ftlint.rules` entry points of packages installed in a temp dir (on
``sys.path``, so the API and the in-process CLI both find them)."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from ftlint.api import check
from ftlint.errors import PluginError, UsageError
from ftlint.registry import load_registry
from ftlint.settings import Settings
from tests.cli_inprocess import ftlint

RULE_DOC = '''"""{summary}

    ## What it does
    A demo rule shipped by a plugin pack.

    ## Why it matters
    It shows that third-party rules run like the built-in ones.

    ## How to fix
    Nothing to fix: it is a demo.
    """'''


def rule_source(cls: str, code: str, name: str, body: str = "", severity: str = "WARNING") -> str:
    check_body = body or textwrap.dedent("""\
        def check(self, ctx):
            for split in ctx.splits:
                ds = ctx.dataset(split)
                rows = [RowAt(split, i) for i in range(len(ds))
                        if "router" in ds.full_text(i).lower()]
                if rows:
                    yield self.finding(f"{len(rows)} rows of the {split} split mention a router",
                                       "Say 'gateway' instead.", rows=rows, total=len(ds), split=split)
        """)
    return (f"class {cls}(Rule):\n    " + RULE_DOC.format(summary=f"{name} demo rule.") + "\n"
            f"    code = {code!r}\n    name = {name!r}\n    summary = 'Demo rule {code}'\n"
            f"    severity = Severity.{severity}\n\n" + textwrap.indent(check_body, "    ") + "\n")


def make_pack(root: Path, module: str, dist: str, source: str, entry: str = "demo") -> Path:
    """A package module plus a ``<dist>-0.1.dist-info`` with an ``ftlint.rules`` entry point."""
    pkg = root / module
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(source, encoding="utf-8")
    info = root / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[ftlint.rules]\n{entry} = {module}:rules\n", encoding="utf-8")
    return pkg


HEADER = "from ftlint import Rule, RowAt, Severity\n\n"
GOOD = HEADER + rule_source("MentionsRouter", "DEMO001", "mentions-router") + \
    "\n\ndef rules():\n    return [MentionsRouter]\n"
BROKEN_IMPORT = HEADER + "import ftlint_no_such_module_anywhere  # noqa: F401\n\n" + \
    rule_source("BrokenRule", "BRK001", "broken-rule") + "\n\ndef rules():\n    return [BrokenRule]\n"


def write_data(root: Path) -> Path:
    rows = [
        {"messages": [{"role": "user", "content": "How do I restart the router?"},
                      {"role": "assistant", "content": "Unplug the router for ten seconds."}]},
        {"messages": [{"role": "user", "content": "What is the price of the large plan?"},
                      {"role": "assistant", "content": "It costs forty dollars a month."}]},
        {"messages": [{"role": "user", "content": "Where do I put the Router in my flat?"},
                      {"role": "assistant", "content": "Somewhere high and central."}]},
    ]
    p = root / "data" / "train.jsonl"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return p


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh 'site-packages' on sys.path; the pack modules it imports are forgotten afterwards."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    before = set(sys.modules)
    yield root
    for name in set(sys.modules) - before:
        if name.startswith("ftlint_") and not name.startswith("ftlint_no_such"):
            del sys.modules[name]


def iso_settings(root: Path) -> Settings:
    return Settings(root=root, cache=False)


# -- a working pack ---------------------------------------------------------------------------------

def test_plugin_rule_is_registered_with_its_source(site: Path) -> None:
    make_pack(site, "ftlint_demo_pack", "ftlint-demo-pack", GOOD)
    reg = load_registry()
    rule = reg.lookup("DEMO001")
    assert rule is not None and reg.lookup("mentions-router") is rule
    assert rule.source == "ftlint-demo-pack"
    assert reg.failures == []
    assert load_registry(plugins=False).lookup("DEMO001") is None


def test_plugin_rule_runs_and_reports(site: Path, tmp_path: Path) -> None:
    make_pack(site, "ftlint_demo_pack", "ftlint-demo-pack", GOOD)
    data = write_data(tmp_path)
    report = check([data], settings=iso_settings(tmp_path), no_cache=True)
    outcome = {o.code: o.outcome for o in report.outcomes}
    assert outcome["DEMO001"] == "ran"
    demo = [f for f in report.findings if f.code == "DEMO001"]
    assert len(demo) == 1
    assert demo[0].message == "2 rows of the train split mention a router"
    assert [r.line for r in demo[0].rows] == [1, 3]
    assert demo[0].fingerprint and all(r.fingerprint for r in demo[0].rows)


def test_plugin_rules_are_selectable_and_configurable(site: Path, tmp_path: Path) -> None:
    make_pack(site, "ftlint_demo_pack", "ftlint-demo-pack", GOOD)
    data = write_data(tmp_path)
    s = iso_settings(tmp_path)
    s.rules = {"mentions-router": {"severity": "error"}}
    report = check([data], settings=s, select=["DEMO"], no_cache=True)
    assert [o.code for o in report.outcomes] == ["DEMO001"]
    assert [f.severity.label for f in report.findings] == ["error"]
    report = check([data], settings=iso_settings(tmp_path), ignore=["mentions-router"], no_cache=True)
    assert "DEMO001" not in {o.code for o in report.outcomes}


def test_plugin_in_rules_command_and_check_cli(site: Path, tmp_path: Path) -> None:
    make_pack(site, "ftlint_demo_pack", "ftlint-demo-pack", GOOD)
    data = write_data(tmp_path)
    res = ftlint("rules", "--output-format", "json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    rows = {r["code"]: r for r in json.loads(res.stdout)}
    assert rows["DEMO001"]["source"] == "ftlint-demo-pack"
    assert rows["DEMO001"]["name"] == "mentions-router" and rows["DEMO001"]["enabled"] is True
    assert rows["FT201"]["source"] == "builtin"
    text = ftlint("rules", cwd=tmp_path).stdout
    assert any(line.startswith("DEMO001") and "ftlint-demo-pack" in line for line in text.splitlines())
    doc = ftlint("rule", "mentions-router", cwd=tmp_path)
    assert doc.returncode == 0 and "DEMO001" in doc.stdout
    res = ftlint("check", str(data.relative_to(tmp_path)), "--isolated", "--output-format", "json",
                   "--select", "DEMO001", "--fail-on", "warning", cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    report = json.loads(res.stdout)
    assert [f["code"] for f in report["findings"]] == ["DEMO001"]
    assert [r["line"] for r in report["findings"][0]["rows"]] == [1, 3]


# -- broken packs -----------------------------------------------------------------------------------

def test_broken_pack_is_an_ft901_notice_and_the_run_goes_on(site: Path, tmp_path: Path) -> None:
    make_pack(site, "ftlint_demo_pack", "ftlint-demo-pack", GOOD)
    make_pack(site, "ftlint_broken_pack", "ftlint-broken-pack", BROKEN_IMPORT, entry="broken")
    reg = load_registry()
    assert reg.lookup("DEMO001") is not None      # the good pack still loads
    assert reg.lookup("BRK001") is None
    assert [(f.distribution, f.name) for f in reg.failures] == [("ftlint-broken-pack", "broken")]
    assert "ModuleNotFoundError" in reg.failures[0].error

    data = write_data(tmp_path)
    report = check([data], settings=iso_settings(tmp_path), no_cache=True)
    notices = [f for f in report.findings if f.code == "FT901"]
    assert len(notices) == 1
    assert "ftlint-broken-pack" in notices[0].message and "ftlint_no_such_module_anywhere" in notices[0].message
    assert notices[0].severity.label == "warning"
    assert {o.code: o.outcome for o in report.outcomes}["DEMO001"] == "ran"
    assert report.exit_code(None) == 0 and report.failed_rules == []

    # FT901 is a warning and the default fail-on is error (FT101 is ignored: this data is tiny)
    res = ftlint("check", "data/train.jsonl", "--isolated", "--ignore", "FT101", cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "FT901" in res.stdout and "ftlint-broken-pack" in res.stdout
    assert "Traceback" not in res.stdout + res.stderr
    res = ftlint("rules", cwd=tmp_path)
    assert res.returncode == 0
    assert "plugin 'ftlint-broken-pack' failed to load" in res.stderr


@pytest.mark.parametrize("how", ["--select", "--extend-select"])
def test_selecting_a_broken_packs_rule_exits_2(site: Path, tmp_path: Path, how: str) -> None:
    make_pack(site, "ftlint_broken_pack", "ftlint-broken-pack", BROKEN_IMPORT, entry="broken")
    write_data(tmp_path)
    res = ftlint("check", "data/train.jsonl", "--isolated", how, "BRK001", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stdout == ""
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("ftlint: error: ")
    assert "BRK001" in res.stderr and "ftlint-broken-pack" in res.stderr
    assert "Traceback" not in res.stderr
    # --exit-zero does not hide it
    res = ftlint("check", "data/train.jsonl", "--isolated", how, "BRK001", "--exit-zero", cwd=tmp_path)
    assert res.returncode == 2


def test_selecting_a_broken_packs_rule_in_the_api(site: Path, tmp_path: Path) -> None:
    make_pack(site, "ftlint_broken_pack", "ftlint-broken-pack", BROKEN_IMPORT, entry="broken")
    data = write_data(tmp_path)
    with pytest.raises(UsageError, match="ftlint-broken-pack"):
        check([data], settings=iso_settings(tmp_path), select=["BRK001"], no_cache=True)


def test_ignoring_a_broken_packs_rule_does_not_stop_the_run(site: Path, tmp_path: Path) -> None:
    make_pack(site, "ftlint_broken_pack", "ftlint-broken-pack", BROKEN_IMPORT, entry="broken")
    write_data(tmp_path)
    (tmp_path / "ftlint.toml").write_text('ignore = ["BRK001", "FT101"]\n')
    res = ftlint("check", "data/train.jsonl", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "FT901" in res.stdout


@pytest.mark.parametrize(
    ("label", "source", "error"),
    [
        ("definition", HEADER + "class Bad(Rule):\n    '''No sections.'''\n    code = 'BAD001'\n"
                                "    name = 'bad'\n    summary = 's'\n\ndef rules():\n    return [Bad]\n",
         "RuleDefinitionError"),
        ("not-a-rule", "def rules():\n    return [object]\n", "not a subclass of ftlint.Rule"),
        ("raises", "def rules():\n    raise RuntimeError('pack exploded')\n", "pack exploded"),
        ("ft-prefix", HEADER + rule_source("Sneaky", "FT777", "sneaky-rule") + "\n\ndef rules():\n"
                                                                              "    return [Sneaky]\n",
         "FT prefix is reserved"),
        ("not-callable", "rules = 3\n", "TypeError"),
    ],
)
def test_other_broken_packs_are_notices(site: Path, tmp_path: Path, label: str, source: str, error: str) -> None:
    make_pack(site, f"ftlint_bad_{label.replace('-', '_')}", f"ftlint-bad-{label}", source, entry=label)
    reg = load_registry()
    assert len(reg.failures) == 1, reg.failures
    assert error in reg.failures[0].error
    assert reg.failures[0].distribution == f"ftlint-bad-{label}"
    assert all(r.source == "builtin" for r in reg.rules)
    report = check([write_data(tmp_path)], settings=iso_settings(tmp_path), no_cache=True)
    assert [f.code for f in report.findings if f.code.startswith("FT9")] == ["FT901"]


def test_ft_prefixed_plugin_code_is_rejected(site: Path, tmp_path: Path) -> None:
    make_pack(site, "ftlint_sneaky_pack", "ftlint-sneaky-pack",
              HEADER + rule_source("Sneaky", "FT201", "my-duplicates") + "\n\ndef rules():\n    return [Sneaky]\n")
    reg = load_registry()
    assert reg.lookup("FT201").source == "builtin"
    assert reg.lookup("my-duplicates") is None
    assert "FT prefix is reserved" in reg.failures[0].error


# -- clashes ----------------------------------------------------------------------------------------

def test_name_clash_with_a_builtin_is_a_loud_error(site: Path, tmp_path: Path) -> None:
    make_pack(site, "ftlint_clash_pack", "ftlint-clash-pack",
              HEADER + rule_source("Dupes", "CLS201", "exact-duplicates") + "\n\ndef rules():\n    return [Dupes]\n")
    with pytest.raises(PluginError) as exc:
        load_registry()
    msg = str(exc.value)
    assert "clash" in msg and "'ftlint-clash-pack'" in msg and "'builtin'" in msg
    assert "CLS201" in msg and "FT201" in msg
    write_data(tmp_path)
    for args in (["check", "data/train.jsonl", "--isolated"], ["rules"]):
        res = ftlint(*args, cwd=tmp_path)
        assert res.returncode == 2, args
        assert res.stderr.startswith("ftlint: error: rule name clash") and res.stderr.count("\n") == 1
        assert "ftlint-clash-pack" in res.stderr and "builtin" in res.stderr
        assert "Traceback" not in res.stderr


def test_code_clash_between_two_packs_names_both(site: Path, tmp_path: Path) -> None:
    make_pack(site, "ftlint_alpha_pack", "ftlint-alpha-pack",
              HEADER + rule_source("A", "ACME001", "acme-alpha") + "\n\ndef rules():\n    return [A]\n", entry="alpha")
    make_pack(site, "ftlint_beta_pack", "ftlint-beta-pack",
              HEADER + rule_source("B", "ACME001", "acme-beta") + "\n\ndef rules():\n    return [B]\n", entry="beta")
    with pytest.raises(PluginError) as exc:
        load_registry()
    msg = str(exc.value)
    assert "code clash" in msg
    assert "'ftlint-alpha-pack'" in msg and "'ftlint-beta-pack'" in msg
    write_data(tmp_path)
    res = ftlint("check", "data/train.jsonl", "--isolated", cwd=tmp_path)
    assert res.returncode == 2
    assert "ftlint-alpha-pack" in res.stderr and "ftlint-beta-pack" in res.stderr


# -- a rule that crashes ------------------------------------------------------------------------------

CRASHING = HEADER + rule_source("Crashy", "CRS001", "crashy-rule",
                                body="def check(self, ctx):\n    raise ZeroDivisionError('oops')\n    yield\n") \
    + "\n\ndef rules():\n    return [Crashy]\n"


def test_a_crashing_plugin_rule_is_failed_and_exits_2(site: Path, tmp_path: Path) -> None:
    make_pack(site, "ftlint_crash_pack", "ftlint-crash-pack", CRASHING)
    data = write_data(tmp_path)
    report = check([data], settings=iso_settings(tmp_path), no_cache=True)
    failed = {o.code: o for o in report.outcomes if o.outcome == "failed"}
    assert set(failed) == {"CRS001"}
    assert "ZeroDivisionError: oops" in (failed["CRS001"].reason or "")
    assert "--ignore CRS001" in (failed["CRS001"].fix or "")
    assert {o.code: o.outcome for o in report.outcomes}["FT201"] == "ran"   # the others still ran
    assert report.exit_code(None) == 2
    for extra in ([], ["--exit-zero"], ["--fail-on", "never"]):
        res = ftlint("check", "data/train.jsonl", "--isolated", *extra, cwd=tmp_path)
        assert res.returncode == 2, extra
        assert "CRS001" in res.stdout and "failed" in res.stdout
        assert "rule CRS001 (crashy-rule) failed" in res.stderr
        assert "Traceback" not in res.stdout + res.stderr
    res = ftlint("check", "data/train.jsonl", "--isolated", "--ignore", "CRS001", cwd=tmp_path)
    assert res.returncode in (0, 1)
