"""Stems and texts as safe HTML: plain text escaped, Markdown rendered,
HTML sanitised (nh3), so no script or event handler reaches a page."""

from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "sub", "sup", "ul", "ol", "li", "blockquote", "code", "pre",
    "table", "thead", "tbody", "tr", "th", "td", "h3", "h4", "h5", "span", "div", "a", "img", "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "td": {"colspan", "rowspan"},
                      "th": {"colspan", "rowspan"}}


def sanitise_html(html: str) -> str:
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")


def render_text(text: str, text_format: str = "plain", inline: bool = False) -> Markup:
    """`inline` for texts inside a line, such as an option's label: Markdown
    then makes no paragraph."""
    if text_format in ("html", "markdown"):
        return _render_rich(text or "", text_format, inline)
    return Markup("<br>").join(escape(line) for line in (text or "").split("\n"))


@functools.lru_cache(maxsize=4096)
def _render_rich(text: str, text_format: str, inline: bool = False) -> Markup:
    """Pure and a little costly (parse + sanitise): every attempt page shows the
    same stems again, so each text is rendered once per process."""
    if text_format == "html":
        return Markup(sanitise_html(text))  # noqa: S704  (sanitised above)
    rendered = _markdown.renderInline(text) if inline else _markdown.render(text)
    return Markup(sanitise_html(rendered))  # noqa: S704
