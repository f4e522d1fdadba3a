"""Which passwords an account may have (NIST SP 800-63B, 5.1.1.2): long enough, and not one an attacker tries
first: breached or common passwords, dictionary words, repetitive or sequential characters, the service's
published passwords, or the account's own e-mail or name. No composition rules and no expiry (NIST advises
against both); the common-password and dictionary lists are zxcvbn's frequency lists."""

from __future__ import annotations

import functools
import re
import unicodedata

MIN_LENGTH = 12
MAX_LENGTH = 1024

# Passwords printed where anyone can read them: the demo clinic's (README, service/demo.py) and XKCD 936's.
PUBLISHED = frozenset({"demo-password-1", "correct horse battery staple", "correcthorsebatterystaple"})

# Pieces of an e-mail address or name shorter than this occur inside too many ordinary passwords to refuse on.
CONTEXT_MIN_LENGTH = 4

_LEET = str.maketrans({"@": "a", "4": "a", "3": "e", "1": "i", "!": "i", "0": "o", "5": "s", "$": "s", "7": "t"})
_SEPARATORS = re.compile(r"[\s._+\-]+")
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@functools.cache
def _lists() -> tuple[frozenset[str], frozenset[str]]:
    """(breached and common passwords, dictionary words and names), lower case."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    common = frozenset(FREQUENCY_LISTS["passwords"])
    words = frozenset(word for name, entries in FREQUENCY_LISTS.items() if name != "passwords" for word in entries)
    return common, words


def password_problems(password: str, *, email: str = "", full_name: str = "") -> list[str]:
    """Why `password` may not be used for the account of `email` and `full_name`; empty when it may."""
    problems = []
    length = len(password)
    if length < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters (a few unrelated words make a good password).")
    if length > MAX_LENGTH:
        problems.append(f"Use at most {MAX_LENGTH} characters.")
    if not password:
        return problems
    folded = unicodedata.normalize("NFKC", password).casefold()
    unit = _repeated_unit(folded)
    if len(set(folded)) == 1:
        problems.append("It is one character repeated.")
    elif unit is not None and len(unit) <= 4:
        problems.append("It is a short sequence of characters repeated.")
    elif _is_run(folded):
        problems.append("It is a run of consecutive characters (like 12345 or abcde).")
    if folded in PUBLISHED or _SEPARATORS.sub("", folded) in PUBLISHED:
        problems.append("It has been published (in this service's documentation or elsewhere), so attackers "
                        "know it.")
    else:
        common, words = _lists()
        candidates = _candidates(folded)
        if candidates & common:
            problems.append("It is a commonly used password: it appears in lists of breached passwords.")
        elif {candidate for candidate in candidates if candidate.isalpha() and len(candidate) >= 4} & words:
            problems.append("It is a single dictionary word or name.")
    if _contains_context(folded, _email_pieces(email)):
        problems.append("It contains your e-mail address.")
    if _contains_context(folded, _name_pieces(full_name)):
        problems.append("It contains your name.")
    return problems


def _repeated_unit(text: str) -> str | None:
    """The shortest piece of which `text` is two or more copies, or None."""
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return text[:size]
    return None


def _is_run(text: str) -> bool:
    """Every character one up (or every one down) from the last: "abcdef...", "9876543210" (digits wrap)."""
    def step(a: str, b: str) -> int:
        if a.isdigit() and b.isdigit():
            return (int(b) - int(a) + 5) % 10 - 5
        return ord(b) - ord(a)

    steps = {step(a, b) for a, b in zip(text, text[1:], strict=False)}
    return steps in ({1}, {-1})


def _candidates(folded: str) -> set[str]:
    """What an attacker's guess list would match: the password, without its separators, without the digits and
    symbols around it, with look-alike digits read as letters, and the piece a repeated password repeats."""
    found = set()
    for text in (folded, folded.translate(_LEET)):
        for variant in (text, _SEPARATORS.sub("", text)):
            found |= {variant, _repeated_unit(variant) or variant}
    return found | {core for core in (_EDGES.sub("", text) for text in found) if core}


def _email_pieces(email: str) -> set[str]:
    local = email.strip().casefold().partition("@")[0]
    return {local, *re.split(r"[\W\d_]+", local)}


def _name_pieces(full_name: str) -> set[str]:
    name = unicodedata.normalize("NFKC", full_name).casefold()
    parts = [part for part in re.split(r"[\W\d_]+", name) if part]
    return {"".join(parts), *parts}


def _contains_context(folded: str, pieces: set[str]) -> bool:
    bare = _SEPARATORS.sub("", folded)
    return any(len(piece) >= CONTEXT_MIN_LENGTH and (piece in folded or _SEPARATORS.sub("", piece) in bare)
               for piece in pieces)
