"""Demographic term lexicons: data files users can extend or replace, and a vectorised term counter.

Built-in lexicons are TOML files in ``ftlint/data/lexicons/``::

    name = "gender"
    description = "gendered pronouns, kinship and address terms"
    enabled = true            # used unless the settings turn it off
    [groups]
    female = ["she", "her", ...]
    male = ["he", "him", ...]

The settings choose them with a ``[lexicons]`` table::

    [lexicons]
    gender = "lexicons/gender.toml"      # replace the built-in (or, with extend = true in the file, add to it)
    religion = true                      # turn on a built-in that is off by default
    nationality = "lexicons/nat.toml"    # a lexicon of your own
    gender = false                       # (or) turn one off

Terms are matched as whole words, case-insensitively; a term may be several words of ASCII
letters, digits, apostrophes and hyphens (RE2's word boundaries are ASCII). Counting
runs one RE2 expression per group over all texts at once (pyarrow), so a million rows cost a
few passes over the text.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ftlint.errors import SettingsError

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "data" / "lexicons"
#: ASCII words (and apostrophes, hyphens), one space between words: what RE2's \b handles
_TERM_RE = re.compile(r"^[a-z0-9'’\-]+(?: [a-z0-9'’\-]+)*$")


@dataclass(frozen=True)
class Lexicon:
    """Named groups of terms (lower case) and where they came from."""

    name: str
    description: str
    groups: dict[str, tuple[str, ...]]
    source: str  # "builtin" or the file's path
    enabled: bool = True

    def identity(self) -> tuple[object, ...]:
        """A hashable key of the content (memoisation key of the term counts)."""
        return (self.name, tuple((g, terms) for g, terms in sorted(self.groups.items())))


def _parse(path: Path, shown: str, name: str | None) -> tuple[Lexicon, bool]:
    """Read one lexicon file; returns it and whether it only extends the built-in of its name."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"lexicon file not found: {path}", shown) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise SettingsError(f"cannot read lexicon file {path}: {e}", shown) from None
    groups = data.get("groups")
    if not isinstance(groups, dict) or not groups:
        raise SettingsError(f"lexicon file {path}: needs a [groups] table of group = [\"term\", ...]", shown)
    out: dict[str, tuple[str, ...]] = {}
    seen: dict[str, str] = {}
    for group, terms in groups.items():
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            raise SettingsError(f"lexicon file {path}: group '{group}' must be a list of strings", shown)
        clean: list[str] = []
        for t in terms:
            term = " ".join(t.lower().split())
            if not term or not _TERM_RE.match(term):
                raise SettingsError(f"lexicon file {path}: group '{group}' has an empty or invalid term {t!r}",
                                    shown)
            if term in seen and seen[term] != group:
                raise SettingsError(f"lexicon file {path}: term {term!r} is in groups '{seen[term]}' and "
                                    f"'{group}'; a term must name one group", shown)
            seen[term] = group
            clean.append(term)
        out[str(group)] = tuple(dict.fromkeys(clean))
    lex_name = name or str(data.get("name") or path.stem)
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        raise SettingsError(f"lexicon file {path}: 'enabled' must be true or false", shown)
    extend = data.get("extend", False)
    if not isinstance(extend, bool):
        raise SettingsError(f"lexicon file {path}: 'extend' must be true or false", shown)
    return Lexicon(lex_name, str(data.get("description", "")), out, str(path), enabled), extend


def builtin_lexicons() -> dict[str, Lexicon]:
    """Every lexicon shipped with ftlint, by name (enabled or not)."""
    out: dict[str, Lexicon] = {}
    for p in sorted(BUILTIN_DIR.glob("*.toml")):
        lex, _ = _parse(p, str(p), None)
        out[lex.name] = Lexicon(lex.name, lex.description, lex.groups, "builtin", lex.enabled)
    return out


