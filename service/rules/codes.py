"""The codes home INR testing is billed with, named once: rules, reference text and ledger all use these names."""

from __future__ import annotations

TRAINING = "93792"  # face-to-face training to start home INR testing (replaced G0248)
DEMONSTRATION = "G0248"  # the older training (demonstration) code, for payers that still take it
SUPPLIES = "G0249"  # test materials and equipment, reporting to the physician; per four tests
PHYSICIAN_REVIEW = "G0250"  # physician review and interpretation; per four tests; never billed by an IDTF
MANAGEMENT = "93793"  # anticoagulant management: review of a new INR; at most once a day

TRAINING_CODES = (TRAINING, DEMONSTRATION)
REVIEW_CODES = (PHYSICIAN_REVIEW, MANAGEMENT)

PARTIAL_MODIFIER = "52"  # reduced service: fewer than four tests when the period ended early

# Deleted in 2018 (replaced by 93792/93793); ClaimDraft refuses them so no code path can bring them back.
RETIRED_CODES = frozenset({"99363", "99364"})
