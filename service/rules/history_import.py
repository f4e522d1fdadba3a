"""Reading a patient's past home INR results from another system (a FHIR R4 Bundle or a CSV export).

Each row is accepted or refused on its own, with the reason, so one bad row never loses the others; each keeps the
source's own id, which makes a second import of the same file add nothing. A reading is history when it lies
between the patient's warfarin start and their go-live date (from go-live on, results are reported to this
service). Nothing here touches the database: `service.history` stores what these functions accept.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from service.rules.flags import METER_HIGH, METER_LOW

IMPORT_SOURCE = "import"  # the source a result brought in from another system's history is recorded with
HOME_INR_LOINC = "34714-6"  # INR in blood by coagulation assay: the home fingerstick meter's code
CSV_COLUMNS = ("source_id", "measured_at", "value")  # required; "comparator", "meter_serial", "qc_passed" optional
MAX_OFFSET = timedelta(hours=14)
# What became of a row when it was stored: added, found already stored (the same id and content), or refused.
IMPORTED, ALREADY_IMPORTED, REFUSED = "imported", "already_imported", "refused"
ROW_STATUSES = (IMPORTED, ALREADY_IMPORTED, REFUSED)


@dataclass(frozen=True)
class ImportedReading:
    """One past result as the source recorded it."""

    source_id: str
    measured_at: datetime  # with the offset the source gave
    value: Decimal
    comparator: str | None = None  # "<" 0.8 or ">" 8.0: beyond the meter's range
    meter_serial: str | None = None
    qc_passed: bool = True


@dataclass(frozen=True)
class Row:
    """A row of the source: what it became (`reading`), or why it was refused (`reason`)."""

    position: int
    source_id: str | None
    reading: ImportedReading | None = None
    reason: str | None = None


def readings_from_fhir(bundle: object) -> list[Row]:
    """Home INR Observations (LOINC 34714-6) of a FHIR R4 Bundle, entry by entry."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return [Row(0, None, reason="Not a FHIR Bundle.")]
    entries = bundle.get("entry")
    if not isinstance(entries, list) or not entries:
        return [Row(0, None, reason="The Bundle has no entries.")]
    return [_from_observation(position, entry.get("resource") if isinstance(entry, dict) else None)
            for position, entry in enumerate(entries)]


def _from_observation(position: int, resource: object) -> Row:
    if not isinstance(resource, dict) or resource.get("resourceType") != "Observation":
        return Row(position, None, reason="Not an Observation.")
    source_id = resource.get("id")
    if not isinstance(source_id, str) or not source_id.strip() or len(source_id) > 64:
        return Row(position, None, reason="An Observation without an id (1 to 64 characters) cannot be matched "
                                          "when the file is imported again.")
    status = resource.get("status")
    if status not in ("final", "amended", "corrected"):
        shown = repr(status)[:40] if isinstance(status, str) else "missing or not a code"
        return Row(position, source_id, reason=f"Status {shown}: only final results are imported.")
    code = resource.get("code")
    codings = code.get("coding") if isinstance(code, dict) else None
    if not isinstance(codings, list) or not any(
            isinstance(c, dict) and c.get("system") == "http://loinc.org" and c.get("code") == HOME_INR_LOINC
            for c in codings):
        return Row(position, source_id, reason=f"Not a home INR (LOINC {HOME_INR_LOINC}).")
    measured_at = _instant(resource.get("effectiveDateTime"))
    if isinstance(measured_at, str):
        return Row(position, source_id, reason=measured_at)
    quantity = resource.get("valueQuantity")
    if not isinstance(quantity, dict) or isinstance(quantity.get("value"), bool) or \
            not isinstance(quantity.get("value"), (int, float)):
        return Row(position, source_id, reason="No INR value (valueQuantity.value).")
    value = _inr(str(quantity["value"]), quantity.get("comparator"))
    if isinstance(value, str):
        return Row(position, source_id, reason=value)
    device = resource.get("device") or {}
    serial = device.get("display") if isinstance(device, dict) and isinstance(device.get("display"), str) else None
    return Row(position, source_id, ImportedReading(source_id, measured_at, value[0], value[1],
                                                   serial[:64] if serial else None))


