"""Tests that docs/definition.md describes every key and choice of a definition."""

from __future__ import annotations

import copy
import enum
import re
import typing
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from config.loader import load_pipeline, parse_pipeline
from config.models import KNOWN_FIELD_TYPES, Pipeline

REPOSITORY = Path(__file__).resolve().parents[2]
REFERENCE = REPOSITORY / "docs" / "definition.md"

# How the reference writes the keys a user chooses, by the path of their mapping.
CHOSEN_KEY_NAMES = {
    "columns": "<field>",
    "allowed": "<field>",
    "notifications.owners": "<name>",
}
# An entry of the reference starts a line: "- `stages[].idle_days`: ...".
ENTRY = re.compile(r"^- `([^`]+)`:", re.MULTILINE)
YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.MULTILINE | re.DOTALL)


def collect_keys(model: type[BaseModel], prefix: str = "") -> tuple[set[str], set[str]]:
    """Return the key paths of ``model`` and every choice its keys accept.

    ``Pipeline`` gives paths such as ``source.tab``, ``stages[].idle_days`` and
    ``columns.<field>.type``, and choices such as ``google_sheets`` and ``won``.
    """
    paths: set[str] = set()
    choices: set[str] = set()
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        paths.add(path)
        _collect_type(field.annotation, path, paths, choices)
    return paths, choices


def _collect_type(
    annotation: object, path: str, paths: set[str], choices: set[str]
) -> None:
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        nested_paths, nested_choices = collect_keys(annotation, f"{path}.")
        paths |= nested_paths
        choices |= nested_choices
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        choices |= {str(member.value) for member in annotation}
    elif origin is typing.Literal:
        choices |= {str(argument) for argument in arguments}
    elif origin is list:
        _collect_type(arguments[0], f"{path}[]", paths, choices)
    elif origin is dict:
        chosen = CHOSEN_KEY_NAMES.get(path, "<key>")
        _collect_type(arguments[1], f"{path}.{chosen}", paths, choices)
    else:
        # Unions, Optional and Annotated: every member type.
        for argument in arguments:
            _collect_type(argument, path, paths, choices)


def test_collect_keys_walks_nested_models() -> None:
    paths, choices = collect_keys(Pipeline)

    assert "stages[].idle_days" in paths
    assert "columns.<field>.type" in paths
    assert "notifications.owners.<name>.webhooks" in paths
    assert "notifications.channels[].secret_env" in paths
    assert {"google_sheets", "won", "zh-CN", "flag", "webhook", "auto"} <= choices


def test_reference_has_entry_per_key() -> None:
    paths, _choices = collect_keys(Pipeline)
    documented = set(ENTRY.findall(REFERENCE.read_text(encoding="utf-8")))

    assert sorted(paths - documented) == [], "keys without an entry in the reference"
    assert sorted(documented - paths) == [], "entries for keys the model lacks"


def test_reference_names_every_choice() -> None:
    _paths, choices = collect_keys(Pipeline)
    text = REFERENCE.read_text(encoding="utf-8")

    missing = sorted(choice for choice in choices if f"`{choice}`" not in text)

    assert missing == []


def test_reference_names_every_known_field() -> None:
    text = REFERENCE.read_text(encoding="utf-8")

    missing = sorted(
        field for field in KNOWN_FIELD_TYPES if f"| `{field}` |" not in text
    )

    assert missing == []


def test_reference_example_is_valid(tmp_path: Path) -> None:
    # The first YAML block is the complete definition at the top of the page.
    example = YAML_BLOCK.findall(REFERENCE.read_text(encoding="utf-8"))[0]
    path = tmp_path / "pipeline.yaml"
    path.write_text(example, encoding="utf-8")

    pipeline = load_pipeline(path)

    assert pipeline.name == "Team pipeline"
    assert pipeline.notifications is not None


def test_readme_links_reference() -> None:
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")

    assert "(docs/definition.md)" in readme


# An entry's example: "Example: `key: value`", possibly across a line break.
ENTRY_WITH_BODY = re.compile(
    r"^- `([^`]+)`:(.*?)(?=^- |^#|\Z)", re.MULTILINE | re.DOTALL
)
EXAMPLE = re.compile(r"Example:\s+`([^`]+)`")

