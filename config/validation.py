"""Turn pydantic validation errors into one plain line per definition problem.

Before (one pydantic error)::

    {"type": "extra_forbidden", "loc": ("stages", 2, "idel_days"), "input": 7}

After::

    stages[2] ('Proposal').idel_days: unknown key 'idel_days'; did you mean
    'idle_days'? Valid keys here: name, aliases, probability, ...

(one line in the real message).
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from enum import Enum
from typing import Annotated, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from config.close_matches import closest_match
from config.models import Pipeline, key_path_part, yaml_text
from config.time_zones import TIME_ZONE_EXPECTED

# Location parts pydantic adds for the key of a dict entry, not for its value.
_DICT_KEY_PART = "[key]"
# Errors of a tagged union (``Field(discriminator=...)``) whose tag key is bad.
_TAG_ERRORS = ("union_tag_invalid", "union_tag_not_found")
# The key path that starts a line of a model validator's message, relative to
# the model: "owners['Ana Lima'].webhooks: ..." or "channels[1].id: ...".
_RELATIVE_PATH = re.compile(r"(\w+)(?:\[[^\]]*\]|\.[\w-]+)*:")
_MAX_VALUE_WIDTH = 60

# The expected value for each pydantic error type, worded for someone editing YAML.
_EXPECTED = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "dict_type": "a mapping of keys to values",
}


# Errors of a value that is not a number, for which a key's range is added.
_NUMBER_ERRORS = (
    "int_type",
    "int_parsing",
    "int_from_float",
    "float_type",
    "float_parsing",
)


def describe_validation_error(
    error: ValidationError,
    data: object,
    scalar_texts: Mapping[tuple[object, ...], str] | None = None,
) -> list[str]:
    """Return one line per problem in ``error``, each starting with its key path.

    :param error: what ``Pipeline.model_validate(data)`` raised.
    :param data: the data that was validated, used to name stages in key paths.
    :param scalar_texts: the text in the file of number and true/false values,
        by key path, as :class:`config.loader.DefinitionData` keeps it.
    """
    lines: list[str] = []
    for details in error.errors(include_url=False):
        lines.extend(_describe_one(details, data, scalar_texts or {}))
    return lines


def _describe_one(
    details: ErrorDetails,
    data: object,
    scalar_texts: Mapping[tuple[object, ...], str],
) -> list[str]:
    location = tuple(details["loc"])
    # A tag error is about the item's discriminator key, such as 'kind'.
    if details["type"] in _TAG_ERRORS:
        location += (str(details.get("ctx", {}).get("discriminator", "")).strip("'"),)
    key_path = _without_union_tags(location)
    path = format_key_path(key_path, data)
    prefix = f"{path}: " if path else ""

    # A model validator reports all its problems at once, one per line.
    if details["type"] == "value_error":
        message = str(details.get("ctx", {}).get("error", details["msg"]))
        keys = _valid_keys(key_path)
        return [_prefix_line(path, line, keys) for line in message.splitlines()]
    typed = scalar_texts.get(key_path)
    return [prefix + _describe_problem(details, location, typed)]


def _prefix_line(path: str, line: str, keys: list[str]) -> str:
    """Put the key path of a model before one line of its validator's message.

    A line that starts with a key of the model continues the path, so
    ``owners.Ana.webhooks: ...`` under ``notifications`` reads
    ``notifications.owners.Ana.webhooks: ...``, as a key's own errors do.
    """
    if not path:
        return line
    relative = _RELATIVE_PATH.match(line)
    if relative is not None and relative.group(1) in keys:
        return f"{path}.{line}"
    return f"{path}: {line}"


def format_key_path(location: tuple[int | str, ...], data: object) -> str:
    """Write a pydantic error location as a key path, naming list items.

    ``("stages", 2, "idle_days")`` becomes ``stages[2] ('Proposal').idle_days``
    when the third stage is named ``Proposal``. Parts pydantic adds for the
    branches of a union are dropped.
    """
    path = ""
    node = data
    for part in location:
        if isinstance(node, list) and isinstance(part, int):
            path += f"[{part}]"
            node = node[part] if 0 <= part < len(node) else None
            path += _item_name(node)
        elif isinstance(node, dict) and part != _DICT_KEY_PART:
            path += _key_text(part, first=not path)
            node = node.get(part)
    return path


def _item_name(item: object) -> str:
    name = item.get("name") if isinstance(item, dict) else None
    return f" ({name!r})" if isinstance(name, str) and name.strip() else ""


def _key_text(key: object, first: bool) -> str:
    text = key_path_part(key)
    return text.removeprefix(".") if first else text


def _describe_problem(
    details: ErrorDetails, location: tuple[int | str, ...], typed: str | None
) -> str:
    """Describe one problem; ``typed`` is the value's text in the file, if known."""
    kind = details["type"]
    value = details["input"]

    if kind == "extra_forbidden":
        return _describe_unknown_key(location)
    if kind in _TAG_ERRORS:
        return _describe_union_tag(details, location)
    if kind == "missing":
        return "missing; this key is required"
    if _DICT_KEY_PART in location:
        return f"invalid key {_show(value)}; expected text, so put it in quotes"
    if kind in ("too_short", "string_too_short"):
        return _describe_too_short(details)

    expected = _expected_text(details, location)
    # YAML gives None for a key written with nothing after the colon.
    value_text = "no value" if value is None else f"invalid value {_show(value)}"
    if typed is not None:
        value_text = f"invalid value {typed}"
    # 'true' reads as True, which needs no telling, but 010 reads as 8.
    if typed is not None and not isinstance(value, bool) and typed != str(value):
        value_text += f", which YAML reads as {_show(value)}"
    problem = f"{value_text}; expected {expected}"
    if kind == "string_type" and isinstance(value, bool | int | float):
        return problem + _quote_advice(value, typed)
    return problem + _suggest_choice(value, location)


