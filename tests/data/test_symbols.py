import pytest

from forecast.data.symbols import normalise_symbol, symbol_from_filename


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("MSFT", "MSFT"), ("brk-b", "BRK-B"), ("^GSPC", "^GSPC"), ("EURUSD=X", "EURUSD=X"), ("ry.to", "RY.TO")],
)
def test_valid_symbols_are_upper_cased(raw: str, expected: str) -> None:
    assert normalise_symbol(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", " ", ".", "..", "../etc", "a/b", "a\\b", "MS FT", "MSFT;rm", "$(id)", "A\x00", "-X", "^", "=", "A" * 33],
)
def test_symbols_that_could_escape_or_confuse_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_symbol(raw)


def test_csv_file_names_become_safe_symbols() -> None:
    assert symbol_from_filename("my prices (2024)") == "MY-PRICES-2024"
    assert symbol_from_filename("...") == "CSV"
