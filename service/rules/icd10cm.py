"""The ICD-10-CM code set, from the maintained `simple-icd-10-cm` package: whether a code exists and is billable.

A billable code is a leaf of the tabular list (no more specific code below it); a category or subcategory with
children is a header. The package carries the CMS release named in CODE_SET_VERSION; it is loaded on first use
(about two seconds), not at import.
"""

from __future__ import annotations

import functools
import warnings
from typing import Literal

CODE_SET_VERSION = "2026-04-01"  # the CMS ICD-10-CM release the package carries (code-list-April-2026)
CodeStatus = Literal["billable", "header", "unknown"]


@functools.cache
def _code_set():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the package reads its data with importlib.resources
        import simple_icd_10_cm

    return simple_icd_10_cm


def code_status(code: str) -> CodeStatus:
    """"billable", "header" (exists, has more specific codes) or "unknown" (not in the code set); `code` is
    normalized, with its dot ("I48.91")."""
    cm = _code_set()
    if not cm.is_valid_item(code) or cm.is_chapter_or_block(code):
        return "unknown"
    return "billable" if cm.is_leaf(code) else "header"