def _quote_advice(value: bool | int | float, typed: str | None) -> str:
    # YAML reads 010 as 8 and 1.10 as 1.1, so the file's own text is shown
    # where it is known. Data from elsewhere, such as a Rules tab, has none.
    text = yaml_text(value) if isinstance(value, bool) else str(value)
    if typed is not None:
        text = typed
    return f', so put it in quotes: "{text}"'


def _describe_unknown_key(location: tuple[int | str, ...]) -> str:
    key = location[-1]
    valid = _valid_keys(location[:-1])
    nearest = closest_match(str(key), valid)

    problem = f"unknown key {key!r}"
    if nearest is not None:
        problem += f"; did you mean {nearest!r}?"
    else:
        problem += "."
    if valid:
        problem += f" Valid keys here: {', '.join(valid)}"
    return problem


def _describe_union_tag(details: ErrorDetails, location: tuple[int | str, ...]) -> str:
    tags = _union_tags(_annotation_at(location[:-1]))
    expected = " or ".join(repr(tag) for tag in tags)
    if details["type"] == "union_tag_not_found":
        return f"missing; this key is required, expected {expected}"

    value = details.get("ctx", {}).get("tag")
    problem = f"invalid value {_show(value)}; expected {expected}"
    nearest = closest_match(str(value), tags)
    return problem + (f"; did you mean {nearest!r}?" if nearest is not None else "")


def _describe_too_short(details: ErrorDetails) -> str:
    context = details.get("ctx", {})
    minimum = context.get("min_length", 1)
    if details["type"] == "string_too_short":
        return f"invalid value {_show(details['input'])}; expected non-empty text"

    actual = context.get("actual_length", 0)
    return f"has {_count(actual, 'item')}; expected at least {_count(minimum, 'item')}"


