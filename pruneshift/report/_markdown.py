"""report.md: the same sections as the HTML report, with figures linked from figures/."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from ._page import Section, Table


def _text(value: str) -> str:
    """Markdown-safe text: HTML characters escaped, table pipes too."""
    return escape(value, quote=False).replace("|", "\\|")


def _table(table: Table) -> list[str]:
    lines = ["| " + " | ".join(_text(h) for h in table.headers) + " |",
             "|" + "---|" * len(table.headers)]
    lines += ["| " + " | ".join(_text(c) for c in row) + " |" for row in table.rows]
    return lines + [""]


def render_markdown(title: str, sections: list[Section], run_dir: Path) -> str:
    """The report as Markdown; figure links are relative to ``run_dir``."""
    lines = [f"# {_text(title)}", ""]
    for section in sections:
        lines += [f"## {_text(section.title)}", ""]
        for paragraph in section.paragraphs:
            lines += [_text(paragraph), ""]
        for table in section.tables:
            lines += _table(table)
        for path, caption in section.figures:
            lines += [f"![{_text(caption)}]({path.relative_to(run_dir).as_posix()})", ""]
        if section.code:
            fence = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", section.code)),
                                         default=0))
            lines += [f"{fence}yaml", section.code.rstrip(), fence, ""]
    return "\n".join(lines)
