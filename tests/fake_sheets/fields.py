"""Field masks: ``fields=sheets.properties,namedRanges`` on reads and in updates.

Paths use ``.`` or ``/`` between names, ``,`` between paths, and ``a(b,c)`` to pick
several children of ``a``. ``*`` selects everything. A mask is a tree: each name
maps to the mask of its children, or to ``None`` for the whole value.
"""

from __future__ import annotations

import copy
from typing import Any

Mask = dict[str, "Mask | None"]


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def parse_list(self, closing: str) -> Mask:
        tree: Mask = {}
        while True:
            names = self.parse_path()
            subtree = None
            if self.peek() == "(":
                self.position += 1
                subtree = self.parse_list(")")
                self.expect(")")
            _merge_path(tree, names, subtree)

            if self.peek() != ",":
                break
            self.position += 1
        if self.peek() not in (closing, ""):
            raise ValueError(f"unexpected {self.peek()!r} in field mask {self.text!r}")
        return tree

    def parse_path(self) -> list[str]:
        names = [self.parse_name()]
        while self.peek() in (".", "/"):
            self.position += 1
            names.append(self.parse_name())
        return names

    def parse_name(self) -> str:
        start = self.position
        while self.position < len(self.text) and (
            self.text[self.position].isalnum() or self.text[self.position] in "_*"
        ):
            self.position += 1
        if start == self.position:
            raise ValueError(f"missing field name in field mask {self.text!r}")
        return self.text[start : self.position]

    def peek(self) -> str:
        return self.text[self.position : self.position + 1]

    def expect(self, character: str) -> None:
        if self.peek() != character:
            raise ValueError(f"expected {character!r} in field mask {self.text!r}")
        self.position += 1


def _merge_path(tree: Mask, names: list[str], subtree: Mask | None) -> None:
    node = tree
    for name in names[:-1]:
        child = node.get(name, {})
        if child is None:
            return
        node[name] = child
        node = child

    last = names[-1]
    if subtree is None or node.get(last, {}) is None:
        node[last] = None
        return
    existing = node.setdefault(last, {})
    assert existing is not None
    for name, child in subtree.items():
        _merge_path(existing, [name], child)


def parse_mask(text: str) -> Mask | None:
    """Parse a field mask; ``None`` means everything (``*``). Raise ValueError."""
    text = text.replace(" ", "")
    if text in ("", "*"):
        return None
    parser = _Parser(text)
    return parser.parse_list("")


def select(value: Any, mask: Mask | None) -> Any:
    """Return the parts of a JSON value a read mask selects; absent keys stay absent.

    ``select({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": None}})`` gives
    ``{"b": {"c": 2}}``.
    """
    if mask is None:
        return value
    if isinstance(value, list):
        return [select(item, mask) for item in value]
    if not isinstance(value, dict):
        return value
    if "*" in mask:
        return value
    return {name: select(value[name], mask[name]) for name in mask if name in value}


def mask_paths(mask: Mask | None) -> list[tuple[str, ...]]:
    """Flatten a mask into paths: ``a(b,c)`` → ``[("a", "b"), ("a", "c")]``."""
    if mask is None:
        return [("*",)]
    paths: list[tuple[str, ...]] = []
    for name, child in mask.items():
        if child is None:
            paths.append((name,))
            continue
        paths.extend((name, *rest) for rest in mask_paths(child))
    return paths


def apply_update(
    target: dict[str, Any], source: dict[str, Any], mask: Mask | None
) -> None:
    """Copy the masked fields from an update request into a stored object.

    A masked field missing from ``source`` is removed from ``target`` (reset to its
    default), which is how the API clears a field.
    """
    for path in mask_paths(mask):
        if path == ("*",):
            target.clear()
            target.update(copy.deepcopy(source))
            continue
        _apply_path(target, source, path)


def _apply_path(target: dict[str, Any], source: Any, path: tuple[str, ...]) -> None:
    for name in path[:-1]:
        source = source.get(name) if isinstance(source, dict) else None
        child = target.get(name)
        if not isinstance(child, dict):
            child = {}
            target[name] = child
        target = child

    last = path[-1]
    if isinstance(source, dict) and source.get(last) is not None:
        target[last] = copy.deepcopy(source[last])
    else:
        target.pop(last, None)


def without_nulls(value: Any) -> Any:
    """Return JSON with ``null`` members removed; the API treats ``null`` as unset."""
    if isinstance(value, dict):
        return {
            key: without_nulls(item) for key, item in value.items() if item is not None
        }
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value