def _expected_text(details: ErrorDetails, location: tuple[int | str, ...]) -> str:
    kind = details["type"]
    context = details.get("ctx", {})
    value = details["input"]

    if kind in ("enum", "literal_error"):
        return str(context["expected"])
    # A blank Rules tab cell or an empty YAML key, where "text" would not say
    # which text.
    if value is None and location and location[-1] == "timezone":
        return TIME_ZONE_EXPECTED
    if kind == "model_type":
        return f"a mapping with the keys {', '.join(_valid_keys(location))}"
    if kind == "list_type":
        items = get_args(_annotation_at(location))
        of_text = [_strip_optional(item) for item in items] == [str]
        if not (of_text and isinstance(value, str)):
            return "a list"
        # "Nord, Süd" is meant as two values, not one.
        parts = [part.strip() for part in re.split(r"[,，、]", value) if part.strip()]
        return f"a list, such as {parts!r}"
    if kind in ("model_type", "model_attributes_type") and _union_models(
        _annotation_at(location)
    ):
        return _expected_union_member(value, location)
    if kind == "model_attributes_type":
        return f"a mapping with the keys {', '.join(_valid_keys(location))}"
    if kind in ("greater_than", "greater_than_equal", "less_than_equal"):
        return _expected_bound(kind, context, location)
    expected = _EXPECTED.get(kind, details["msg"])
    bounds = _declared_bounds(location)
    if kind in _NUMBER_ERRORS and bounds is not None:
        expected += f" from {_number(bounds[0])} to {_number(bounds[1])}"
    return expected


def _expected_union_member(value: object, location: tuple[int | str, ...]) -> str:
    # A tagged union such as a channel: its 'kind' picks the keys that apply.
    annotation = _annotation_at(location)
    tags = _union_tags(annotation)
    tag_key = _union_tag_key(annotation)
    text = f"a mapping whose key {tag_key!r} is " + " or ".join(map(repr, tags))
    member = _union_member(annotation, value) if isinstance(value, str) else None
    if member is None:
        return text

    required = [
        name
        for name, field in member.model_fields.items()
        if field.is_required() and name != tag_key
    ]
    example = ", ".join([f"{tag_key}: {value}", *(f"{name}: ..." for name in required)])
    return (
        f"{text}, such as {{{example}}}; the keys of {tag_key} {value!r} are "
        f"{', '.join(member.model_fields)}"
    )


def _union_tag_key(annotation: object) -> str:
    for member in _union_models(annotation):
        for name, field in member.model_fields.items():
            if get_origin(field.annotation) is Literal:
                return name
    return "kind"


def _expected_bound(
    kind: str, context: dict[str, object], location: tuple[int | str, ...]
) -> str:
    bounds = _declared_bounds(location)
    if bounds is not None:
        low, high = bounds
        noun = _number_noun(location)
        text = f"{noun} from {_number(low)} to {_number(high)}"
    elif kind == "greater_than":
        text = f"a number greater than {_number(context['gt'])}"
    elif kind == "greater_than_equal":
        text = f"a number of {_number(context['ge'])} or more"
    else:
        text = f"a number of {_number(context['le'])} or less"

    if location and location[-1] == "probability":
        text += " (a probability is a fraction: 0.25 means 25%)"
    return text


def _number_noun(location: tuple[int | str, ...]) -> str:
    """Return "a whole number" for an integer key, the words of its type error.

    Any other key gets "a number".
    """
    is_integer = _strip_optional(_annotation_at(location)) is int
    return "a whole number" if is_integer else "a number"


def _declared_bounds(location: tuple[int | str, ...]) -> tuple[object, object] | None:
    """Return the lowest and highest valid value of a key that declares both.

    A message that gives the whole range saves a second try after the value
    is fixed on one side.
    """
    parent = _annotation_at(location[:-1])
    if not (location and isinstance(parent, type) and issubclass(parent, BaseModel)):
        return None
    field = parent.model_fields.get(str(location[-1]))
    if field is None:
        return None

    constraints = [*field.metadata, *_annotated_constraints(field.annotation)]
    lows = [item.ge for item in constraints if isinstance(item, annotated_types.Ge)]
    highs = [item.le for item in constraints if isinstance(item, annotated_types.Le)]
    if not lows or not highs:
        return None
    return lows[0], highs[0]


