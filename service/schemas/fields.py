"""Strict marshmallow fields and schema bases: JSON types are taken as sent, never coerced.

Every clinical number is a Decimal compared with Decimals; every instant carries its offset and lies within
bounds a clinic's world allows, so that no conversion between zones can overflow.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from importlib import resources

from marshmallow import RAISE, Schema, ValidationError, fields

from service.errors import Refused
from service.rules.flags import METER_HIGH, METER_LOW


class StrictSchema(Schema):
    """Input: unknown fields are refused by name."""

    class Meta:
        unknown = RAISE


class OutSchema(Schema):
    """Output: every field is always present (null where it has no value), so the document marks them required."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = True


class StrictBoolean(fields.Boolean):
    """true or false only: not "yes", not 1."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("Not a valid boolean.")
        return value


class StrictInteger(fields.Integer):
    """A JSON integer: not 2.0, not "2", not true."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Not a valid integer.")
        return super()._deserialize(value, attr, data, **kwargs)


class QueryInteger(fields.Integer):
    """An integer in a query string, where every value arrives as text: digits only, no sign, no spaces."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > 12:
            raise ValidationError("Not a valid integer.")
        return super()._deserialize(value, attr, data, **kwargs)


def json_number(value) -> Decimal:
    """A finite JSON number taken as sent, as an exact Decimal: a string or a boolean is refused, not coerced."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValidationError("Not a valid number.")
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValidationError("Not a valid number.") from exc
    # Beyond any clinical number: refuse before quantize, which raises on numbers wider than the decimal context.
    if not number.is_finite() or abs(number) >= 1_000_000:
        raise ValidationError("Not a valid number.")
    return number


class DecimalNumber(fields.Field):
    """A JSON number with at most `places` decimals within [low, high], as a Decimal (compared as decimals)."""

    def __init__(self, low: Decimal, high: Decimal, places: int, what: str, **kwargs):
        super().__init__(**kwargs)
        self.low, self.high, self.step, self.what = low, high, Decimal(1).scaleb(-places), what
        self.metadata.setdefault("minimum", float(low))
        self.metadata.setdefault("maximum", float(high))

    def _deserialize(self, value, attr, data, **kwargs):
        number = json_number(value)
        if number != number.quantize(self.step):
            raise ValidationError(f"{self.what} has at most {-self.step.as_tuple().exponent} decimal place(s).")
        if not self.low <= number <= self.high:
            raise ValidationError(f"{self.what} is from {self.low} to {self.high}.")
        return number.quantize(self.step)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else float(value)


class Inr(DecimalNumber):
    """An INR as a JSON number with one decimal place (the meter's resolution), within the meter's 0.8–8.0.

    A string such as "2.5" is refused rather than coerced; so is 2.55, which no meter displays.
    """

    def __init__(self, **kwargs):
        super().__init__(METER_LOW, METER_HIGH, 1, "An INR", **kwargs)


class Milligrams(DecimalNumber):
    """A warfarin dose in mg, 0 to 50 with at most two decimals (1.25 = half a 2.5 mg tablet)."""

    def __init__(self, **kwargs):
        super().__init__(Decimal(0), Decimal(50), 2, "A dose in mg", **kwargs)


# Instants: wide enough for any record a clinic keeps, narrow enough that moving between zones cannot overflow.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200
MAX_OFFSET = timedelta(hours=14)  # UTC+14:00 (Kiribati) and UTC-12:00 are the extremes in use


class Instant(fields.AwareDateTime):
    """An ISO 8601 date-time with its UTC offset (within ±14:00), between the years 1900 and 2200.

    The offset the client sent is kept on the value; storing it as UTC is the domain's business.
    """

    def __init__(self, **kwargs):
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        offset = moment.utcoffset()
        if offset is None or abs(offset) > MAX_OFFSET:
            raise ValidationError("The UTC offset must lie within -14:00 and +14:00.")
        # Judged on the wall clock, before any conversion: year 1 or 9999 cannot overflow a comparison.
        if not EARLIEST_YEAR <= moment.year < LATEST_YEAR:
            raise ValidationError(f"Must be a time between the years {EARLIEST_YEAR} and {LATEST_YEAR}.")
        return moment


class Day(fields.Date):
    """A calendar date between 1900 and 2200; the domain narrows it to what the clinic's world allows."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST_YEAR <= day.year < LATEST_YEAR:
            raise ValidationError(f"Must be a date between the years {EARLIEST_YEAR} and {LATEST_YEAR}.")
        return day


class PastDate(Day):
    """A calendar date not after today (the request's clock) and not before `earliest_year`."""

    def __init__(self, earliest_year: int = 1900, **kwargs):
        super().__init__(**kwargs)
        self.earliest_year = earliest_year

    def _deserialize(self, value, attr, data, **kwargs):
        from service import clock

        day = super()._deserialize(value, attr, data, **kwargs)
        if day.year < self.earliest_year or day > clock.now().date():
            raise ValidationError(f"Must be a date from {self.earliest_year} to today.")
        return day


@functools.cache
def canonical_zones() -> frozenset[str]:
    """The canonical IANA zone names (zone1970.tab and zone.tab of the tzdata package, and UTC).

    Links and legacy names ("US/Eastern", "EST5EDT", "localtime", "Factory") are left out: a patient's zone
    is where they live, named the way the zone database names it today.
    """
    names = {"UTC"}
    for table in ("zone1970.tab", "zone.tab"):
        text = resources.files("tzdata.zoneinfo").joinpath(table).read_text(encoding="utf-8")
        names.update(line.split("\t")[2] for line in text.splitlines() if line and not line.startswith("#"))
    return frozenset(names)


class TimeZoneName(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        name = super()._deserialize(value, attr, data, **kwargs)
        if name not in canonical_zones():
            raise ValidationError("Not a canonical IANA time zone name (for example America/New_York).")
        return name


class EachOnItsOwn(fields.List):
    """A list whose items are validated one by one: a bad item becomes `Refused(errors)`, never the whole list."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise ValidationError("Not a valid list.")
        items = []
        for item in value:
            try:
                items.append(self.inner.deserialize(item, **kwargs))
            except ValidationError as exc:
                items.append(Refused(exc.messages))
        if self.validate:
            self._validate(items)
        return items
