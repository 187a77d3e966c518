"""Tests that every number key of a definition rejects true and false."""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from config.errors import DefinitionError
from config.loader import parse_pipeline
from config.models import Pipeline
from config.validation import format_key_path

Path = tuple[int | str, ...]

# A valid definition with at least one item in every list and mapping, so
# the walk below reaches every key.
FULL_DEFINITION: dict[str, object] = {
    "name": "Test pipeline",
    "source": {"tab": "Deals", "header_row": 1},
    "columns": {
        "id": {"aliases": ["Deal ID"], "fill": {"prefix": "D-", "digits": 4}},
        "stage": {"aliases": ["Stage"]},
        "owner": {"aliases": ["Owner"]},
        "region": {"aliases": ["Region"]},
        "next_step_date": {"aliases": ["Next step date"]},
        "close_date": {"aliases": ["Close date"]},
    },
    "stages": [
        {"name": "Lead", "probability": 0.1, "idle_days": 14},
        {"name": "Won", "outcome": "won", "probability": 1},
    ],
    "followups": {"due_soon_days": 3},
    "allowed": {"region": {"values": ["North"]}},
    "metrics": {"win_rate_days": 90},
    "notifications": {
        "digest_hour": 7,
        "owners": {"Ana Lima": {"email": "ana@example.com"}},
        "channels": [
            {
                "kind": "email",
                "smtp_host": "smtp.example.com",
                "smtp_port": 587,
                "from_address": "pipesheet@example.com",
            },
            {"kind": "webhook", "id": "chat", "url": "https://chat.example.com/h"},
        ],
    },
}


def number_key_paths(
    model: type[BaseModel], data: object, path: Path
) -> Iterator[Path]:
    """Yield the path of every key under ``model`` whose type accepts a number."""
    node = data if isinstance(data, dict) else {}
    for name, field in model.model_fields.items():
        yield from _walk_type(field.annotation, node.get(name), (*path, name))


def _walk_type(annotation: object, data: object, path: Path) -> Iterator[Path]:
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation in (int, float):
        yield path
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield from number_key_paths(annotation, data, path)
    elif origin is list and isinstance(data, list):
        for index, item in enumerate(data):
            yield from _walk_type(arguments[0], item, (*path, index))
    elif origin is dict and isinstance(data, dict):
        for key, item in data.items():
            yield from _walk_type(arguments[1], item, (*path, key))
    elif origin in (typing.Union, types.UnionType, typing.Annotated):
        members = arguments[:1] if origin is typing.Annotated else arguments
        for member in members:
            # An optional section left out, such as a column's fill, has no
            # key to set.
            if data is None and _is_model(member) and type(None) in arguments:
                continue
            if _tag_matches(member, data):
                yield from _walk_type(member, data, path)


def _is_model(member: object) -> bool:
    return isinstance(member, type) and issubclass(member, BaseModel)


def _tag_matches(member: object, data: object) -> bool:
    # The member of a tagged union, such as a channel, that the item's 'kind'
    # selects. Every other type matches.
    if not (isinstance(member, type) and issubclass(member, BaseModel)):
        return True
    tag = member.model_fields.get("kind")
    if tag is None or typing.get_origin(tag.annotation) is not typing.Literal:
        return True
    kind = data.get("kind") if isinstance(data, dict) else None
    return kind in typing.get_args(tag.annotation)


def set_value(data: dict[str, object], path: Path, value: object) -> None:
    node: typing.Any = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def test_walk_finds_number_keys() -> None:
    paths = set(number_key_paths(Pipeline, FULL_DEFINITION, ()))

    assert ("stages", 0, "idle_days") in paths
    assert ("stages", 1, "probability") in paths
    assert ("followups", "due_soon_days") in paths
    assert ("metrics", "win_rate_days") in paths
    assert ("notifications", "digest_hour") in paths
    assert ("notifications", "channels", 0, "smtp_port") in paths
    assert ("source", "header_row") in paths


def test_full_definition_accepted() -> None:
    parse_pipeline(copy.deepcopy(FULL_DEFINITION), origin="team.yaml")


@pytest.mark.parametrize("written", [True, False], ids=["true", "false"])
@pytest.mark.parametrize(
    "path",
    list(number_key_paths(Pipeline, FULL_DEFINITION, ())),
    ids=lambda path: ".".join(map(str, path)),
)
def test_number_key_rejects_true_false(path: Path, written: bool) -> None:
    data = copy.deepcopy(FULL_DEFINITION)
    set_value(data, path, written)

    with pytest.raises(DefinitionError) as raised:
        parse_pipeline(data, origin="team.yaml")

    lines = str(raised.value).splitlines()[1:]
    shown = "true" if written else "false"
    key_path = format_key_path(path, data)
    assert len(lines) == 1
    assert lines[0].startswith(f"  - {key_path}: invalid value {shown}; expected ")


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (
            ("stages", 0, "idle_days"),
            (
                "stages[0] ('Lead').idle_days: invalid value true; expected a whole "
                "number from 1 to 36500"
            ),
        ),
        (
            ("stages", 0, "probability"),
            (
                "stages[0] ('Lead').probability: invalid value true; expected a number "
                "from 0 to 1"
            ),
        ),
        (
            ("followups", "due_soon_days"),
            (
                "followups.due_soon_days: invalid value true; expected a whole number "
                "from 0 to 36500"
            ),
        ),
        (
            ("notifications", "digest_hour"),
            (
                "notifications.digest_hour: invalid value true; expected a whole "
                "number from 0 to 23"
            ),
        ),
        (
            ("source", "header_row"),
            (
                "source.header_row: invalid value true; expected the row number of the "
                "header (1 for the first row) or 'auto' to find it"
            ),
        ),
    ],
    ids=["idle-days", "probability", "due-soon-days", "digest-hour", "header-row"],
)
def test_true_as_number_message(path: Path, line: str) -> None:
    data = copy.deepcopy(FULL_DEFINITION)
    set_value(data, path, True)

    with pytest.raises(DefinitionError) as raised:
        parse_pipeline(data, origin="team.yaml")

    assert str(raised.value).splitlines()[1:] == [f"  - {line}"]
