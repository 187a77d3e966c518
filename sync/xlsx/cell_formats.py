"""The meaning of a cell format (``xf``) in the styles part, in any program's form.

pipesheet reuses a plain cell format it added on an earlier run: one with a
number format and a font and nothing else. Other programs write the same
format in other forms when they save the workbook. LibreOffice 7.4, for one,
writes every number format as a custom one (``General`` as id 164, built-in
date 14 as ``m/d/yyyy`` in English (USA)), adds default ``alignment`` and ``protection``
children and ``apply…="false"`` attributes, and renumbers fonts. The checks
here compare what those forms mean, so such a format is found again.

>>> codes = {164: "General", 165: "m/d/yyyy"}
>>> means_number_format(165, 14, codes), means_number_format(164, 0, codes)
(True, True)
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sync.xlsx.markup import unescape

_ATTRIBUTE = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_TAG = re.compile(r"<(/?)(?:[\w.-]+:)?([\w.-]+)\b([^>]*?)(/?)>")

# Custom format codes that mean the same as a built-in number format that
# pipesheet writes, compared in lower case without the backslashes and quotes
# that mark literal characters. Each id's code in ECMA-376 Part 1 (18.8.30)
# counts, and so do the codes LibreOffice 7.4 writes for the id. It writes
# the language's short date with slashes for 14 (``m/d/yyyy`` in English
# (USA), ``dd/mm/yyyy`` in German, ``yyyy/mm/dd`` in Japanese), the time
# with ``h`` or ``hh`` for 21, and both for 22. Such a custom date can show
# differently from the built-in one when the workbook is opened in another
# language, because only the built-in one follows the language.
_SHORT_DATE = (
    r"(?:d{1,2}/m{1,2}/(?:yy){1,2}|m{1,2}/d{1,2}/(?:yy){1,2}|(?:yy){1,2}/m{1,2}/d{1,2})"
)
_BUILT_IN_CODES: dict[int, re.Pattern[str]] = {
    0: re.compile("general"),
    3: re.compile("#,##0"),
    4: re.compile(r"#,##0\.00"),
    14: re.compile(f"mm-dd-yy|{_SHORT_DATE}"),
    21: re.compile("h{1,2}:mm:ss"),
    22: re.compile(f"{_SHORT_DATE} h{{1,2}}:mm"),
}
_TRUE = frozenset({"1", "true"})
_FALSE = frozenset({"0", "false"})
# Attributes of a cell format that mark which parts of it apply, plus the two
# flags that are off in a plain format. None of them changes how a plain
# format shows a value when it is off.
_APPLY_ATTRIBUTES = frozenset(
    {
        "applyNumberFormat",
        "applyFont",
        "applyFill",
        "applyBorder",
        "applyAlignment",
        "applyProtection",
    }
)
_OFF_FLAGS = frozenset({"quotePrefix", "pivotButton"})
_INDEX_ATTRIBUTES = frozenset({"numFmtId", "fontId", "fillId", "borderId", "xfId"})
# Each child a plain format may have, with the values that change nothing.
_DEFAULT_CHILDREN: dict[str, dict[str, frozenset[str]]] = {
    "alignment": {
        "horizontal": frozenset({"general"}),
        "vertical": frozenset({"bottom"}),
        "textRotation": frozenset({"0"}),
        "wrapText": _FALSE,
        "indent": frozenset({"0"}),
        "relativeIndent": frozenset({"0"}),
        "justifyLastLine": _FALSE,
        "shrinkToFit": _FALSE,
        "readingOrder": frozenset({"0"}),
    },
    "protection": {"locked": _TRUE, "hidden": _FALSE},
}


def attributes_of(tag: str) -> dict[str, str]:
    """Return the attributes of a start tag, their values unescaped."""
    return {
        name: unescape(double if double or not single else single)
        for name, double, single in _ATTRIBUTE.findall(tag)
    }


def plain_format_indexes(xf: str) -> dict[str, int] | None:
    """Return an ``xf``'s indexes if it only sets them, else None.

    A format is plain when it has no attribute but the indexes, ``apply…``
    attributes and switched-off flags, and no child but default alignment and
    protection. The indexes default to 0.

    >>> plain_format_indexes('<xf numFmtId="14" fontId="2" applyFont="true"/>')
    {'numFmtId': 14, 'fontId': 2, 'fillId': 0, 'borderId': 0, 'xfId': 0}
    """
    tags = _TAG.findall(xf)
    if not tags or tags[0][1] != "xf" or tags[0][0]:
        return None
    attributes = attributes_of(tags[0][2])
    for name, value in attributes.items():
        if name in _OFF_FLAGS and value.strip().lower() not in _FALSE:
            return None
        if name not in _INDEX_ATTRIBUTES | _APPLY_ATTRIBUTES | _OFF_FLAGS:
            return None
    if not all(_is_default_child(tag) for tag in tags[1:]):
        return None

    indexes: dict[str, int] = {}
    for name in ("numFmtId", "fontId", "fillId", "borderId", "xfId"):
        value = attributes.get(name, "0").strip()
        if not value.isdigit():
            return None
        indexes[name] = int(value)
    return indexes


def _is_default_child(tag: tuple[str, str, str, str]) -> bool:
    closing, name, attributes, _ = tag
    if name == "xf":
        return closing == "/"
    defaults = _DEFAULT_CHILDREN.get(name)
    if defaults is None:
        return False
    return all(
        value.strip() in defaults.get(attribute, frozenset())
        or value.strip().lower() in defaults.get(attribute, frozenset())
        for attribute, value in attributes_of(attributes).items()
    )


def means_number_format(
    num_fmt_id: int, built_in_id: int, codes: Mapping[int, str]
) -> bool:
    """Return whether number format ``num_fmt_id`` shows values as ``built_in_id``.

    :param codes: the workbook's custom format codes by id, from ``<numFmts>``.
    """
    if num_fmt_id == built_in_id and num_fmt_id not in codes:
        return True
    code = codes.get(num_fmt_id)
    if code is None:
        return False
    pattern = _BUILT_IN_CODES.get(built_in_id)
    return pattern is not None and pattern.fullmatch(normalised_code(code)) is not None


def normalised_code(code: str) -> str:
    r"""Return a format code in lower case, literal characters without marks.

    >>> normalised_code(r'YYYY\-MM\-DD "at" h:mm')
    'yyyy-mm-dd at h:mm'
    """
    unquoted = re.sub(r'"([^"]*)"', r"\1", code)
    return re.sub(r"\\(.)", r"\1", unquoted).lower()


def number_format_codes(num_fmts: list[str]) -> dict[int, str]:
    """Return the custom format codes by id, from the ``<numFmt>`` elements."""
    codes: dict[int, str] = {}
    for num_fmt in num_fmts:
        attributes = attributes_of(num_fmt)
        number = attributes.get("numFmtId", "").strip()
        if number.isdigit() and "formatCode" in attributes:
            codes[int(number)] = attributes["formatCode"]
    return codes


def is_empty_fill(fill: str) -> bool:
    """Return whether a ``<fill>`` paints nothing: no pattern and no gradient."""
    if "gradientFill" in fill:
        return False
    pattern = re.search(r"<(?:[\w.-]+:)?patternFill\b([^>]*)>", fill)
    if pattern is None:
        return True
    pattern_type = attributes_of(pattern.group(1)).get("patternType", "none")
    return pattern_type.strip() == "none"


def is_empty_border(border: str) -> bool:
    """Return whether a ``<border>`` draws no line: no side has a line style."""
    for _, name, attributes, _ in _TAG.findall(border):
        if name == "border":
            continue
        style = attributes_of(attributes).get("style", "none").strip()
        if style != "none":
            return False
    return True