def readings_from_csv(text: str) -> list[Row]:
    """Rows of a CSV export with a header: source_id, measured_at (ISO 8601 with offset), value, and optionally
    comparator ("<" or ">"), meter_serial and qc_passed (true/false)."""
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    try:
        header = [name.strip() for name in reader.fieldnames or []]
        missing = [name for name in CSV_COLUMNS if name not in header]
        if missing:
            return [Row(0, None, reason=f"The header lacks {', '.join(missing)}.")]
        for position, raw in enumerate(reader, start=1):
            record = {key.strip(): (value or "").strip() for key, value in raw.items()
                      if key is not None and isinstance(value, str | None)}
            rows.append(_from_csv_record(position, record))
    except csv.Error as exc:  # e.g. a field longer than the csv module reads: no reading after it can be trusted
        rows.append(Row(len(rows) + 1, None, reason=f"Not readable as CSV from here on: {str(exc)[:80]}."))
    return rows or [Row(0, None, reason="The file has no rows.")]


def _from_csv_record(position: int, record: dict) -> Row:
    source_id = record.get("source_id") or None
    if source_id is None or len(source_id) > 64:
        return Row(position, None, reason="source_id is required (1 to 64 characters).")
    measured_at = _instant(record.get("measured_at"))
    if isinstance(measured_at, str):
        return Row(position, source_id, reason=measured_at)
    value = _inr(record.get("value", ""), record.get("comparator") or None)
    if isinstance(value, str):
        return Row(position, source_id, reason=value)
    qc = (record.get("qc_passed") or "true").lower()
    if qc not in ("true", "false"):
        return Row(position, source_id, reason="qc_passed is true or false.")
    serial = record.get("meter_serial") or None
    if serial is not None and len(serial) > 64:
        return Row(position, source_id, reason="meter_serial is at most 64 characters.")
    return Row(position, source_id, ImportedReading(source_id, measured_at, value[0], value[1], serial,
                                                   qc == "true"))


def _instant(text: object) -> datetime | str:
    """An ISO 8601 instant with its offset, or the reason it is not one."""
    if not isinstance(text, str) or not text:
        return "The time of the test is required."
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return f"Not an ISO 8601 date-time: {text[:40]!r}."
    if moment.utcoffset() is None:
        return "The time of the test needs its UTC offset (local time alone is ambiguous)."
    if abs(moment.utcoffset()) > MAX_OFFSET or not 1990 <= moment.year <= 2200:
        return "Not a plausible time of a home INR test."
    return moment


def _inr(text: str, comparator: object) -> tuple[Decimal, str | None] | str:
    """(value, comparator) of an INR as the meter showed it, or the reason it is not one."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return f"Not a number: {text[:20]!r}."
    if not value.is_finite() or abs(value) >= 1000:  # beyond any INR: refused before quantize, which would raise
        return f"An INR from a home meter is from {METER_LOW} to {METER_HIGH}."
    if value != value.quantize(Decimal("0.1")):
        return "An INR has one decimal place."
    if comparator not in (None, "<", ">"):
        return "comparator is '<' or '>'."
    if comparator == "<" and value != METER_LOW or comparator == ">" and value != METER_HIGH:
        return f"A meter shows '<{METER_LOW}' or '>{METER_HIGH}' beyond its range."
    if not METER_LOW <= value <= METER_HIGH:
        return f"An INR from a home meter is from {METER_LOW} to {METER_HIGH}."
    return value.quantize(Decimal("0.1")), comparator


def same_reading(first: ImportedReading, second: ImportedReading) -> bool:
    """Whether two rows say the same thing: the same instant (whatever offset names it), value, comparator, meter and
    quality check. The same source id with anything else is another result, refused rather than overwritten."""
    return (first.measured_at.astimezone(timezone.utc) == second.measured_at.astimezone(timezone.utc)
            and first.value == second.value and first.comparator == second.comparator
            and first.meter_serial == second.meter_serial and first.qc_passed == second.qc_passed)


def why_not_history(measured_at: datetime, local_day: date, *, warfarin_start: date | None,
                    go_live_on: date | None, now: datetime, clock_skew: timedelta) -> str | None:
    """None when a reading measured at `measured_at` may be recorded as the patient's imported history; otherwise
    why not. `local_day` is its date in the patient's zone then. No bound ties it to enrolment (as reported results
    are, service.rules.entries): history is as old as the source's records."""
    if measured_at.astimezone(timezone.utc) > now.astimezone(timezone.utc) + clock_skew:
        return "The time of the test is in the future."
    if warfarin_start is not None and local_day < warfarin_start:
        return (f"Before the patient started warfarin ({warfarin_start}): an INR then is no monitoring of their "
                "warfarin.")
    if go_live_on is not None and local_day >= go_live_on:
        return (f"On or after the patient's go-live date ({go_live_on}): from then on results are reported to this "
                "service, not imported.")
    return None
