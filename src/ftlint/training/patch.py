"""Patching a training config file: key edits applied to its text, comments and layout kept.

A :class:`ConfigEdit` sets (or removes) one key path. :func:`patch_config_text` applies a list of
them: a YAML file is edited line by line (a scalar key is rewritten in place, a removed key is
commented out, new keys are appended in one block); when the line edit cannot express the change
(or its result does not parse back to the intended data) the file is re-written from its data and
the notes say the comments were lost. A JSON file is re-dumped.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftlint.training.plan import split_key

_SCALAR_LINE = re.compile(r"^(?P<head>\s*(?:-\s+)?(?P<key>[A-Za-z_][\w.-]*)\s*:)(?P<value>[^#\n]*?)"
                          r"(?P<comment>\s+#.*)?$")


@dataclass
class ConfigEdit:
    """A key path to set (``remove``: to remove) in the training config, and why."""

    key: str
    value: Any
    why: str
    remove: bool = False

    def describe(self) -> str:
        """One line for ``ftlint fix``'s summary: ```key: value` (why)``."""
        what = f"remove `{self.key}`" if self.remove else f"`{self.key}: {yaml_scalar(self.value)}`"
        return f"{what} ({self.why})"


def yaml_scalar(value: Any) -> str:
    import yaml

    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000).strip()
    return text[:-4].strip() if text.endswith(("\n...", " ...")) else text.removesuffix("...").strip()


def set_path(data: Any, key: str, value: Any, remove: bool) -> None:
    parts = split_key(key)
    cur = data
    for p in parts[:-1]:
        cur = cur[p]
    if remove:
        if isinstance(cur, dict):
            cur.pop(parts[-1], None)
    else:
        cur[parts[-1]] = value


def patch_yaml_text(text: str, edits: list[ConfigEdit], key_lines: Mapping[str, int]) -> str:
    """Edit the YAML text line by line so comments and layout stay: a scalar key on its line is
    rewritten in place, a removed key is commented out, new keys are appended in one block."""
    lines = text.splitlines()
    appended: list[str] = []
    for e in edits:
        ln = key_lines.get(e.key)
        top = "." not in e.key and "[" not in e.key
        if ln is not None:
            m = _SCALAR_LINE.match(lines[ln - 1])
            if m is not None and m.group("value").strip():
                if e.remove:
                    text = lines[ln - 1]
                    lead = text[: len(text) - len(text.lstrip())]
                    lines[ln - 1] = f"{lead}# {text.strip()}  # ftlint fix: removed ({e.why})"
                else:
                    lines[ln - 1] = (f"{m.group('head')} {yaml_scalar(e.value)}"
                                     f"{m.group('comment') or ''}  # ftlint fix: {e.why}")
                continue
            if not top:
                raise ValueError(f"cannot edit {e.key} in place")
            # a block value: comment the key and its indented lines out, then append the new value
            start = ln - 1
            indent = len(lines[start]) - len(lines[start].lstrip())
            end = start + 1
            while end < len(lines) and (not lines[end].strip()
                                        or len(lines[end]) - len(lines[end].lstrip()) > indent):
                end += 1
            for k in range(start, end):
                if lines[k].strip():
                    lines[k] = "# " + lines[k]
            if e.remove:
                continue
        elif e.remove:
            continue
        elif not top:
            raise ValueError(f"cannot add {e.key} in place")
        block = _yaml_block(e.key, e.value)
        appended.append(f"# {e.why}")
        appended.extend(block)
    out = "\n".join(lines)
    if appended:
        out = out.rstrip("\n") + "\n\n# --- added by ftlint fix ---\n" + "\n".join(appended)
    return out + "\n"


def _yaml_block(key: str, value: Any) -> list[str]:
    import yaml

    return yaml.safe_dump({key: value}, default_flow_style=False, sort_keys=False, allow_unicode=True,
                          width=10_000).rstrip("\n").splitlines()


def patch_config_text(path: Path, raw: Mapping[str, Any], key_lines: Mapping[str, int],
                      edits: list[ConfigEdit]) -> tuple[str, list[str]]:
    """The text of the config at ``path`` (parsed as ``raw``, its keys at ``key_lines``) with
    ``edits`` applied, and notes (the comments could not be kept)."""
    import yaml

    src = Path(path)
    text = src.read_text(encoding="utf-8-sig")
    if not edits:
        return text, []
    data = copy.deepcopy(dict(raw))
    for e in edits:
        set_path(data, e.key, e.value, e.remove)
    if src.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n", []
    try:
        new = patch_yaml_text(text, edits, dict(key_lines))
        ok = yaml.safe_load(new) == data
    except (ValueError, yaml.YAMLError, IndexError):
        ok = False
    if ok:
        return new, []
    # the line edit could not express it: write the data itself (comments lost)
    return (yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000),
            ["the config was re-written from its parsed data: its comments are not kept"])


__all__ = ["ConfigEdit", "patch_config_text", "patch_yaml_text", "set_path", "yaml_scalar"]
