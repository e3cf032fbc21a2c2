"""Turn a Discourse post's ``cooked`` HTML into plain text an agent and the analyzer can read.

The HTML is parsed, never evaluated: scripts, styles and images vanish
(an emoji image keeps its ``:name:`` alt text), block elements become line
breaks, a quoted post becomes ``> `` lines without Discourse's "name:"
header, and the text is unescaped exactly once.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

BLOCKS = {"p", "div", "br", "li", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "tr"}
SKIPPED = {"script", "style", "noscript", "template"}
VOID = {"img", "br", "hr", "input", "meta", "link", "source", "wbr", "area", "col", "embed", "track"}
SPACES = re.compile(r"[ \t\r\f\v]+")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0  # depth inside elements whose text is dropped
        self.quote = 0  # depth of <blockquote>
        self.title_depth = 0  # inside a quote's "name:" header

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag in SKIPPED:
            self.skip += 1
        elif tag not in VOID and (self.title_depth or (tag == "div" and "title" in classes)):
            self.title_depth += 1  # Discourse's "Dana:" line above a quote
        if tag == "img" and "emoji" in classes and not (self.skip or self.title_depth):
            self.parts.append(dict(attrs).get("alt") or "")
        if tag == "blockquote":
            self.quote += 1
        if tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED and self.skip:
            self.skip -= 1
        elif self.title_depth:
            self.title_depth -= 1
        if tag == "blockquote" and self.quote:
            self.quote -= 1
        if tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skip or self.title_depth:
            return
        if self.quote:
            data = data.replace("\n", "\n\x00")  # mark quoted lines; prefixed once joined
            self.parts.append("\x00" + data)
        else:
            self.parts.append(data)


def cooked_text(cooked: str) -> str:
    """Plain text of ``cooked``, paragraphs on their own lines, quotes as ``> `` lines."""
    parser = _Text()
    parser.feed(cooked or "")
    parser.close()
    lines = []
    for line in "".join(parser.parts).split("\n"):
        quoted = "\x00" in line
        line = SPACES.sub(" ", line.replace("\x00", "")).strip()
        if line:
            lines.append(f"> {line}" if quoted else line)
    return "\n".join(lines)
