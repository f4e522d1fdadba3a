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

# E/M services with the practice that rule out a 93793 the same day (domain.md, "93793"): office/outpatient visits
# (new 99202-99205, established 99211-99215), telemedicine visits (98000-98015, since 2025), online digital E/M
# (99421-99423) and the telephone E/M codes deleted in 2025 (99441-99443), which older visits still carry.
EM_VISIT_CODES = frozenset({
    *(str(code) for code in range(99202, 99206)), *(str(code) for code in range(99211, 99216)),
    *(str(code) for code in range(98000, 98016)), "99421", "99422", "99423", "99441", "99442", "99443",
})
