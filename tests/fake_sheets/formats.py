"""Cell formats and colours as the API stores and prints them.

The API keeps colours at 8-bit precision and prints them as 32-bit floats with
zero components left out: ``{"red": 1, "green": 0, "blue": 0.5}`` reads back as
``{"red": 1, "blue": 0.49803922}``. That is 127/255, so components are truncated,
not rounded (inferred from this one recorded colour). Each plain colour field
gets a mirrored ``...Style`` field (``backgroundColor`` ↔
``backgroundColorStyle.rgbColor``).
"""

from __future__ import annotations

import copy
import math
import struct
from typing import Any

_COMPONENTS = ("red", "green", "blue", "alpha")
_COLOR_FIELDS = frozenset({"backgroundColor", "foregroundColor", "color", "tabColor"})


def normalize_color(color: dict[str, Any]) -> dict[str, Any]:
    """Return a colour as the API prints it after storing it."""
    normalized: dict[str, Any] = {}
    for component in _COMPONENTS:
        value = color.get(component)
        if value is None:
            continue
        stored = math.floor(float(value) * 255 + 1e-6) / 255
        printed = float(f"{struct.unpack('f', struct.pack('f', stored))[0]:.8g}")
        if component == "alpha" or printed:
            normalized[component] = int(printed) if printed == int(printed) else printed
    return normalized


def _mirror(holder: dict[str, Any], plain: str) -> None:
    """Fill in ``plain`` from ``plainStyle`` or the reverse; the Style field wins."""
    style_name = plain + "Style"
    style = holder.get(style_name)
    if isinstance(style, dict):
        rgb_color = style.get("rgbColor")
        theme_color = style.get("themeColor")
        holder.pop(plain, None)
        holder.pop(style_name, None)
        if rgb_color is not None:
            holder[plain] = normalize_color(rgb_color)
            holder[style_name] = {"rgbColor": holder[plain]}
        elif theme_color:
            holder[style_name] = {"themeColor": theme_color}
        return

    color = holder.pop(plain, None)
    if isinstance(color, dict):
        holder[plain] = normalize_color(color)
        holder[style_name] = {"rgbColor": holder[plain]}


def drop_stale_mirrors(target: dict[str, Any], paths: list[tuple[str, ...]]) -> None:
    """Drop the mirror of each colour field an update just set, so it is rebuilt.

    Setting ``backgroundColor`` must replace an older ``backgroundColorStyle``
    instead of being overridden by it.
    """
    for path in paths:
        holder: Any = target
        for name in path[:-1]:
            holder = holder.get(name) if isinstance(holder, dict) else None
        if not isinstance(holder, dict):
            continue
        last = path[-1]
        if last in _COLOR_FIELDS:
            holder.pop(last + "Style", None)
        elif last.endswith("Style") and last[: -len("Style")] in _COLOR_FIELDS:
            holder.pop(last[: -len("Style")], None)


def normalize_format(cell_format: dict[str, Any]) -> dict[str, Any]:
    """Return a CellFormat with colours normalised and their Style mirrors added."""
    normalized = copy.deepcopy(cell_format)
    _mirror(normalized, "backgroundColor")
    text_format = normalized.get("textFormat")
    if isinstance(text_format, dict):
        _mirror(text_format, "foregroundColor")
    borders = normalized.get("borders")
    if isinstance(borders, dict):
        for side in borders.values():
            if isinstance(side, dict):
                _mirror(side, "color")
    return normalized


def normalize_tab_color(properties: dict[str, Any]) -> None:
    """Normalise ``tabColor``/``tabColorStyle`` of SheetProperties in place."""
    _mirror(properties, "tabColor")


def merged_format(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` with ``override`` laid over it, nested objects merged."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merged_format(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
