"""The order in which waiting notifications are delivered: critical alerts first."""

import pytest

from service.rules.notifications import ALERT, CRITICAL, ROUTINE, delivery_priority


@pytest.mark.parametrize(("kind", "payload", "priority"), [
    ("alert.opened", {"severity": "critical", "level": "critical_low"}, CRITICAL),
    ("alert.escalated", {"severity": "critical", "escalation_level": 2}, CRITICAL),
    ("alert.opened", {"severity": "out_of_range", "level": "low"}, ALERT),
    ("alert.escalated", {"severity": "out_of_range", "escalation_level": 1}, ALERT),
    ("alert.missed_tests", {"weeks": ["2026-10-11", "2026-10-18"]}, ALERT),
    ("reminder.weekly_test", {"week": "2026-11-22"}, ROUTINE),
    ("reminder.missed_test", {"week": "2026-11-15"}, ROUTINE),
    ("something.new", {"severity": "critical"}, ROUTINE),  # only alerts are urgent
])
def test_critical_alerts_go_first_then_other_alerts_then_reminders(kind, payload, priority):
    assert delivery_priority(kind, payload) == priority


def test_lower_numbers_go_first():
    assert CRITICAL < ALERT < ROUTINE
