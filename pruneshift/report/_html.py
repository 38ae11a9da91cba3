"""report.html: one self-contained file (figures inlined, no script, no network fetch)."""

from __future__ import annotations

import base64
import re
from html import escape

from ._page import Section, Table

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1180px;
       margin: 2em auto; padding: 0 1.2em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; }
#answer p:first-of-type { font-size: 1.15em; font-weight: 600; }
code { background: #f3f3f3; padding: 0 0.2em; font-size: 0.95em; }
nav a { margin-right: 1em; }
.wide { overflow-x: auto; } table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.88em; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.6em; text-align: right; }
th { background: #f4f6f8; } td:first-child, th:first-child, td.text { text-align: left; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.88em; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
div.heatbox { display: inline-block; vertical-align: top; max-width: 100%; overflow-x: auto;
              margin-right: 1em; }  /* ratios side by side where the screen has room */
table.heat td { text-align: center; min-width: 2.6em; cursor: help; }
table.heat caption { caption-side: bottom; font-size: 0.85em; color: #555; text-align: left; }
"""

# No script, no external resource: the policy forbids fetching anything but inline images.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


NUMBER_FIRST = re.compile(r"\s*[-+−]?\d|\s*–\s*$")  # right-aligned; a cell led by words: left


def _cell(text: str) -> str:
    return (f"<td>{escape(text)}</td>" if NUMBER_FIRST.match(text)
            else f'<td class="text">{escape(text)}</td>')


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in table.rows)
    return (f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
            "</table></div>")  # a wide table scrolls on a narrow screen, not the page


def _inline(text: str) -> str:
    """Escaped text whose `backticked` spans become code."""
    pieces = escape(text).split("`")
    if len(pieces) % 2 == 0:  # an unmatched backtick stays as it is
        return escape(text)
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(pieces))


def _section(section: Section) -> str:
    parts = [f'<section id="{escape(section.anchor)}"><h2>{escape(section.title)}</h2>']
    parts += [f"<p>{_inline(p)}</p>" for p in section.paragraphs]
    parts += [_table(t) for t in section.tables]
    if section.html:
        parts.append(section.html)
    for path, caption in section.figures:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        parts.append(f'<figure><img src="data:image/png;base64,{data}" alt="{escape(caption)}">'
                     f"<figcaption>{escape(caption)}</figcaption></figure>")
    if section.code:
        parts.append(f"<pre>{escape(section.code)}</pre>")
    return "\n".join(parts) + "</section>"


def render_html(title: str, sections: list[Section]) -> str:
    """The whole report as one HTML document."""
    nav = " ".join(f'<a href="#{escape(s.anchor)}">{escape(s.title)}</a>' for s in sections)
    body = "\n".join(_section(s) for s in sections)
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{escape(title)}</h1><nav>{nav}</nav>\n{body}\n</body></html>\n")
