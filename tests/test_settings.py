"""The settings object: every variable read in one place, refused with a clear line when unusable, documented."""

from __future__ import annotations

import re
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from service.settings import Settings, SettingsError, variables

README = Path(__file__).resolve().parent.parent / "README.md"
ROOT = Path(__file__).resolve().parent.parent


def test_defaults_run_on_sqlite_under_the_data_folder_with_no_environment():
    settings = Settings.from_environment({})
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith("instance/inr.sqlite3")
    assert settings.critical_low == Decimal("1.5") and settings.critical_high == Decimal("5.0")
    assert settings.token_ttl == timedelta(minutes=480)


def test_values_are_parsed_into_their_types():
    settings = Settings.from_environment({
        "INR_DATA_DIR": "/srv/inr", "INR_CRITICAL_HIGH": "4.5", "INR_REMINDER_TIME": "07:30",
        "INR_ESCALATE_CRITICAL_MINUTES": "10", "INR_BILLING_ENTITY_IS_IDTF": "1", "INR_REMINDER_WEEKDAY": "Monday"})
    assert settings.database_url == "sqlite:////srv/inr/inr.sqlite3"
    assert settings.critical_high == Decimal("4.5") and settings.reminder_time == time(7, 30)
    assert settings.escalate_critical_after == timedelta(minutes=10)
    assert settings.billing_entity_is_idtf is True and settings.reminder_weekday == "monday"


@pytest.mark.parametrize(("name", "value"), [
    ("INR_TOKEN_TTL_MINUTES", "eight hours"), ("INR_CRITICAL_LOW", "NaN"), ("INR_CRITICAL_HIGH", "12"),
    ("INR_REMINDER_WEEKDAY", "someday"), ("INR_REMINDER_TIME", "9 am"), ("INR_AUTO_MIGRATE", "maybe"),
    ("INR_LOG_LEVEL", "LOUD"), ("INR_TRUST_PROXY_HOPS", "-1"),
])
def test_an_unusable_value_is_refused_naming_the_variable(name, value):
    with pytest.raises(SettingsError, match=name):
        Settings.from_environment({name: value})


def test_critical_low_must_be_below_critical_high():
    with pytest.raises(SettingsError, match="INR_CRITICAL_LOW"):
        Settings.from_environment({"INR_CRITICAL_LOW": "3.0", "INR_CRITICAL_HIGH": "2.0"})


def test_the_readme_table_lists_every_variable_with_its_default():
    rows = re.findall(r"^\| `(INR_[A-Z0-9_]+)` \| ([^|]+) \|", README.read_text(), re.MULTILINE)
    documented = {name: default.strip() for name, default in rows}
    assert list(documented) == [v["name"] for v in variables()]
    for variable in variables():
        default = variable["default"]
        shown = documented[variable["name"]]
        assert shown == ("(empty)" if not default else "(text)" if len(default) > 40 else f"`{default}`")


def test_only_the_settings_module_reads_the_environment():
    code = [*(ROOT / "service").rglob("*.py"), *(ROOT / "schedules").rglob("*.py"), *(ROOT / "models").rglob("*.py")]
    readers = sorted(str(path.relative_to(ROOT)) for path in code
                     if "os.environ" in path.read_text() or "os.getenv" in path.read_text())
    assert readers == ["service/settings.py"]
