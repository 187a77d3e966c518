"""The extended properties part (``docProps/app.xml``) and its list of tab names.

Excel lists the workbook's parts there in groups: ``HeadingPairs`` contains each
group's heading and count (``Worksheets``, 3, ``Named Ranges``, 4) and
``TitlesOfParts`` the names, group after group. Headings are in the language of
the Excel that saved the file, so the worksheet group is found by its names
instead: it is the group that lists exactly the workbook's tabs. Readers treat
this part as a hint; when no group matches, it is left alone.
"""

from __future__ import annotations

import re

from sync.xlsx.markup import escape_text, unescape

_HEADING_PAIRS = re.compile(
    rb"<(?:[\w.-]+:)?HeadingPairs\b.*?</(?:[\w.-]+:)?HeadingPairs>", re.DOTALL
)
_TITLES = re.compile(
    rb"<(?:[\w.-]+:)?TitlesOfParts\b.*?</(?:[\w.-]+:)?TitlesOfParts>", re.DOTALL
)
_COUNT = re.compile(rb"<((?:[\w.-]+:)?i[248])>\s*(\d+)\s*</\1>")
_TITLE = re.compile(rb"<((?:[\w.-]+:)?lpstr)>(.*?)</\1>", re.DOTALL)
_VECTOR_SIZE = re.compile(rb"""(<(?:[\w.-]+:)?vector\b[^>]*?\ssize\s*=\s*["'])(\d+)""")


def add_tab_titles(xml: bytes, tabs_before: list[str], new_tabs: list[str]) -> bytes:
    """Append ``new_tabs`` to the worksheet group of an extended properties part.

    :param tabs_before: every tab of the workbook before the new ones, in order.
    :returns: the new part, or ``xml`` unchanged if it has no matching group.
    """
    headings = _HEADING_PAIRS.search(xml)
    titles = _TITLES.search(xml)
    if not new_tabs or headings is None or titles is None:
        return xml

    counts = list(_COUNT.finditer(headings.group(0)))
    names = list(_TITLE.finditer(titles.group(0)))
    group = _worksheet_group(counts, names, tabs_before)
    if group is None:
        return xml
    count, last_title = group

    new_titles = titles.group(0)
    tag = last_title.group(1).decode()
    added = "".join(f"<{tag}>{escape_text(name)}</{tag}>" for name in new_tabs)
    new_titles = (
        new_titles[: last_title.end()] + added.encode() + new_titles[last_title.end() :]
    )
    new_titles = _grow_vector(new_titles, len(new_tabs))

    new_headings = headings.group(0)
    grown = str(int(count.group(2)) + len(new_tabs)).encode()
    new_headings = new_headings[: count.start(2)] + grown + new_headings[count.end(2) :]
    return _replace_spans(xml, [(headings, new_headings), (titles, new_titles)])


def _worksheet_group(
    counts: list[re.Match[bytes]], names: list[re.Match[bytes]], tabs: list[str]
) -> tuple[re.Match[bytes], re.Match[bytes]] | None:
    """Return the count of the group listing exactly ``tabs``, and its last title."""
    titles = [unescape(name.group(2).decode("utf-8", "replace")) for name in names]
    start = 0
    for count in counts:
        size = int(count.group(2))
        if size and titles[start : start + size] == tabs:
            return count, names[start + size - 1]
        start += size
    return None


def _grow_vector(element: bytes, added: int) -> bytes:
    size = _VECTOR_SIZE.search(element)
    if size is None:
        return element
    grown = str(int(size.group(2)) + added).encode()
    return element[: size.start(2)] + grown + element[size.end(2) :]


def _replace_spans(
    xml: bytes, replacements: list[tuple[re.Match[bytes], bytes]]
) -> bytes:
    for match, content in sorted(replacements, key=lambda pair: -pair[0].start()):
        xml = xml[: match.start()] + content + xml[match.end() :]
    return xml
