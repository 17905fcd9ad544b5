"""Which versions of a framework's dependencies a config is run with, from the pins its repository
keeps (``requirements*.txt``, ``pyproject.toml``, ``setup.py`` next to the config or in a parent
folder), so version-dependent advice (a key that transformers 5 removed but 4.x needs) is given
only where it applies, and otherwise says which versions it assumes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: files that pin dependencies, looked for in the config's folder and up to three parents
PIN_FILES = ("requirements.txt", "requirements-train.txt", "requirements_train.txt", "pyproject.toml", "setup.py",
             "setup.cfg", "environment.yml")
_SPEC_RE = r"((?:\s*(?:==|>=|<=|~=|!=|<|>)\s*[0-9][0-9a-z.*+-]*\s*,?)+)"


@dataclass(frozen=True)
class Pin:
    package: str
    spec: str  # e.g. ">=4.49,<5"
    file: str

    def allows_major(self, major: int) -> bool | None:
        """Whether the pin admits some version of the given major (None when it cannot say)."""
        try:
            from packaging.specifiers import InvalidSpecifier, SpecifierSet
        except ImportError:  # pragma: no cover - packaging ships with pip's environments
            return None
        try:
            spec = SpecifierSet(self.spec.replace(" ", "").rstrip(","))
        except InvalidSpecifier:
            return None
        mentioned = [s.version.rstrip(".*") for s in spec if s.version.split(".")[0] == str(major)]
        probes = [f"{major}.{minor}.0" for minor in range(100)] + mentioned
        return any(spec.contains(v, prereleases=True) for v in probes)


def find_pin(config: Path, package: str, depth: int = 3) -> Pin | None:
    """The first pin of ``package`` in a pin file beside ``config`` or in up to ``depth`` parents."""
    rx = re.compile(r"(?<![\w-])" + re.escape(package) + r"(?:\[[^\]]*\])?\s*" + _SPEC_RE, re.I)
    folder = config.resolve().parent
    for _ in range(depth + 1):
        for name in PIN_FILES:
            f = folder / name
            try:
                if not f.is_file() or f.stat().st_size > 1_000_000:
                    continue
                text = f.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            m = rx.search(text)
            if m:
                return Pin(package, m.group(1).strip().rstrip(","), str(f))
        if folder.parent == folder:
            break
        folder = folder.parent
    return None


#: what a framework itself requires of a dependency, where the config's repository pins nothing: the
#: framework's own ``pyproject.toml``/``setup.py`` at the version the range was read from
FRAMEWORK_PINS: dict[tuple[str, str], Pin] = {
    ("llamafactory", "transformers"): Pin("transformers", "<=4.57.1",
                                          "LLaMA-Factory's own requirements (pyproject.toml, late 2025)"),
}


def framework_pin(framework: str, package: str) -> Pin | None:
    """The range a framework declares for ``package`` (see :data:`FRAMEWORK_PINS`), or None."""
    return FRAMEWORK_PINS.get((framework, package))
