"""Rule discovery (the built-ins tuple + ``ftlint.rules`` entry points) and selection."""

from __future__ import annotations

import dataclasses
import difflib
import typing
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from ftlint.errors import PluginError, SettingsError, UsageError
from ftlint.model import Severity
from ftlint.rule import Rule, specificity

ENTRY_POINT_GROUP = "ftlint.rules"


@dataclass
class PluginFailure:
    """A rule pack that could not be loaded (reported as FT901, never a crash)."""

    name: str
    distribution: str
    error: str


@dataclass
class Registry:
    rules: list[type[Rule]] = field(default_factory=list)
    failures: list[PluginFailure] = field(default_factory=list)

    def by_code(self) -> dict[str, type[Rule]]:
        return {r.code: r for r in self.rules}

    def by_name(self) -> dict[str, type[Rule]]:
        return {r.name: r for r in self.rules}

    def lookup(self, ref: str) -> type[Rule] | None:
        """A rule by code or name (case-insensitive code)."""
        return self.by_code().get(ref.upper()) or self.by_name().get(ref.lower())


def _add(reg: Registry, rule: type[Rule], source: str) -> None:
    for other in reg.rules:
        if other.code == rule.code or other.name == rule.name:
            what = "code" if other.code == rule.code else "name"
            raise PluginError(
                f"rule {what} clash: {rule.code} {rule.name} from '{source}' and {other.code} {other.name} "
                f"from '{other.source}'"
            )
    rule.source = source
    reg.rules.append(rule)


def load_registry(plugins: bool = True) -> Registry:
    """Built-in rules plus every installed ``ftlint.rules`` pack, each loaded on its own."""
    from ftlint.rules import BUILTIN_RULES

    reg = Registry()
    for r in BUILTIN_RULES:
        _add(reg, r, "builtin")
    if not plugins:
        return reg
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist = getattr(ep.dist, "name", None) or ep.value.split(":")[0]
        try:
            provider = ep.load()
            rules = list(provider())
            for r in rules:
                if not (isinstance(r, type) and issubclass(r, Rule)):
                    raise TypeError(f"{r!r} is not a subclass of ftlint.Rule")
                if r.code.startswith("FT"):
                    raise TypeError(f"rule {r.code}: the FT prefix is reserved for ftlint's built-in rules")
        except PluginError:
            raise
        except Exception as e:  # noqa: BLE001 - a broken pack must not take the run down
            reg.failures.append(PluginFailure(ep.name, dist, f"{type(e).__name__}: {e}"))
            continue
        for r in rules:
            _add(reg, r, dist)
    return reg


# -- selection -------------------------------------------------------------------------------------

def closest(word: str, options: list[str], cutoff: float = 0.6) -> list[str]:
    """The option closest to ``word`` (difflib's ratio, ties broken by the characters in the same
    places: ``FT2O1`` is FT201, not FT621), as a list of zero or one."""
    close = difflib.get_close_matches(word, options, n=5, cutoff=cutoff)
    if not close:
        return []
    ratio = {c: difflib.SequenceMatcher(None, word, c).ratio() for c in close}
    same = {c: sum(a == b for a, b in zip(word.upper(), c.upper())) for c in close}
    return [max(close, key=lambda c: (ratio[c], same[c], [-ord(ch) for ch in c]))]


def validate_selectors(selectors: list[str], reg: Registry, where: str) -> None:
    known = [r.code for r in reg.rules] + [r.name for r in reg.rules]
    for sel in selectors:
        if any(specificity(sel, r) for r in reg.rules) or sel.upper() == "ALL":
            continue
        close = closest(sel, known)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        if reg.failures:
            if where.startswith(("ignore", "per-file-ignores")):
                continue  # ignoring a broken pack's rules must not take the run down
            packs = "; ".join(f"'{f.distribution}' ({f.error})" for f in reg.failures)
            raise UsageError(f"{where}: rule selector '{sel}' names no loaded rule{hint}, and a rule pack "
                             f"failed to load: {packs}")
        raise UsageError(f"{where}: unknown rule selector '{sel}'{hint} (see `ftlint rules`)")