def _annotated_constraints(annotation: object) -> list[object]:
    # The constraints of an ``Annotated[int, Field(ge=1)]`` inside a union,
    # which pydantic keeps on the inner Field, not on the key's own.
    found: list[object] = []
    arguments = get_args(annotation)
    if get_origin(annotation) is Annotated:
        for extra in arguments[1:]:
            found += getattr(extra, "metadata", [])
        arguments = arguments[:1]
    for argument in arguments:
        found += _annotated_constraints(argument)
    return found


def _suggest_choice(value: object, location: tuple[int | str, ...]) -> str:
    choices = _choices_at(location)
    if isinstance(value, str) and choices:
        nearest = closest_match(value, choices)
        if nearest is not None:
            return f"; did you mean {nearest!r}?"
    return ""


def _valid_keys(location: tuple[int | str, ...]) -> list[str]:
    model = _annotation_at(location)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _choices_at(location: tuple[int | str, ...]) -> list[str]:
    annotation = _annotation_at(location)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(member.value) for member in annotation]
    return []


def declared_type_at(location: tuple[int | str, ...]) -> object:
    """Return the type a definition declares at a key path, without Optional.

    ``("followups", "due_soon_days")`` gives ``int``, and a path that names no
    key gives None.
    """
    return _annotation_at(location)


def _annotation_at(location: tuple[int | str, ...]) -> object:
    """Return the declared type at a location, or None when it cannot be followed."""
    annotation: object = Pipeline
    for part in location:
        annotation = _strip_optional(annotation)
        member = _union_member(annotation, part)
        if member is not None:
            annotation = member
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return None
            annotation = field.annotation
        elif get_origin(annotation) in (list, dict):
            annotation = get_args(annotation)[-1]
        else:
            return None
    return _strip_optional(annotation)


def _without_union_tags(location: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """Drop the parts pydantic adds to a location for the branch of a tagged union.

    ``("notifications", "channels", 0, "email", "smtp_host")`` becomes
    ``("notifications", "channels", 0, "smtp_host")``: ``email`` is the value of
    the item's ``kind``, not a key the user wrote.
    """
    return tuple(
        part
        for index, part in enumerate(location)
        if _union_member(_strip_optional(_annotation_at(location[:index])), part)
        is None
    )


def _union_member(annotation: object, tag: int | str) -> type[BaseModel] | None:
    """Return the model of a tagged union that the tag value ``tag`` selects."""
    for member in _union_models(annotation):
        for field in member.model_fields.values():
            literal = get_origin(field.annotation) is Literal
            if literal and tag in get_args(field.annotation):
                return member
    return None


def _union_tags(annotation: object) -> list[str]:
    return [
        str(value)
        for member in _union_models(_strip_optional(annotation))
        for field in member.model_fields.values()
        if get_origin(field.annotation) is Literal
        for value in get_args(field.annotation)
    ]


def _union_models(annotation: object) -> list[type[BaseModel]]:
    if get_origin(annotation) not in (Union, types.UnionType):
        return []
    members = get_args(annotation)
    if all(isinstance(m, type) and issubclass(m, BaseModel) for m in members):
        return list(members)
    return []


def _strip_optional(annotation: object) -> object:
    while True:
        origin = get_origin(annotation)
        arguments = get_args(annotation)
        if origin is Annotated:
            annotation = arguments[0]
            continue

        members = [member for member in arguments if member is not type(None)]
        if origin in (Union, types.UnionType) and len(members) == 1:
            annotation = members[0]
            continue
        return annotation


def _count(number: object, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _show(value: object) -> str:
    text = yaml_text(value)
    if len(text) > _MAX_VALUE_WIDTH:
        return text[: _MAX_VALUE_WIDTH - 3] + "..."
    return text
