"""The period a figure is computed over, as query parameters: `window_days`, or `from` and `to`."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from service.rules.period import DEFAULT_WINDOW_DAYS
from service.schemas.fields import Day, Instant, QueryInteger, StrictSchema

_DATE_LENGTH = len("2026-11-23")


class DayOrInstant(fields.Field):
    """A calendar date (`2026-11-01`: that whole day) or an instant with its UTC offset
    (`2026-11-01T08:00:00-05:00`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {})
        kwargs["metadata"] = {"type": "string", "examples": ["2026-11-01", "2026-11-01T08:00:00-05:00"],
                              **kwargs["metadata"]}
        super().__init__(**kwargs)
        self._day, self._instant = Day(), Instant()

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("Not a date or a date-time.")
        if len(value) == _DATE_LENGTH:
            return self._day.deserialize(value)
        return self._instant.deserialize(value)


class PeriodQuery(StrictSchema):
    """The last `window_days` up to now, or the period `from` .. `to` (either may be left out)."""

    window_days = QueryInteger(validate=validate.Range(min=1, max=3650), metadata={
        "default": DEFAULT_WINDOW_DAYS,
        "description": "The days up to now (or up to `to`); not with `from`."})
    start = DayOrInstant(data_key="from", metadata={
        "description": "Where the period starts: a date is that whole day in the patient's time zone (on a "
                       "panel: in UTC); a date-time is taken as it is."})
    end = DayOrInstant(data_key="to", metadata={
        "description": "Where the period ends: a date includes that whole day; never later than now."})

    @validates_schema
    def _one_way(self, data, **_kwargs):
        if "window_days" in data and "start" in data:
            raise ValidationError("Give window_days or from, not both.", "window_days")
