"""Strict marshmallow fields and schema base: JSON types are taken as sent, never coerced."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import request
from marshmallow import RAISE, Schema, ValidationError, fields


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class StrictBoolean(fields.Boolean):
    """true or false only: not "yes", not 1."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("Not a valid boolean.")
        return value


class StrictInteger(fields.Integer):
    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Not a valid integer.")
        return super()._deserialize(value, attr, data, **kwargs)


def json_number(value) -> Decimal:
    """A finite JSON number taken as sent, as an exact Decimal: a string or a boolean is refused, not coerced."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError("Not a valid number.")
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValidationError("Not a valid number.") from exc
    if not number.is_finite():
        raise ValidationError("Not a valid number.")
    return number


class Inr(fields.Field):
    """An INR as a JSON number with at most one decimal place (the meter's resolution), as a Decimal.

    A string such as "2.5" is refused rather than coerced; so is 2.55, which no meter displays.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        number = json_number(value)
        # Beyond any INR: refuse before quantize, which raises on numbers wider than the decimal context.
        if abs(number) >= 1000:
            raise ValidationError("Not a valid number.")
        if number != number.quantize(Decimal("0.1")):
            raise ValidationError("INR has one decimal place.")
        return number.quantize(Decimal("0.1"))

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else float(value)


class TimeZoneName(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        name = super()._deserialize(value, attr, data, **kwargs)
        if name not in _zones():
            raise ValidationError("Not a known IANA time zone (for example America/New_York).")
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError("Not a known IANA time zone.") from exc
        return name


_ZONES: set[str] | None = None


def _zones() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones()
    return _ZONES


def load(schema: Schema, partial: bool = False) -> dict:
    """Parse the JSON body with `schema`; a missing or non-object body is a 422 with a clear message."""
    data = request.get_json(silent=False) if request.content_length else None
    if not isinstance(data, dict):
        raise ValidationError({"_schema": ["Send a JSON object."]})
    _refuse_nul_characters(data)
    return schema.load(data, partial=partial)


def load_query(schema: Schema) -> dict:
    data = request.args.to_dict()
    _refuse_nul_characters(data)
    return schema.load(data)


def _refuse_nul_characters(data, path: tuple = ()) -> None:
    """NUL is never meaningful in clinical text, and PostgreSQL cannot store it: refuse it by field."""
    if isinstance(data, str):
        if "\x00" in data:
            errors: dict = {}
            node = errors
            for key in path[:-1]:
                node = node.setdefault(str(key), {})
            node[str(path[-1]) if path else "_schema"] = ["Must not contain NUL characters."]
            raise ValidationError(errors)
    elif isinstance(data, dict):
        for key, value in data.items():
            _refuse_nul_characters(key, path + (key,))
            _refuse_nul_characters(value, path + (key,))
    elif isinstance(data, list):
        for position, value in enumerate(data):
            _refuse_nul_characters(value, path + (position,))


class PastDate(fields.Date):
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
