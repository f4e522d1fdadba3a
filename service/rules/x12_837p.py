"""Claim lines as an ASC X12 837P (005010X222A1) interchange: what a clearinghouse and Medicare accept.

Pure: plain values in, the file's text out. One interchange (ISA/GS/ST) per file, one billing provider loop
(2000A/2010AA) per practice, one subscriber loop (2000B, the patient as subscriber) per patient and payer, one
claim (2300) per patient, payer and at most 50 lines, one service line (2400, SV1) per claim line with its
modifiers, units and date of service, and the rendering provider (2310B, or 2420A for a line whose provider differs
from its claim's) wherever it differs from the billing provider.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

SEGMENT, ELEMENT, COMPONENT, REPETITION = "~", "*", ":", "^"
LINES_PER_CLAIM = 50  # the implementation guide's limit on 2400 loops in one claim
DIAGNOSES_PER_CLAIM = 12  # HI holds at most 12 codes
PLACE_OF_SERVICE = "11"  # office: the practice reviews and reports; CLM05-1
# SBR09, claim filing indicator, by payer code; commercial for a payer not named here.
FILING_INDICATORS = {"medicare": "MB", "bcbs-fl": "BL"}
_NOT_BASIC = re.compile(r"[^A-Z0-9 !\"&'()+,\-./;?=%@\[\]_{}\\|<>#$]")


@dataclass(frozen=True)
class Address:
    line1: str
    line2: str | None
    city: str
    state: str
    postal_code: str


@dataclass(frozen=True)
class BillingProvider:
    """The practice: submitter (1000A), billing provider (2010AA)."""

    name: str
    npi: str
    tax_id: str
    address: Address
    phone: str
    submitter_id: str
    receiver_id: str
    receiver_name: str


@dataclass(frozen=True)
class Person:
    last_name: str
    first_name: str
    npi: str | None = None


@dataclass(frozen=True)
class ServiceLine:
    line_id: str  # the claim line's id: REF*6R, the line item control number (at most 50 characters)
    code: str
    modifier: str | None
    charge: Decimal
    units: int
    date_of_service: date
    diagnosis: str
    rendering: Person


@dataclass(frozen=True)
class Subscriber:
    """The patient, who is the subscriber (SBR02 18, self), and their payer."""

    last_name: str
    first_name: str
    member_id: str
    address: Address
    date_of_birth: date
    sex: str  # F, M or U
    payer_code: str
    payer_name: str
    payer_identifier: str


@dataclass(frozen=True)
class Claim:
    claim_id: str  # CLM01, the patient control number (at most 38 characters)
    subscriber: Subscriber
    lines: tuple[ServiceLine, ...]
    secondary_diagnoses: tuple[str, ...] = ()


@dataclass
class _Writer:
    segments: list[str] = field(default_factory=list)

    def add(self, *elements: str | None) -> None:
        values = ["" if value is None else value for value in elements]
        while len(values) > 1 and values[-1] == "":
            values.pop()  # trailing empty elements are left out
        self.segments.append(ELEMENT.join(values))


def text(value: str, limit: int) -> str:
    """A value in the X12 basic character set: letters upper-cased, accents taken off, separators and anything
    else the set lacks removed, at most `limit` characters."""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii").upper()
    return re.sub(r"\s+", " ", _NOT_BASIC.sub("", plain)).strip()[:limit]


def amount(value: Decimal) -> str:
    """A monetary amount as X12 writes one: no leading or trailing zeros it does not need ("45", "45.5")."""
    text_value = format(value.quantize(Decimal("0.01")).normalize(), "f")
    return text_value


def diagnosis_code(code: str) -> str:
    return code.replace(".", "")


def claims_837p(provider: BillingProvider, claims: Sequence[Claim], *, control_number: int, created_at: datetime,
                batch_reference: str, production: bool = True) -> str:
    """The 837P interchange for `claims`, all billed by `provider`; `control_number` (1 to 999999999) numbers
    the interchange, the group and the transaction; `created_at` is the time it is written (its own zone)."""
    if not 1 <= control_number <= 999_999_999:
        raise ValueError("control_number must be 1 to 999999999")
    w = _Writer()
    sender, receiver = text(provider.submitter_id, 15), text(provider.receiver_id, 15)
    control = f"{control_number:09d}"
    w.add("ISA", "00", " " * 10, "00", " " * 10, "ZZ", sender.ljust(15), "ZZ", receiver.ljust(15),
          created_at.strftime("%y%m%d"), created_at.strftime("%H%M"), REPETITION, "00501", control, "0",
          "P" if production else "T", COMPONENT)
    w.add("GS", "HC", sender, receiver, created_at.strftime("%Y%m%d"), created_at.strftime("%H%M"),
          str(control_number), "X", "005010X222A1")
    start = len(w.segments)
    w.add("ST", "837", "0001", "005010X222A1")
    w.add("BHT", "0019", "00", text(batch_reference, 50), created_at.strftime("%Y%m%d"), created_at.strftime("%H%M"),
          "CH")
    # 1000A submitter and 1000B receiver.
    w.add("NM1", "41", "2", text(provider.name, 60), "", "", "", "", "46", sender)
    w.add("PER", "IC", text(provider.name, 60), "TE", provider.phone)
    w.add("NM1", "40", "2", text(provider.receiver_name, 60), "", "", "", "", "46", receiver)
    # 2000A billing provider.
    hl = 1
    w.add("HL", str(hl), "", "20", "1")
    w.add("NM1", "85", "2", text(provider.name, 60), "", "", "", "", "XX", provider.npi)
    _address(w, provider.address)
    w.add("REF", "EI", provider.tax_id)
    for claim in claims:
        hl += 1
        subscriber = claim.subscriber
        w.add("HL", str(hl), "1", "22", "0")
        w.add("SBR", "P", "18", "", "", "", "", "", "", FILING_INDICATORS.get(subscriber.payer_code, "CI"))
        w.add("NM1", "IL", "1", text(subscriber.last_name, 60), text(subscriber.first_name, 35), "", "", "", "MI",
              text(subscriber.member_id, 80))
        _address(w, subscriber.address)
        w.add("DMG", "D8", subscriber.date_of_birth.strftime("%Y%m%d"), subscriber.sex)
        w.add("NM1", "PR", "2", text(subscriber.payer_name, 60), "", "", "", "", "PI",
              text(subscriber.payer_identifier, 80))
        _claim(w, provider, claim)
    w.add("SE", str(len(w.segments) - start + 1), "0001")
    w.add("GE", "1", str(control_number))
    w.add("IEA", "1", control)
    return SEGMENT.join(w.segments) + SEGMENT + "\n"


def _address(w: _Writer, address: Address) -> None:
    w.add("N3", text(address.line1, 55), text(address.line2, 55) if address.line2 else None)
    w.add("N4", text(address.city, 30), address.state.upper(), address.postal_code)


def _claim(w: _Writer, provider: BillingProvider, claim: Claim) -> None:
    if not 1 <= len(claim.lines) <= LINES_PER_CLAIM:
        raise ValueError(f"a claim holds 1 to {LINES_PER_CLAIM} lines")
    diagnoses = list(dict.fromkeys([*(line.diagnosis for line in claim.lines), *claim.secondary_diagnoses]))
    diagnoses = diagnoses[:DIAGNOSES_PER_CLAIM]
    total = sum((line.charge * line.units for line in claim.lines), Decimal(0))
    w.add("CLM", text(claim.claim_id, 38), amount(total), "", "", COMPONENT.join((PLACE_OF_SERVICE, "B", "1")), "Y",
          "A", "Y", "Y")
    w.add("HI", *(("ABK" if index == 0 else "ABF") + COMPONENT + diagnosis_code(code)
                  for index, code in enumerate(diagnoses)))
    claim_rendering = claim.lines[0].rendering
    if claim_rendering.npi and claim_rendering.npi != provider.npi:
        _rendering(w, claim_rendering)
    for number, line in enumerate(claim.lines, start=1):
        w.add("LX", str(number))
        procedure = COMPONENT.join(["HC", line.code, *([line.modifier] if line.modifier else [])])
        w.add("SV1", procedure, amount(line.charge * line.units), "UN", str(line.units), "", "",
              str(diagnoses.index(line.diagnosis) + 1))
        w.add("DTP", "472", "D8", line.date_of_service.strftime("%Y%m%d"))
        w.add("REF", "6R", text(line.line_id, 50))
        if line.rendering != claim_rendering and line.rendering.npi and line.rendering.npi != provider.npi:
            _rendering(w, line.rendering)


def _rendering(w: _Writer, person: Person) -> None:
    w.add("NM1", "82", "1", text(person.last_name, 60), text(person.first_name, 35), "", "", "", "XX", person.npi)
