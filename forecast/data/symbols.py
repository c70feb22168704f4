"""Symbols (series names): the only user text that becomes part of a file name in the cache."""

from __future__ import annotations

import re

MAX_LENGTH = 32
# Yahoo symbols use letters, digits and . - ^ = (BRK-B, ^GSPC, EURUSD=X, RY.TO).
# The first character may not be '.' or '-', so '.', '..' and option-like names are out:
# no symbol can name a path outside the cache root.
_PATTERN = re.compile(r"^[A-Z0-9^][A-Z0-9.\-^=]*$")


def normalise_symbol(raw: str) -> str:
    """Return the upper-cased symbol, or raise ValueError saying what is allowed."""
    symbol = raw.strip().upper()
    if not symbol:
        raise ValueError("symbol is empty")
    if len(symbol) > MAX_LENGTH:
        raise ValueError(f"symbol is {len(symbol)} characters long; at most {MAX_LENGTH}")
    if not _PATTERN.match(symbol) or not re.search(r"[A-Z0-9]", symbol):
        raise ValueError(f"symbol {raw!r} may hold only letters, digits and . - ^ = (and may not start with . or -)")
    return symbol


def symbol_from_filename(stem: str) -> str:
    """A cache symbol for a local file: its name with disallowed characters made '-'."""
    cleaned = re.sub(r"[^A-Za-z0-9.\-^=]+", "-", stem).strip(".-")[:MAX_LENGTH]
    return normalise_symbol(cleaned or "CSV")
