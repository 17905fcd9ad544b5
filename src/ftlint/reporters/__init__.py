"""Reporters: one module per output format, each ``render(report, options) -> str``; the JSON
ones also ``chunks(report, options)``, the same text in pieces (:func:`get_chunks`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from ftlint.reporters._common import RenderOptions as RenderOptions  # re-exported: callers import it from here

if TYPE_CHECKING:
    from ftlint.findings import Report


Renderer = Callable[["Report", RenderOptions], str]
Chunks = Callable[["Report", RenderOptions], Iterator[str]]


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


def get_chunks(name: str) -> Chunks:
    """The text of ``get_renderer(name)`` in pieces, to write as they come: the JSON and SARIF
    reports a few hundred rows at a time (a report listing tens of thousands of rows is never
    held whole), the other formats in one piece."""
    from ftlint.reporters import jsonfmt, sarif

    streamed: dict[str, Chunks] = {"json": jsonfmt.chunks, "sarif": sarif.chunks}
    if name in streamed:
        return streamed[name]
    render = get_renderer(name)

    def whole(report: Report, options: RenderOptions) -> Iterator[str]:
        yield render(report, options)

    return whole


FORMATS = ("full", "concise", "json", "sarif", "github", "gitlab", "junit", "markdown", "html")
