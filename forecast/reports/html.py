"""The building blocks of report.html: escaped text, tables, embedded figures, one page.

The page is self-contained on purpose: styles inline, figures as data: URIs, no
scripts, fonts or links to fetch. It opens offline, from a mail attachment, or years
later from an archive, and looks the same.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from forecast.tables import number

CSS = """
:root { --ink: #1a1a1a; --muted: #5f6b73; --line: #d9dee2; --good: #1e7d46; --bad: #b03a2e; --band: #f5f7f8; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--ink); background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
header h1 { font-size: 22px; margin: 0 0 4px; }
header p { margin: 0; color: var(--muted); }
nav { margin: 14px 0 4px; font-size: 13px; }
nav a { margin-right: 14px; color: #2471a3; text-decoration: none; }
section { margin-top: 28px; }
h2 { font-size: 17px; border-bottom: 1px solid var(--line); padding-bottom: 4px; margin: 0 0 12px; }
h3 { font-size: 14px; margin: 16px 0 8px; }
.verdict { margin-top: 16px; padding: 10px 14px; border-radius: 6px; font-weight: 600; border-left: 5px solid; }
.verdict.good { background: #e8f5ee; border-color: var(--good); color: var(--good); }
.verdict.bad { background: #fbeceb; border-color: var(--bad); color: var(--bad); }
.verdict.neutral { background: var(--band); border-color: var(--muted); color: var(--ink); }
table { border-collapse: collapse; font-size: 13px; margin: 4px 0 8px; }
.wide { max-width: 100%; overflow-x: auto; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th { background: var(--band); font-weight: 600; }
th:first-child, td:first-child { text-align: left; }
tr.highlight td { font-weight: 600; background: #fdf6e3; }
td.text, th.text { text-align: left; white-space: normal; }
figure { margin: 8px 0 20px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 12px; margin-top: 4px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 0; font-size: 13px; }
dt { color: var(--muted); }
dd { margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
pre { background: var(--band); border: 1px solid var(--line); padding: 10px 12px; font-size: 12px;
      overflow-x: auto; }
.note { color: var(--muted); font-size: 12.5px; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line);
         padding-top: 8px; }
@media print { nav { display: none; } section { break-inside: avoid-page; } }
"""


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def cell(value: Any, digits: int = 4) -> str:
    return number(value, digits)  # as the terminal writes it (forecast/tables.py)


def table(
    columns: list[str],
    rows: list[list[Any]],
    highlight: set[int] | frozenset[int] = frozenset(),
    text_columns: set[int] | frozenset[int] = frozenset(),
) -> str:
    """Cells are pre-formatted strings or values formatted by cell(); every one is escaped."""

    def td(i: int, value: Any, tag: str = "td") -> str:
        css = ' class="text"' if i in text_columns else ""
        return f"<{tag}{css}>{esc(value if isinstance(value, str) else cell(value))}</{tag}>"

    head = "".join(td(i, c, "th") for i, c in enumerate(columns))
    marked = ' class="highlight"'
    body = "".join(
        f"<tr{marked if n in highlight else ''}>{''.join(td(i, v) for i, v in enumerate(row))}</tr>"
        for n, row in enumerate(rows)
    )
    # Wide tables scroll inside their box instead of widening the page.
    return f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def figure(path: Path, caption: str) -> str:
    """The PNG embedded as a data: URI; nothing when the run has no such figure."""
    if not path.is_file():
        return ""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{esc(caption)}">'
        f"<figcaption>{esc(caption)} ({esc(path.name)})</figcaption></figure>"
    )


def facts(pairs: list[tuple[str, Any]]) -> str:
    return "<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{esc(cell(v))}</dd>" for k, v in pairs if v is not None) + "</dl>"


def pre(text: str) -> str:
    return f"<pre>{esc(text)}</pre>"


def note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


def verdict(text: str, good: bool | None) -> str:
    kind = "neutral" if good is None else ("good" if good else "bad")
    return f'<div class="verdict {kind}">{esc(text)}</div>'


def section(anchor: str, title: str, *parts: str) -> str:
    return f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>{"".join(parts)}</section>'


def page(title: str, subtitle: str, top: str, sections: list[tuple[str, str, str]], footer: str) -> str:
    """sections: (anchor, title, html) in order; the nav lists them."""
    nav = "".join(f'<a href="#{esc(anchor)}">{esc(name)}</a>' for anchor, name, _ in sections)
    body = "".join(section(anchor, name, content) for anchor, name, content in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # No network from this page: not even a favicon request.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
        "style-src 'unsafe-inline'\">"
        '<link rel="icon" href="data:,">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>"
        f"<body><main><header><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header>"
        f"{top}<nav>{nav}</nav>{body}<footer>{footer}</footer></main></body></html>\n"
    )
