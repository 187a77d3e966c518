"""Check a definition's time zone name, and suggest the zone meant by a wrong one.

A definition names a place's zone from the IANA database, such as
``Europe/Berlin``, which follows that place's daylight saving changes.
Abbreviations (``CST``, ``EST``), the database's legacy zones named after
them (``EST5EDT``, ``CET``), offsets (``UTC+8``), Windows names and bare
city names are rejected, each with the zone it most likely means.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import re
import zoneinfo
from pathlib import Path

from config.close_matches import closest_value

# The value a time zone setting expects, as its error messages word it.
TIME_ZONE_EXPECTED = "an IANA time zone name such as 'Europe/Berlin' or 'Asia/Shanghai'"
# Names in the zone database that are no place's zone: "localtime" is the
# zone this machine is set to, "Factory" means none, and "posixrules"
# contains rules for TZ strings.
NOT_PLACE_ZONES = frozenset({"localtime", "factory", "posixrules"})
# Folders of the zone database that repeat it: "posix/" contains the same
# zones, and "right/" contains them counting leap seconds, which computer
# clocks do not.
COPY_FOLDERS = ("posix/", "right/")
# Abbreviations people write for a zone, with the zones each most often
# means. The database also has zones named EST, MST, HST, CET, EET, MET and
# WET, which follow one place's rules: in tzdata 2026f CET is a copy of
# Europe/Brussels and EST of America/Panama, without daylight saving. So
# these names are rejected although they load.
ZONE_ABBREVIATIONS = {
    "cst": ("America/Chicago", "Asia/Shanghai"),
    "cdt": ("America/Chicago",),
    "est": ("America/New_York", "America/Panama"),
    "edt": ("America/New_York",),
    "pst": ("America/Los_Angeles",),
    "pdt": ("America/Los_Angeles",),
    "mst": ("America/Denver", "America/Phoenix"),
    "mdt": ("America/Denver",),
    "akst": ("America/Anchorage",),
    "hst": ("Pacific/Honolulu",),
    "bst": ("Europe/London",),
    "wet": ("Europe/Lisbon",),
    "cet": ("Europe/Berlin", "Europe/Paris"),
    "met": ("Europe/Berlin", "Europe/Paris"),
    "cest": ("Europe/Berlin",),
    "eet": ("Europe/Athens", "Europe/Helsinki"),
    "ist": ("Asia/Kolkata", "Europe/Dublin"),
    "jst": ("Asia/Tokyo",),
    "kst": ("Asia/Seoul",),
    "hkt": ("Asia/Hong_Kong",),
    "sgt": ("Asia/Singapore",),
    "aest": ("Australia/Sydney",),
    "aedt": ("Australia/Sydney",),
    "nzst": ("Pacific/Auckland",),
}
# Legacy zones of the database named after United States abbreviations,
# which keep the daylight saving rules of one era for a whole country.
LEGACY_US_ZONES = {
    "est5edt": "America/New_York",
    "cst6cdt": "America/Chicago",
    "mst7mdt": "America/Denver",
    "pst8pdt": "America/Los_Angeles",
}
# Names that are no zone in the IANA database but name one: the names of the
# United States' zones, well-known cities that share another city's zone, and
# Windows' zone names. A city that names a zone of its own (Dubai, New York)
# is found in the database.
ZONE_OTHER_NAMES = {
    "z": "UTC",
    "eastern": "America/New_York",
    "central": "America/Chicago",
    "mountain": "America/Denver",
    "pacific": "America/Los_Angeles",
    "beijing": "Asia/Shanghai",
    "shenzhen": "Asia/Shanghai",
    "guangzhou": "Asia/Shanghai",
    "mumbai": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata",
    "abu dhabi": "Asia/Dubai",
    "osaka": "Asia/Tokyo",
    "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "washington": "America/New_York",
    "boston": "America/New_York",
    "miami": "America/New_York",
    "atlanta": "America/New_York",
    "dallas": "America/Chicago",
    "houston": "America/Chicago",
    "munich": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "hamburg": "Europe/Berlin",
    "milan": "Europe/Rome",
    "barcelona": "Europe/Madrid",
    "geneva": "Europe/Zurich",
    "wellington": "Pacific/Auckland",
    "rio de janeiro": "America/Sao_Paulo",
    "cape town": "Africa/Johannesburg",
    "china standard time": "Asia/Shanghai",
    "taipei standard time": "Asia/Taipei",
    "tokyo standard time": "Asia/Tokyo",
    "korea standard time": "Asia/Seoul",
    "singapore standard time": "Asia/Singapore",
    "india standard time": "Asia/Kolkata",
    "gmt standard time": "Europe/London",
    "w. europe standard time": "Europe/Berlin",
    "central europe standard time": "Europe/Budapest",
    "romance standard time": "Europe/Paris",
    "eastern standard time": "America/New_York",
    "central standard time": "America/Chicago",
    "mountain standard time": "America/Denver",
    "pacific standard time": "America/Los_Angeles",
    "aus eastern standard time": "Australia/Sydney",
}
# The first parts of the zones named after a city, such as Asia/Dubai. The
# database's other folders (US/, Canada/, Etc/) name regions or offsets.
CITY_REGIONS = frozenset(
    {
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    }
)
# Similarity (difflib ratio) a zone or city name needs to be suggested for a
# misspelt one: 'Sydny' (0.91) and 'Tokio' (0.8) get one, 'Dubai' is not
# taken for 'Cuba' (0.67).
NEAR_ZONE_CUTOFF = 0.8
# A fixed offset from UTC: UTC+8, GMT-05:00, +0530.
_UTC_OFFSET = re.compile(
    r"(?:utc|gmt)? ?(?P<sign>[+-]) ?(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?"
)


_MINUS_SIGNS = str.maketrans(dict.fromkeys("\u2212\u2013\u2014", "-"))

# The largest offset from UTC of any place: Pacific/Kiritimati's UTC+14.
MAX_UTC_OFFSET = dt.timedelta(hours=14)
# How many cities a message names for an offset.
OFFSET_CITIES = 2
# The regions of CITY_REGIONS whose zones are suggested for an offset. The
# zones of Antarctica and the Arctic are research stations, not a team's city.
OFFSET_CITY_REGIONS = CITY_REGIONS - {"Antarctica", "Arctic"}
# Well-known zones, from the tables above, in the order they are listed.
_KNOWN_ZONES = tuple(
    dict.fromkeys(
        [zone for zones in ZONE_ABBREVIATIONS.values() for zone in zones]
        + list(LEGACY_US_ZONES.values())
        + list(ZONE_OTHER_NAMES.values())
    )
)


def is_time_zone(name: str) -> bool:
    """Return True if ``name`` is a place's zone in this system's IANA database."""
    folded = name.strip().casefold()
    if (
        folded in NOT_PLACE_ZONES
        or folded in ZONE_ABBREVIATIONS
        or folded in LEGACY_US_ZONES
        or folded.startswith(COPY_FOLDERS)
    ):
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a folder of the zone database, such as "Asia", is not a zone.
        return False
    return True


def check_time_zone(name: str) -> None:
    """Check that ``name`` is a place's zone in this system's IANA database.

    :raises ValueError: with the zone meant when one is known.
    """
    if is_time_zone(name):
        return

    message = f"invalid value {name!r}; expected {TIME_ZONE_EXPECTED}"
    folded = name.strip().casefold()
    if folded == "localtime":
        message += (
            ", because 'localtime' is whatever zone the machine running pipesheet "
            "is set to, which can differ from the team's"
        )
    raise ValueError(message + _zone_meant(name, folded))


def _zone_meant(name: str, folded: str) -> str:
    """Return the end of the message that names the zone meant, or ``""``."""
    abbreviated = ZONE_ABBREVIATIONS.get(folded)
    if abbreviated:
        named = " or ".join(repr(zone) for zone in abbreviated)
        return f"; {name!r} is an abbreviation, did you mean {named}?"
    legacy = LEGACY_US_ZONES.get(folded)
    if legacy:
        return (
            f"; {name!r} is a legacy zone without a place, which keeps one era's "
            f"daylight saving rules; did you mean {legacy!r}?"
        )
    offset = _utc_offset(folded)
    if offset is not None:
        return _offset_hint(offset)
    nearest = _nearest_time_zone(folded)
    return f"; did you mean {nearest!r}?" if nearest else ""


def _utc_offset(folded: str) -> dt.timedelta | None:
    """Return the offset that a name such as ``utc+8`` or ``+05:30`` writes, if any.

    Offsets over 14 hours, the largest any place uses, and minutes over 59
    are no offset.
    """
    # The minus sign (U+2212) and the dashes word processors type for it.
    typed = folded.strip().translate(_MINUS_SIGNS)
    match = _UTC_OFFSET.fullmatch(typed)
    if match is None:
        return None
    hours, minutes = int(match["hours"]), int(match["minutes"] or 0)
    if minutes > 59:
        return None
    offset = dt.timedelta(hours=hours, minutes=minutes)
    if offset > MAX_UTC_OFFSET:
        return None
    return -offset if match["sign"] == "-" else offset


def _offset_hint(offset: dt.timedelta) -> str:
    """Return the end of the message for an offset: zones at it, or ``""``.

    Before: ``UTC+3``. After: a hint that names two cities whose standard
    time is UTC+3 and the fixed zone ``Etc/GMT-3``. An offset without
    whole hours, such as UTC+5:30, has no Etc zone, and an offset that no
    place uses gets no city.
    """
    cities = " or ".join(repr(zone) for zone in _cities_at(offset)[:OFFSET_CITIES])
    fixed = _fixed_offset_zone(offset)
    fixed_hint = "" if fixed is None else f"{fixed!r} for the fixed offset"
    if fixed is not None and fixed.startswith("Etc/"):
        fixed_hint += " (Etc zones count the other way round)"

    if cities and fixed_hint:
        return (
            f"; write the zone of a city at that offset, such as {cities}, which "
            f"follows its daylight saving changes, or {fixed_hint}"
        )
    if cities:
        return (
            f"; write the zone of a city at that offset, such as {cities}, which "
            "follows its daylight saving changes"
        )
    return f"; write {fixed_hint}" if fixed_hint else ""


def _fixed_offset_zone(offset: dt.timedelta) -> str | None:
    """Return the zone of a fixed whole-hour offset: ``UTC`` or an Etc zone.

    The Etc zones count the other way round: UTC+8 is ``Etc/GMT-8``.
    """
    if not offset:
        return "UTC"
    hours, rest = divmod(offset, dt.timedelta(hours=1))
    if rest:
        return None
    zone = f"Etc/GMT{'-' if hours > 0 else '+'}{abs(hours)}"
    return zone if is_time_zone(zone) else None


def _cities_at(offset: dt.timedelta) -> list[str]:
    """Return the city zones whose standard time is ``offset`` from UTC.

    Zones that this module names for abbreviations and other names come
    first, in the order listed, because people know them. The others
    follow by name.
    """
    at_offset = {
        zone for zone, standard in _standard_offsets().items() if standard == offset
    }
    first = [zone for zone in _KNOWN_ZONES if zone in at_offset]
    return first + sorted(at_offset.difference(first))


@functools.cache
def _standard_offsets() -> dict[str, dt.timedelta]:
    """Return each city zone's offset from UTC without daylight saving.

    That is the smaller of its offsets in January and in July of this year,
    so America/New_York, at UTC-4 in summer, is at UTC-5. Europe/Dublin is
    at UTC+0, although tzdata 2026f counts its summer time as standard and
    its winter as daylight saving of minus one hour.
    """
    year = dt.datetime.now(dt.UTC).year
    moments = [dt.datetime(year, month, 1, tzinfo=dt.UTC) for month in (1, 7)]
    offsets = {}
    for zone in set(_zones_by_name().values()):
        if zone.split("/")[0] not in OFFSET_CITY_REGIONS:
            continue
        place = zoneinfo.ZoneInfo(zone)
        local_offsets = [moment.astimezone(place).utcoffset() for moment in moments]
        offsets[zone] = min(offset for offset in local_offsets if offset is not None)
    return offsets


def _nearest_time_zone(folded: str) -> str | None:
    """Return the zone that a name spelt otherwise, or a city's name, means.

    ``america/new york``, ``New York`` and ``Asia/Mumbai`` name a zone by its
    spelling or its city. Otherwise the zone or city name closest in
    spelling is taken, if it is close enough and no other is about as close.
    """
    for folder in COPY_FOLDERS:
        folded = folded.removeprefix(folder)
    names = _zones_by_name()
    underscored = "_".join(folded.split())
    city = underscored.rsplit("/", 1)[-1]
    for key in (folded, underscored, city, city.replace("_", " ")):
        zone = names.get(key) or ZONE_OTHER_NAMES.get(key)
        if zone is not None:
            return zone
    return closest_value(underscored, names, cutoff=NEAR_ZONE_CUTOFF)


@functools.cache
def _zones_by_name() -> dict[str, str]:
    """Return each place's zone by its casefolded name and by its city's name.

    The city of ``America/New_York`` is ``new_york``. Of two zones of one
    city (America/Buenos_Aires and America/Argentina/Buenos_Aires, the same
    zone under an older and a newer name), the longer name is kept. A
    renamed zone's names give its current name: ``kiev`` gives Europe/Kyiv.
    """
    zones = sorted(
        (zone for zone in zoneinfo.available_timezones() if is_time_zone(zone)),
        key=lambda zone: (len(zone), zone),
    )
    names = {zone.casefold(): zone for zone in zones}
    for zone in reversed(zones):
        region, _, city = zone.rpartition("/")
        if region.split("/")[0] in CITY_REGIONS:
            names.setdefault(city.casefold(), zone)
    renamed = _renamed_zones()
    return {key: renamed.get(zone, zone) for key, zone in names.items()}


@functools.cache
def _renamed_zones() -> dict[str, str]:
    """Return the current name of each renamed city zone, by its old name.

    The database keeps an old name, such as Europe/Kiev, as a link to the
    zone's current name, Europe/Kyiv. A link counts as a rename when its
    target is listed in ``zone.tab`` and the link is not. Europe/Amsterdam,
    which the ``tzdata`` package 2026f links to Europe/Brussels, is still
    listed there, so it is no rename. Without the database's text files this
    returns none.
    """
    folder = _zone_text_folder()
    if folder is None:
        return {}
    listed = set()
    for line in (folder / "zone.tab").read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if not line.startswith("#") and len(fields) >= 3:
            listed.add(fields[2])
    renamed = {}
    for line in (folder / "tzdata.zi").read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) != 3 or fields[0] != "L":
            continue
        target, name = fields[1], fields[2]
        in_city_region = name.split("/")[0] in CITY_REGIONS
        if in_city_region and target in listed and name not in listed:
            renamed[name] = target
    return renamed


def _zone_text_folder() -> Path | None:
    """Return the zone database folder that has ``tzdata.zi`` and ``zone.tab``.

    The folders are searched in the order :mod:`zoneinfo` reads zones from:
    its TZPATH, then the ``tzdata`` package.
    """
    folders = [Path(path) for path in zoneinfo.TZPATH]
    try:
        package = importlib.resources.files("tzdata") / "zoneinfo"
    except ModuleNotFoundError:
        package = None
    if isinstance(package, Path):
        folders.append(package)
    for folder in folders:
        if (folder / "tzdata.zi").is_file() and (folder / "zone.tab").is_file():
            return folder
    return None
