"""Generate the README's config reference (from the schema) and its exit-code table (from
the error classes, forecast/errors.py): `python -m forecast.cli.docs`.

Each lives between two markers in README.md; a test fails when one is stale.
"""

from __future__ import annotations

import sys
import types
import typing
from pathlib import Path

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from forecast.config import Config
from forecast.errors import EXIT_CODES

START, END = "<!-- config-reference:start -->", "<!-- config-reference:end -->"
EXIT_START, EXIT_END = "<!-- exit-codes:start -->", "<!-- exit-codes:end -->"


def _type(annotation: object) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:  # int with its bounds: the bounds are their own column
        return _type(args[0])
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (typing.Union, types.UnionType):
        optional = " (optional)" if type(None) in args else ""
        return " or ".join(_type(a) for a in args if a is not type(None)) + optional
    if origin in (list, tuple):
        return f"{origin.__name__} of {_type(args[0])}" if args else origin.__name__
    return getattr(annotation, "__name__", str(annotation))


def _bounds(field: FieldInfo) -> str:
    words = {at.Ge: (">=", "ge"), at.Gt: (">", "gt"), at.Le: ("<=", "le"), at.Lt: ("<", "lt")}
    parts = []
    for meta in field.metadata:
        for kind, (symbol, attribute) in words.items():
            if isinstance(meta, kind):
                parts.append(f"{symbol} {getattr(meta, attribute)}")
    return ", ".join(parts)


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"  # as written in YAML
    text = "—" if value is None else f"`{value}`"
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    said = [extra[key] for key in ("measured", "rhythm") if key in extra]
    return f"{text} ({'; '.join(said)})" if said else text


def _is_section(annotation: object) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _section(path: str, model: type[BaseModel]) -> list[str]:
    lines = ["", f"### `{path}`: {(model.__doc__ or '').strip()}", ""]
    lines += ["| key | type | default | bounds | meaning |", "| --- | --- | --- | --- | --- |"]
    nested = []
    for key, sub in model.model_fields.items():
        if _is_section(sub.annotation):
            lines.append(f"| `{key}` | section | | | see `{path}.{key}` below |")
            nested.append((f"{path}.{key}", sub.annotation))
            continue
        lines.append(f"| `{key}` | {_type(sub.annotation)} | {_default(sub)} | {_bounds(sub)} | {sub.description} |")
    for sub_path, sub_model in nested:
        lines += _section(sub_path, sub_model)
    return lines


def config_reference() -> str:
    lines: list[str] = []
    for name, field in Config.model_fields.items():
        if _is_section(field.annotation):
            lines += _section(name, field.annotation)
        else:
            lines.append(f"- `{name}` ({_type(field.annotation)}, default {_default(field)}): {field.description}")
    return "\n".join(lines).strip() + "\n"


def exit_code_table() -> str:
    return "\n".join(["| code | meaning |", "| --- | --- |", *(f"| {c} | {m} |" for c, m in EXIT_CODES)]) + "\n"


def _between(text: str, start: str, end: str, body: str) -> str:
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    return f"{head}{start}\n{body}{end}{tail}"


def sync_readme(readme: Path) -> bool:
    """Rewrite both generated parts in place; returns True when the file changed."""
    text = readme.read_text(encoding="utf-8")
    updated = _between(text, START, END, config_reference())
    updated = _between(updated, EXIT_START, EXIT_END, exit_code_table())
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
    return updated != text


if __name__ == "__main__":
    changed = sync_readme(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("README.md"))
    print("README.md config reference and exit codes " + ("updated" if changed else "already up to date"))
