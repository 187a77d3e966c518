"""Tests of the time zone check and of the zone it suggests for a wrong name."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

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


def standard_offset(zone: str) -> dt.timedelta:
    # The smaller of the offsets in January and July: the one without
    # daylight saving, north and south of the equator.
    place = zoneinfo.ZoneInfo(zone)
    year = dt.datetime.now(dt.UTC).year
    offsets = [
        dt.datetime(year, month, 1, tzinfo=dt.UTC).astimezone(place).utcoffset()
        for month in (1, 7)
    ]
    return min(offset for offset in offsets if offset is not None)


@pytest.mark.parametrize(
    ("name", "hours", "minutes"),
    [
        ("UTC+3", 3, 0),
        ("UTC-5", -5, 0),
        ("GMT+1", 1, 0),
        ("GMT-3", -3, 0),
        ("UTC+8", 8, 0),
        ("UTC+5:30", 5, 30),
        ("+05:30", 5, 30),
        ("+0545", 5, 45),
        ("UTC-3:30", -3, -30),
        ("UTC +10", 10, 0),
        ("UTC\u22123", -3, 0),
    ],
    ids=[
        "utc-plus",
        "utc-minus",
        "gmt-plus",
        "gmt-minus",
        "china",
        "india",
        "bare-offset",
        "nepal",
        "newfoundland",
        "space",
        "minus-sign",
    ],
)
def test_offset_suggests_cities_at_it(name: str, hours: int, minutes: int) -> None:
    problem = zone_problem(name)
    zones = re.findall(r"'([A-Za-z]+/[A-Za-z0-9_/+-]+)'", problem.split("such as")[-1])
    offset = dt.timedelta(hours=hours, minutes=minutes)

    assert "; write the zone of a city at that offset, such as " in problem
    assert zones
    assert [zone for zone in zones if zone.startswith("Etc/")] == (
        [] if minutes else [f"Etc/GMT{'-' if hours > 0 else '+'}{abs(hours)}"]
    )
    for zone in zones:
        if not zone.startswith("Etc/"):
            assert standard_offset(zone) == offset, zone


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        (
            "UTC+8",
            (
                "write the zone of a city at that offset, such as 'Asia/Shanghai' or "
                "'Asia/Hong_Kong', which follows its daylight saving changes, or "
                "'Etc/GMT-8' for the fixed offset (Etc zones count the other way round)"
            ),
        ),
        (
            "UTC-5",
            (
                "write the zone of a city at that offset, such as "
                "'America/New_York' or 'America/Panama', which follows its daylight "
                "saving changes, or "
                "'Etc/GMT+5' for the fixed offset (Etc zones count the other way round)"
            ),
        ),
        (
            "UTC+5:30",
            (
                "write the zone of a city at that offset, such as 'Asia/Kolkata' or "
                "'Asia/Colombo', which follows its daylight saving changes"
            ),
        ),
        (
            "UTC+0",
            (
                "write the zone of a city at that offset, such as 'Europe/London' or "
                "'Europe/Lisbon', which follows its daylight saving changes, or 'UTC' "
                "for the fixed offset"
            ),
        ),
        (
            "UTC-12",
            (
                "write 'Etc/GMT+12' for the fixed offset (Etc zones count the other "
                "way round)"
            ),
        ),
    ],
    ids=["known-city", "daylight-saving", "half-hour", "zero", "no-city"],
)
def test_offset_hint_names_zones(name: str, hint: str) -> None:
    assert zone_problem(name) == f"invalid value {name!r}; {EXPECTED}; {hint}"


@pytest.mark.parametrize("name", ["UTC+15", "UTC-13", "+05:75"], ids=str)
def test_offset_no_place_uses_no_hint(name: str) -> None:
    assert zone_problem(name) == f"invalid value {name!r}; {EXPECTED}"