def select_rules(reg: Registry, select: list[str] | None, extend_select: list[str],
                 ignore: list[str]) -> list[type[Rule]]:
    """ruff semantics: the base ``select`` (by default the rules marked ``default``; ``ALL`` is every
    rule) plus ``extend-select``, minus ``ignore``; when a rule matches both, the more specific
    selector wins. A rule outside the default selection runs when a selector names it (its code, a
    prefix of it, its name, or ALL)."""
    base = list(select) if select is not None else []
    chosen = []
    for rule in reg.rules:
        sel = max([specificity(s, rule) for s in base + list(extend_select)] or [0])
        if select is None and rule.default:
            sel = max(sel, 1)  # the default selection: every rule marked default, as ALL would
        ign = max([specificity(s, rule) for s in ignore] or [0])
        if sel and sel > ign:
            chosen.append(rule)
    return sorted(chosen, key=lambda r: r.code)


# -- per-rule settings -------------------------------------------------------------------------------

def _coerce(value: Any, typ: Any, where: str) -> Any:
    origin = typing.get_origin(typ)
    if typ is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SettingsError(f"{where} must be a number")
        return float(value)
    if typ is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"{where} must be an integer")
        return value
    if typ is bool:
        if not isinstance(value, bool):
            raise SettingsError(f"{where} must be true or false")
        return value
    if typ is str:
        if not isinstance(value, str):
            raise SettingsError(f"{where} must be a string")
        return value
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise SettingsError(f"{where} must be a list")
        (inner,) = typing.get_args(typ)[:1] or (Any,)
        return [(_coerce(v, inner, where) if inner is not Any else v) for v in value]
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        args = [a for a in typing.get_args(typ) if a is not type(None)]
        if value is None:
            return None
        last: Exception | None = None
        for a in args:
            try:
                return _coerce(value, a, where)
            except SettingsError as e:
                last = e
        raise last or SettingsError(f"{where} has the wrong type")
    return value


def configure(rule: type[Rule], entries: list[tuple[str, dict[str, Any]]], shown: str = "settings",
              lines: dict[str, int] | None = None) -> tuple[Any, Severity | None]:
    """Build the rule's Options and severity override from its settings tables.

    ``entries`` are ``(name or code as written, table)``; ``lines`` locates keys in the file.
    """
    lines = lines or {}
    hints = typing.get_type_hints(rule.Options)
    fields = {f.name: f for f in dataclasses.fields(rule.Options)}
    kwargs: dict[str, Any] = {}
    severity: Severity | None = None
    for ref, table in entries:
        for key, value in table.items():
            line = lines.get(f"rules.{ref}.{key}") or lines.get(f"rules.{ref}")
            where = f"[rules.{ref}] {key}"
            if key == "severity":
                try:
                    severity = Severity.parse(str(value))
                except ValueError as e:
                    raise SettingsError(f"{where}: {e}", shown, line) from None
                continue
            options = ["severity"] + [n.replace("_", "-") for n in fields]
            attr = key.replace("-", "_")
            if "_" in key or attr not in fields:
                close = difflib.get_close_matches(key.replace("_", "-"), options, n=1, cutoff=0.6)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise SettingsError(f"{where}: unknown option{hint} (options of {rule.code} {rule.name}: "
                                    f"{', '.join(options)})", shown, line)
            try:
                kwargs[attr] = _coerce(value, hints.get(attr, Any), where)
            except SettingsError as e:
                raise SettingsError(e.message, shown, line) from None
    return rule.Options(**kwargs), severity


def rule_tables(settings_rules: dict[str, dict[str, Any]], reg: Registry, shown: str,
                lines: dict[str, int] | None = None) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Map ``[rules.<name or code>]`` tables to rule codes, with a clear error for unknown rules."""
    lines = lines or {}
    out: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for ref, table in settings_rules.items():
        rule = reg.lookup(ref)
        if rule is None:
            known = [r.name for r in reg.rules] + [r.code for r in reg.rules]
            close = difflib.get_close_matches(ref, known, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise SettingsError(f"[rules.{ref}]: no such rule{hint} (see `ftlint rules`)", shown,
                                lines.get(f"rules.{ref}"))
        out.setdefault(rule.code, []).append((ref, table))
    return out
