"""Tests of the time zone check and of the zone it suggests for a wrong name."""

from __future__ import annotations

import pytest

from config.time_zones import check_time_zone, is_time_zone

EXPECTED = "expected an IANA time zone name such as 'Europe/Berlin' or 'Asia/Shanghai'"


def zone_problem(name: str) -> str:
    with pytest.raises(ValueError, match="invalid value") as raised:
        check_time_zone(name)
    return str(raised.value)


@pytest.mark.parametrize(
    ("name", "zone"),
    [
        ("Dubai", "Asia/Dubai"),
        ("Paris", "Europe/Paris"),
        ("Sydney", "Australia/Sydney"),
        ("New York", "America/New_York"),
        ("america/new york", "America/New_York"),
        ("Buenos Aires", "America/Argentina/Buenos_Aires"),
        ("Mumbai", "Asia/Kolkata"),
        ("Asia/Mumbai", "Asia/Kolkata"),
        ("New Delhi", "Asia/Kolkata"),
        ("Abu Dhabi", "Asia/Dubai"),
        ("Sydny", "Australia/Sydney"),
        ("Tokio", "Asia/Tokyo"),
    ],
    ids=[
        "city-zone",
        "city-zone-europe",
        "city-zone-australia",
        "city-with-space",
        "zone-with-space",
        "newer-zone-name",
        "city-sharing-a-zone",
        "city-in-a-region",
        "capital-sharing-a-zone",
        "two-word-city",
        "misspelt-city",
        "other-spelling",
    ],
)
def test_city_name_suggests_its_zone(name: str, zone: str) -> None:
    assert zone_problem(name) == (
        f"invalid value {name!r}; {EXPECTED}; did you mean {zone!r}?"
    )


@pytest.mark.parametrize(
    ("name", "zone"),
    [
        ("Kiev", "Europe/Kyiv"),
        ("Calcutta", "Asia/Kolkata"),
        ("Saigon", "Asia/Ho_Chi_Minh"),
        ("Rangoon", "Asia/Yangon"),
        ("asia/saigon", "Asia/Ho_Chi_Minh"),
        ("Amsterdam", "Europe/Amsterdam"),
    ],
    ids=["kiev", "calcutta", "saigon", "rangoon", "old-zone-lower-case", "listed"],
)
def test_renamed_zone_suggests_current_name(name: str, zone: str) -> None:
    assert zone_problem(name) == (
        f"invalid value {name!r}; {EXPECTED}; did you mean {zone!r}?"
    )


@pytest.mark.parametrize(
    "name",
    ["Munchen", "Nowhere/Town", "Cubaa Libre", "Deal"],
    ids=["unlisted-city", "unknown-zone", "far-from-any", "word"],
)
def test_far_name_gets_no_suggestion(name: str) -> None:
    assert zone_problem(name) == f"invalid value {name!r}; {EXPECTED}"


@pytest.mark.parametrize(
    ("name", "zones"),
    [
        ("EST", "'America/New_York' or 'America/Panama'"),
        ("MST", "'America/Denver' or 'America/Phoenix'"),
        ("HST", "'Pacific/Honolulu'"),
        ("CET", "'Europe/Berlin' or 'Europe/Paris'"),
        ("MET", "'Europe/Berlin' or 'Europe/Paris'"),
        ("EET", "'Europe/Athens' or 'Europe/Helsinki'"),
        ("WET", "'Europe/Lisbon'"),
        ("est", "'America/New_York' or 'America/Panama'"),
    ],
    ids=["est", "mst", "hst", "cet", "met", "eet", "wet", "lower-case"],
)
def test_zone_named_like_abbreviation_rejected(name: str, zones: str) -> None:
    # These load as zones, without the daylight saving changes of the
    # places that write them.
    assert not is_time_zone(name)
    assert zone_problem(name) == (
        f"invalid value {name!r}; {EXPECTED}; {name!r} is an abbreviation, did "
        f"you mean {zones}?"
    )


@pytest.mark.parametrize(
    ("name", "zone"),
    [
        ("EST5EDT", "America/New_York"),
        ("CST6CDT", "America/Chicago"),
        ("MST7MDT", "America/Denver"),
        ("PST8PDT", "America/Los_Angeles"),
    ],
    ids=["eastern", "central", "mountain", "pacific"],
)
def test_legacy_us_zone_rejected(name: str, zone: str) -> None:
    assert not is_time_zone(name)
    assert zone_problem(name) == (
        f"invalid value {name!r}; {EXPECTED}; {name!r} is a legacy zone without "
        "a place, which keeps one era's daylight saving rules; did you mean "
        f"{zone!r}?"
    )


@pytest.mark.parametrize(
    "name",
    ["Asia/Dubai", "America/New_York", "UTC", "Etc/GMT-8", "Asia/Kolkata"],
    ids=["city", "city-with-underscore", "utc", "fixed-offset", "renamed-city"],
)
def test_place_zone_accepted(name: str) -> None:
    assert is_time_zone(name)
    check_time_zone(name)
