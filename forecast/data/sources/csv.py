"""A local CSV with a date column and numeric columns.

Problems are reported with the file's line numbers (the header is line 1), at most a
few at a time; they are repaired (rows dropped, sorted, de-duplicated) only when the
user asks for it with `data.repair: true` / `--repair`, and the repair is logged.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from forecast.data.sources import DataRequest, Fetched
from forecast.data.sources.dates import check_spacing, parse_dates
from forecast.data.sources.shared import normalise, restrict, snake
from forecast.errors import DataError, MissingInputError

log = logging.getLogger(__name__)
SHOW = 5  # line numbers quoted per problem


def _lines(positions: pd.Index | list[int]) -> str:
    numbers = [int(p) + 2 for p in positions]  # +1 for 1-based, +1 for the header line
    more = f" and {len(numbers) - SHOW} more" if len(numbers) > SHOW else ""
    label = "line" if len(numbers) == 1 else "lines"
    return f"{label} {', '.join(map(str, numbers[:SHOW]))}{more}"


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise MissingInputError(f"CSV file {path} not found", hint="check data.path or the path given to fetch")
    try:
        # Everything as text first: we decide what is a bad number, not the parser.
        return pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except UnicodeDecodeError as exc:
        raise DataError(f"CSV file {path} is not UTF-8 text") from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"CSV file {path} cannot be parsed: {str(exc).strip()}") from exc


def _span(config: DataRequest) -> str:
    return ", ".join(f"data.{k} {getattr(config, k)}" for k in ("start", "end", "period") if getattr(config, k))


def _date_column(table: pd.DataFrame, wanted: str, path: Path) -> str:
    for column in table.columns:
        if column == wanted or snake(column) == snake(wanted):
            return column
    raise DataError(
        f"CSV file {path} has no date column {wanted!r} (columns: {', '.join(map(str, table.columns))})",
        hint="set data.date_column (or --date-column) to the name of its date column",
    )


def read_csv_series(config: DataRequest) -> pd.DataFrame:
    path = config.path
    assert path is not None  # DataConfig requires a path for source csv
    table = _read(path)
    date_col = _date_column(table, config.date_column, path)
    blank = table.apply(lambda col: col.str.strip() == "").all(axis=1)
    table = table[~blank]
    problems: list[str] = []
    bad_rows = pd.Series(False, index=table.index)

    text_dates = table[date_col].str.strip()
    dates = parse_dates(text_dates, str(date_col), path, config.date_format)
    bad_dates = dates.isna()
    if bad_dates.any():
        first = table.index[bad_dates][0]
        wanted = f", not {config.date_format!r} (data.date_format)" if config.date_format else ""
        problems.append(f"unreadable dates at {_lines(table.index[bad_dates])} (e.g. {text_dates[first]!r}{wanted})")
        bad_rows |= bad_dates

    values = {}
    for column in table.columns.drop(date_col):
        text = table[column].str.strip()
        numbers = pd.to_numeric(text, errors="coerce")
        unparsed = numbers.isna() & (text != "")
        if unparsed.all():
            log.info("CSV %s: column %r is not numeric; ignored", path, column)
            continue
        if unparsed.any():
            first = table.index[unparsed][0]
            problems.append(
                f"column {column!r} has non-numeric values at {_lines(table.index[unparsed])} "
                f"(e.g. {text[first]!r}; write plain numbers without thousands separators or currency signs)"
            )
            bad_rows |= unparsed
        empty = text == ""
        if empty.any():
            problems.append(f"column {column!r} is empty at {_lines(table.index[empty])}")
            bad_rows |= empty
        values[snake(column)] = numbers
    if not values:
        others = [c for c in table.columns.drop(date_col) if (table[c].str.strip() != "").any()]
        example = ""
        if others:
            column = table[others[0]].str.strip()
            example = f" ({others[0]!r} has values such as {column[column != ''].iloc[0]!r})"
        raise DataError(
            f"CSV file {path} has no numeric columns besides {date_col!r}{example}",
            hint="write plain numbers, without thousands separators or currency signs",
        )

    frame = pd.DataFrame(values, index=table.index).assign(date=dates)
    good = frame[~bad_rows]
    duplicated = good["date"].duplicated(keep=False)
    if duplicated.any():
        problems.append(f"duplicate dates at {_lines(good.index[duplicated])}")
    backwards = good["date"].diff() < pd.Timedelta(0)
    if backwards.any():
        problems.append(f"dates out of order at {_lines(good.index[backwards])}")

    if problems and not config.repair:
        raise DataError(
            f"CSV file {path}: {problems[0]}" + (f"; {len(problems) - 1} more problem(s)" if len(problems) > 1 else ""),
            hint="fix the file, or pass --repair (data.repair: true) to drop bad rows, sort and de-duplicate",
        )
    if problems:
        log.warning("CSV %s repaired: dropped %d bad row(s); %s", path, int(bad_rows.sum()), "; ".join(problems))
    check_spacing(good["date"].drop_duplicates(keep="last"), str(date_col), path)
    # normalise() sorts and keeps the last of duplicate dates: the repair the user asked for.
    return normalise(good.set_index("date"), config.interval, keep=None)


def fetch(config: DataRequest) -> Fetched:
    whole = read_csv_series(config)
    frame = restrict(whole, config)
    if frame.empty:
        raise DataError(
            f"CSV file {config.path} has no rows in the requested date range ({_span(config)}); the file holds "
            f"{whole.index[0].date()}..{whole.index[-1].date()}",
            hint="set data.start, data.end and data.period to null to use the whole file",
        )
    if len(frame) < len(whole):  # a config written for another series (MSFT's span) must not cut this one unseen
        log.warning(
            "CSV %s: %s keep %d of its %d rows (%s..%s); set them to null to use the whole file",
            config.path,
            _span(config),
            len(frame),
            len(whole),
            frame.index[0].date(),
            frame.index[-1].date(),
        )
    # A CSV says nothing about adjustment: record none rather than guess.
    return Fetched(frame, (), f"csv {config.path}")
