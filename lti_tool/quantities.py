"""Hours as people read them, the same on every page, CSV and PDF.

Hours are logged in quarter hours, so every sum of them is a whole number of quarters: shown
to the quarter, 12.75 hours is "12.75" everywhere (never 12.8 on one page and 12.75 on
another). ``quarter_hours`` is the number (for CSV cells and charts), ``hours_text`` the words
(pages and PDFs; the ``hours`` template filter takes minutes)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def quarter_hours(minutes: float | int | None) -> float:
    """Minutes as hours to the nearest quarter (half a quarter rounds up)."""
    quarters = (Decimal(str(minutes or 0)) / 15).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return float(quarters) / 4


def hours_text(minutes: float | int | None) -> str:
    """Minutes as hours to the quarter in words: "12.75", "12.5", "12", "1,234.25"."""
    text = f"{quarter_hours(minutes):,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def hours_value_text(hours: float | int | None) -> str:
    """Hours (not minutes) to the quarter in words, for figures already in hours."""
    return hours_text((hours or 0) * 60)