def resolve_lexicons(config: Mapping[str, Path | bool] | None = None, shown: str = "settings") -> list[Lexicon]:
    """The lexicons in use: the enabled built-ins, changed by the settings' ``[lexicons]`` table."""
    lexicons = builtin_lexicons()
    active = {name for name, lex in lexicons.items() if lex.enabled}
    for name, value in (config or {}).items():
        if isinstance(value, bool):
            if value and name not in lexicons:
                raise SettingsError(f"[lexicons] {name} = true: there is no built-in lexicon '{name}' "
                                    f"(built-in: {', '.join(sorted(lexicons))}); give a file path instead", shown)
            (active.add if value else active.discard)(name)
            continue
        lex, extend = _parse(Path(value), shown, name)
        if extend:
            base = lexicons.get(name)
            if base is None:
                raise SettingsError(f"lexicon file {value}: extend = true, but there is no built-in lexicon "
                                    f"'{name}' to extend", shown)
            groups = {g: tuple(dict.fromkeys(base.groups.get(g, ()) + lex.groups.get(g, ())))
                      for g in dict.fromkeys([*base.groups, *lex.groups])}
            lex = Lexicon(name, base.description, groups, f"builtin + {value}")
        lexicons[name] = lex
        active.add(name)
    return [lexicons[n] for n in sorted(active)]


# -- counting -------------------------------------------------------------------------------------

def group_pattern(terms: Sequence[str]) -> str:
    """One case-insensitive whole-word expression for ``terms`` (RE2 and Python ``re`` syntax)."""
    alts = []
    for t in sorted(terms, key=len, reverse=True):
        words = [re.escape(w).replace("'", "['’]") for w in t.split(" ")]
        alts.append(r"\s+".join(words))
    return r"(?i)\b(?:" + "|".join(alts) + r")\b"


#: words that may stand capitalised before a term without making it part of a name ("The King said")
_NOT_NAMES = frozenset("the a an this that these those our my his her their your its every each no one any "
                       "dear young old".split())
_NAME_LINKS = r"(?:of|des|de|du|la|le|van|von|der|da|di)"


def _name_pattern(lexicon: Lexicon) -> re.Pattern[str] | None:
    """A capitalised term right after a capitalised word (``Burger King``, ``Isle of Man``, ``Parc des
    Princes``, ``Stephen King``): part of a proper name, not a mention of a person's gender."""
    terms = sorted({t for ts in lexicon.groups.values() for t in ts if " " not in t}, key=len, reverse=True)
    if not terms:
        return None
    alts = "|".join(re.escape(t[:1].upper() + t[1:]) for t in terms)
    return re.compile(r"\b([A-Z][\w'’\-]*)(\s+" + _NAME_LINKS + r"\s+|\s+)(" + alts + r")\b")


def _mask_names(text: str, pattern: re.Pattern[str]) -> str:
    def repl(m: re.Match[str]) -> str:
        if m.group(1).lower() in _NOT_NAMES:
            return m.group(0)
        return m.group(1) + m.group(2) + "_" * len(m.group(3))

    return pattern.sub(repl, text)


def count_terms(texts: Sequence[str], lexicon: Lexicon) -> dict[str, np.ndarray]:
    """Occurrences of each group's terms in each text: ``{group: int32 array of len(texts)}``. A
    capitalised term inside a proper name (``Burger King``, ``Isle of Man``) is not counted."""
    import pyarrow.compute as pc

    from ftlint.features.text import arrow_ints, arrow_strings

    n = len(texts)
    out = {g: np.zeros(n, dtype=np.int32) for g in lexicon.groups}
    patterns = {g: group_pattern(terms) for g, terms in lexicon.groups.items() if terms}
    names = _name_pattern(lexicon)
    batch = 65_536
    for lo in range(0, n, batch):
        part = texts[lo:lo + batch]
        arr = arrow_strings(part)
        for g, pat in patterns.items():
            out[g][lo:lo + len(part)] = arrow_ints(pc.count_substring_regex(arr, pat))
        if names is None:
            continue
        # only the rows with a term are read again with proper names masked (the rest count 0 either way)
        hit = (np.flatnonzero(np.any([out[g][lo:lo + len(part)] for g in patterns], axis=0)) if patterns
               else np.empty(0, dtype=np.intp))
        if len(hit):
            masked = arrow_strings([_mask_names(part[k], names) if isinstance(part[k], str) else part[k]
                                    for k in hit.tolist()])
            for g, pat in patterns.items():
                out[g][lo + hit] = arrow_ints(pc.count_substring_regex(masked, pat))
    return out


__all__ = ["BUILTIN_DIR", "Lexicon", "builtin_lexicons", "count_terms", "group_pattern", "resolve_lexicons"]