# Key paths whose example is valid only together with other keys.
EXAMPLE_PARTNERS: dict[str, dict[str, object]] = {
    "notifications.channels[].secret_env": {"format": "feishu"},
    "notifications.channels[].username_env": {"password_env": "SMTP_PASSWORD"},
    "notifications.channels[].password_env": {"username_env": "SMTP_USER"},
    "source.kind": {"spreadsheet": "1AbC"},
}
# A valid definition with an item in every list and mapping, where each
# documented example replaces one value. The first column is a field of the
# team's own, whose type any example may set. Only the id column takes fill.
FULL_DEFINITION: dict[str, object] = {
    "name": "Test pipeline",
    "source": {"tab": "Deals"},
    "columns": {
        "region": {"aliases": ["Region"]},
        "id": {"aliases": ["Deal ID"], "fill": {"prefix": "X-", "digits": 4}},
        "stage": {"aliases": ["Stage"]},
        "owner": {"aliases": ["Owner"]},
        "amount": {"aliases": ["Value"]},
        "product": {"aliases": ["Product"]},
        "created_date": {"aliases": ["Created"]},
        "next_step_date": {"aliases": ["Next step date"]},
        "close_date": {"aliases": ["Close date"]},
    },
    "stages": [
        {"name": "Lead", "idle_days": 14},
        {"name": "Won", "outcome": "won"},
    ],
    "allowed": {
        "region": {"values": ["North"]},
        "owner": {"from_tab": {"tab": "Lists", "column": "Owner"}},
    },
    "notifications": {
        "owners": {"Ana Lima": {"email": "ana@example.com"}},
        "channels": [
            {
                "kind": "email",
                "smtp_host": "smtp.example.com",
                "from_address": "pipesheet@example.com",
            },
            {
                "kind": "webhook",
                "id": "team-chat",
                "url": "https://example.com/h",
                "format": "generic",
            },
        ],
    },
}


def documented_examples() -> list[tuple[str, str]]:
    """Return each reference entry's key path and its one-key example."""
    text = REFERENCE.read_text(encoding="utf-8")
    found = []
    for path, body in ENTRY_WITH_BODY.findall(text):
        example = EXAMPLE.search(body)
        if example is not None:
            found.append((path, " ".join(example.group(1).split())))
    return found


def example_target(
    data: dict[str, typing.Any], path: str, keys: set[str]
) -> typing.Any:
    """Return the mapping of ``data`` that contains the key ``path`` names.

    In a list or a mapping of chosen keys, that is the first item with one of
    ``keys``, such as the e-mail channel for ``smtp_port``, else the first.
    """
    node: typing.Any = data
    for part in path.split(".")[:-1]:
        name = part.removesuffix("[]")
        if name.startswith("<"):
            node = _first_with_keys(list(node.values()), keys)
        else:
            node = node.setdefault(name, {})
        if part.endswith("[]"):
            node = _first_with_keys(node, keys)
    return node


def _first_with_keys(items: list[typing.Any], keys: set[str]) -> typing.Any:
    for item in items:
        # A nested key, such as the tab of from_tab, counts for the item too.
        nested = [value for value in item.values() if isinstance(value, dict)]
        if any(keys & set(mapping) for mapping in [item, *nested]):
            return item
    return items[0]


def test_documented_examples_found() -> None:
    examples = dict(documented_examples())

    assert examples["outputs.tabs.stage_log"].startswith("stage_log: ")
    assert examples["stages[].idle_days"] == "idle_days: 14"
    assert len(examples) > 40


@pytest.mark.parametrize(
    ("path", "example"), documented_examples(), ids=lambda value: str(value)
)
def test_documented_example_loads(path: str, example: str) -> None:
    written = yaml.safe_load(example)
    assert isinstance(written, dict)
    key = path.split(".")[-1].removesuffix("[]")
    assert list(written) == [key]
    data = copy.deepcopy(FULL_DEFINITION)
    partners = EXAMPLE_PARTNERS.get(path, {})
    target = example_target(data, path, {key, *partners})
    target.update(partners, **written)
    if written.get("kind") == "google_sheets":
        # Filling blank IDs is rejected for Google Sheets.
        del data["columns"]["id"]["fill"]

    parse_pipeline(data, origin="definition.md")
