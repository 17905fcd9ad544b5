"""Reporters: one module per output format, each ``render(report, options) -> str``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ftlint.reporters._common import RenderOptions as RenderOptions  # re-exported: callers import it from here

if TYPE_CHECKING:
    from ftlint.findings import Report


Renderer = Callable[["Report", RenderOptions], str]


def get_renderer(name: str) -> Renderer:
    from ftlint.reporters import (
        concise,
        github,
        gitlab,
        html,
        jsonfmt,
        junit,
        markdown,
        sarif,
        text,
    )

    table: dict[str, Renderer] = {
        "full": text.render,
        "text": text.render,
        "concise": concise.render,
        "json": jsonfmt.render,
        "sarif": sarif.render,
        "github": github.render,
        "gitlab": gitlab.render,
        "junit": junit.render,
        "markdown": markdown.render,
        "html": html.render,
    }
    return table[name]


FORMATS = ("full", "concise", "json", "sarif", "github", "gitlab", "junit", "markdown", "html")
