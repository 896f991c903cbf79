"""The years a date in the office's records may fall in: 1900–2199.

Far past any real 公文, meeting or deadline, and far enough from the calendar's ends (years
1 and 9999) that adding a time limit, a working day or a time zone to such a date never runs
off it. A date outside is refused where it comes in (a push, a form, an imported calendar).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, TypeVar

from pydantic import AfterValidator, AwareDatetime

FIRST_YEAR, LAST_YEAR = 1900, 2199

D = TypeVar("D", date, datetime)


def in_range(value: date) -> bool:
    """Whether a date (or a datetime, by its own wall clock) falls in FIRST_YEAR–LAST_YEAR."""
    return FIRST_YEAR <= value.year <= LAST_YEAR


def _checked(value: D) -> D:
    if not in_range(value):
        raise ValueError(f"year outside {FIRST_YEAR}–{LAST_YEAR}")
    return value


#: a datetime or date field of a domain model, refused outside the range
SaneDatetime = Annotated[datetime, AfterValidator(_checked)]
SaneDate = Annotated[date, AfterValidator(_checked)]
SaneAwareDatetime = Annotated[AwareDatetime, AfterValidator(_checked)]
