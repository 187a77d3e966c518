"""Tests that docs/definition.md describes every key and choice of a definition."""

from __future__ import annotations

import enum
import re
import typing
from pathlib import Path

from pydantic import BaseModel

from config.loader import load_pipeline
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
