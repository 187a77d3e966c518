"""Load a pipeline definition from a YAML file and validate it.

All problems found are raised together as one
:class:`~config.errors.DefinitionError`. Its message names the file, and for each
problem the key path as written in YAML (``stages[2] ('Proposal').idle_days``),
the invalid value and what is expected.
"""

from __future__ import annotations

import codecs
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from config.errors import DefinitionError
from config.file_kinds import non_regular_kind
from config.file_signatures import OLE_SIGNATURE
from config.unclosed_quotes import find_unclosed_quote

# pydantic and the models take most of the loader's import time, so they are
# imported when a definition is validated; reading YAML needs neither.
if TYPE_CHECKING:
    from config.models import Pipeline

logger = logging.getLogger(__name__)

_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TOP_LEVEL_KEYS = "name, source, columns and stages"
# Bytes of a definition searched for the NUL bytes of UTF-16 text.
_SAMPLE_BYTES = 4096
# Keys, values and list items a definition may expand to through its aliases.
# The shipped definitions have under 500; a long inline allowed list of some
# thousand values stays far below it, while nested aliases can reach billions.
MAX_EXPANDED_NODES = 100_000
# Files that hold deals rather than a definition: the workbook and table
# formats pipesheet reads as a source, and the Excel and Numbers formats it
# does not read.
WORKBOOK_SUFFIXES = frozenset(
    {".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods", ".numbers"}
    | {".csv", ".tsv"}
)
# The first bytes of a zip archive (.xlsx, .ods, .numbers) and of an OLE
# compound file (.xls, and an .xlsx encrypted with a password). No UTF-8 YAML
# text starts with either, so a renamed workbook is found by its content.
_WORKBOOK_SIGNATURES = (b"PK\x03\x04", OLE_SIGNATURE)


class DefinitionData(dict[object, object]):
    """The top-level mapping of a definition read from YAML, with typed texts.

    ``scalar_texts`` maps the key path of each number and true/false value to
    its text in the file, such as ``("allowed", "code", "values", 1)`` to
    ``"010"``. YAML reads ``010`` as 8 and ``1.10`` as 1.1, so a message about
    quoting such a value shows the text from the file.
    """

    scalar_texts: dict[tuple[object, ...], str]


class _DefinitionConstructor(yaml.constructor.SafeConstructor):
    """A safe YAML constructor that rejects repeated keys in a mapping."""

    def construct_mapping(
        self, node: yaml.MappingNode, deep: bool = False
    ) -> dict[object, object]:
        _reject_repeated_keys(self, node)
        return super().construct_mapping(node, deep=deep)


class _DefinitionYamlLoader(_DefinitionConstructor, yaml.SafeLoader):
    """A safe YAML loader that rejects repeated keys and reads fewer implicit types.

    Only ``true`` and ``false`` are booleans (the YAML 1.2 rule), so a list value
    such as ``No`` or ``Off`` stays text. Dates stay text too: no definition key
    takes a date.
    """


_DefinitionYamlLoader.yaml_implicit_resolvers = {
    first_character: [
        (tag, pattern)
        for tag, pattern in resolvers
        if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)
    ]
    for first_character, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_DefinitionYamlLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _libyaml_loader() -> type[yaml.CSafeLoader] | None:
    """Return :class:`_DefinitionYamlLoader` on libyaml's parser, if PyYAML has it.

    PyYAML built without libyaml has no ``CSafeLoader``. The class resolves
    tags with the same implicit resolvers, so it builds the same data.
    """
    if not getattr(yaml, "__with_libyaml__", False):
        return None

    class _DefinitionLibyamlLoader(_DefinitionConstructor, yaml.CSafeLoader):
        """:class:`_DefinitionYamlLoader` with libyaml's scanner and parser."""

    resolvers = _DefinitionYamlLoader.yaml_implicit_resolvers
    _DefinitionLibyamlLoader.yaml_implicit_resolvers = {
        first_character: list(entries) for first_character, entries in resolvers.items()
    }
    return _DefinitionLibyamlLoader


# libyaml parsed the shipped English definition in 1.3 ms instead of 8.6 ms
# (first parse in a process, PyYAML 6.0.4, 2-core VM). Errors are still
# reported by the pure-Python parser: see _load_single_document.
_LIBYAML_LOADER = _libyaml_loader()


def load_pipeline(path: Path) -> Pipeline:
    """Read, parse and validate the pipeline definition in a YAML file.

    A relative ``source.path`` or ``source.credentials`` is taken relative to the
    folder of the definition file, so a definition and its workbook can move
    together.

    :param path: the YAML file.
    :raises DefinitionError: the file is missing, unreadable, not UTF-8, not
        valid YAML, or not a valid definition.
    """
    return build_pipeline(read_definition(path), path)


def read_definition(path: Path) -> object:
    """Read and parse a definition's YAML file without validating it.

    :raises DefinitionError: the file is missing, unreadable, not UTF-8 or not
        valid YAML.
    """
    return _parse_yaml(_read_text(path), origin=str(path))


def is_workbook_file(path: Path) -> bool:
    """Return True when ``path`` names a workbook or CSV file, not a definition.

    The file's suffix (``.xlsx``, ``.csv``, ...) decides first. A file with
    another suffix is a workbook when it starts like a zip archive or an OLE
    compound file, as a renamed .xlsx or .xls does.
    """
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        return True
    # Only a regular file is read twice safely: reading a pipe such as
    # /dev/stdin here would take its first bytes from the definition.
    if not path.is_file():
        return False
    try:
        with path.open("rb") as file:
            start = file.read(8)
    except OSError:
        return False  # Reading the definition reports a missing or unreadable file.
    return start.startswith(_WORKBOOK_SIGNATURES)


def build_pipeline(data: object, path: Path) -> Pipeline:
    """Validate the data :func:`read_definition` read from ``path``.

    Relative source paths are resolved as :func:`load_pipeline` describes.

    :raises DefinitionError: the data is not a valid definition.
    """
    pipeline = parse_pipeline(data, origin=str(path))
    logger.debug("Loaded pipeline definition %s", path)
    return resolve_source_paths(pipeline, path.parent)


def peek_excel_source(data: object, path: Path) -> tuple[str | None, str] | None:
    """Return the workbook path and tab of an Excel definition not yet validated.

    This is for work that may start before :func:`build_pipeline` is done, and
    must be redone or dropped if the definition turns out invalid. The path is
    resolved like :func:`load_pipeline` does, and is None when the definition
    sets none. Returns None unless ``source.tab`` is text and ``source.kind``
    is missing or ``excel``.

    >>> peek_excel_source({"source": {"path": "deals.xlsx", "tab": "Deals"}},
    ...                   Path("/srv/pipeline.yaml"))
    ('/srv/deals.xlsx', 'Deals')
    """
    source = data.get("source") if isinstance(data, dict) else None
    if not isinstance(source, dict):
        return None
    # The value of config.models.SourceKind.EXCEL, which imports pydantic.
    if source.get("kind", "excel") != "excel" or not isinstance(source.get("tab"), str):
        return None

    location = source.get("path")
    if not isinstance(location, str) or not location.strip():
        return None, source["tab"]
    return _resolve_against(location, path.parent), source["tab"]


def names_rules_tab(data: object) -> bool:
    """Return True when definition data not yet validated sets ``source.rules_tab``.

    >>> names_rules_tab({"source": {"tab": "Deals", "rules_tab": "Rules"}})
    True
    """
    source = data.get("source") if isinstance(data, dict) else None
    return isinstance(source, dict) and source.get("rules_tab") is not None


def parse_pipeline(data: object, origin: str) -> Pipeline:
    """Validate already-loaded definition data into a :class:`Pipeline`.

    :param data: the loaded YAML document (or the same data from another place,
        such as a ``Rules`` tab).
    :param origin: where the data came from, shown first in every message.
    :raises DefinitionError: with one line per problem found.
    """
    from pydantic import ValidationError

    from config.models import Pipeline

    check_top_level(data, origin)
    try:
        return Pipeline.model_validate(data)
    except ValidationError as error:
        # Imported only here, because a valid definition never needs it.
        from config.validation import describe_validation_error

        texts = data.scalar_texts if isinstance(data, DefinitionData) else {}
        problems = describe_validation_error(error, data, texts)

    count = f"{len(problems)} problem" + ("" if len(problems) == 1 else "s")
    lines = "\n".join(f"  - {problem}" for problem in problems)
    raise DefinitionError(f"{origin}: invalid pipeline definition ({count}):\n{lines}")


def _read_text(path: Path) -> str:
    try:
        kind = non_regular_kind(path)
        if kind is not None and kind != "a folder":
            raise DefinitionError(
                f"{path}: is {kind}, not a regular file; give the path of the "
                "definition's YAML file"
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DefinitionError(
            f"{path}: pipeline definition file not found; check the path "
            "or create the file"
        ) from None
    except IsADirectoryError:
        raise DefinitionError(
            f"{path}: is a folder; give the path of the definition's YAML file"
        ) from None
    except OSError as error:
        raise DefinitionError(
            f"{path}: the pipeline definition cannot be read ({error.strerror}); "
            "check the file's permissions"
        ) from None

    if path.suffix.lower() in WORKBOOK_SUFFIXES or raw.startswith(_WORKBOOK_SIGNATURES):
        raise DefinitionError(
            f"{path}: this is a workbook, not a pipeline definition; give a "
            "definition's YAML file or a shipped definition's name (see "
            "'pipesheet definitions'), and set the workbook as source.path in "
            "the definition or pass it with --source"
        )
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_utf16(raw, path)
    # Latin text in UTF-16 has a NUL byte in every other position; UTF-8 YAML
    # has none, except a stray one that the YAML reader reports with its line.
    sample = raw[:_SAMPLE_BYTES]
    if len(sample) >= 4 and sample.count(0) * 4 >= len(sample):
        raise DefinitionError(
            f"{path}: the file looks like UTF-16 text without a byte order mark "
            "(it contains NUL bytes); save it with UTF-8 encoding"
        )

    # utf-8-sig also accepts the byte-order mark some Windows editors write.
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        byte = raw[error.start : error.start + 1]
        raise DefinitionError(
            f"{path}, line {line}: the file is not UTF-8 text (byte {byte!r} "
            f"at offset {error.start}); save it with UTF-8 encoding, for example "
            "by converting it from GBK or Windows-1252"
        ) from None


def _decode_utf16(raw: bytes, path: Path) -> str:
    # A UTF-32 byte order mark starts with the UTF-16 one. It gets its own
    # message, because decoding it as UTF-16 would give NUL characters.
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise DefinitionError(
            f"{path}: the file is UTF-32 text; save it with UTF-8 encoding"
        )
    try:
        return raw.decode("utf-16")
    except UnicodeDecodeError as error:
        raise DefinitionError(
            f"{path}: the file starts as UTF-16 text but is damaged at byte "
            f"{error.start}; save it again with UTF-8 encoding"
        ) from None


def _parse_yaml(text: str, origin: str) -> object:
    try:
        return _load_single_document(text, origin)
    except yaml.MarkedYAMLError as error:
        raise DefinitionError(_describe_yaml_error(error, text, origin)) from None
    except yaml.reader.ReaderError as error:
        line = text[: error.position].count("\n") + 1
        raise DefinitionError(
            f"{origin}, line {line}: invalid YAML: the character "
            f"{chr(error.character)!r} is not allowed in YAML text; delete it"
        ) from None


def _load_single_document(text: str, origin: str) -> object:
    """Parse a definition's only YAML document, with libyaml when PyYAML has it.

    libyaml words its errors differently ("mapping values are not allowed in
    this context" where the pure-Python parser writes "... here"), while
    ``_yaml_hint`` matches the pure-Python wording. So on any failure, whatever
    the exception, the text is parsed again by the pure-Python parser, which
    raises the error that is reported.
    """
    if _LIBYAML_LOADER is not None:
        try:
            return _load_document_with(_LIBYAML_LOADER, text, origin)
        except Exception as error:
            logger.debug("libyaml failed on %s, parsing it again: %r", origin, error)
    return _load_document_with(_DefinitionYamlLoader, text, origin)


def _load_document_with(
    loader_class: type[yaml.SafeLoader] | type[yaml.CSafeLoader], text: str, origin: str
) -> object:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_expanded_size(node, origin)
        data = None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()
    if node is None or not isinstance(data, dict):
        return data

    document = DefinitionData(data)
    document.scalar_texts = _typed_scalar_texts(node, (), set())
    return document


def _typed_scalar_texts(
    node: yaml.Node, path: tuple[object, ...], open_nodes: set[int]
) -> dict[tuple[object, ...], str]:
    # open_nodes stops at an alias of a node that contains itself.
    if isinstance(node, yaml.ScalarNode):
        typed = node.tag in (_INT_TAG, _FLOAT_TAG, _BOOL_TAG)
        return {path: node.value} if typed else {}
    if id(node) in open_nodes:
        return {}

    open_nodes.add(id(node))
    texts: dict[tuple[object, ...], str] = {}
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            texts.update(_typed_scalar_texts(item, (*path, index), open_nodes))
    elif isinstance(node, yaml.MappingNode):
        # Merged keys are in node.value once the mapping is constructed.
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag == _STR_TAG:
                key_path = (*path, key_node.value)
                texts.update(_typed_scalar_texts(value_node, key_path, open_nodes))
    open_nodes.discard(id(node))
    return texts


def _check_expanded_size(root: yaml.Node, origin: str) -> None:
    """Reject a document whose aliases expand to more than ``MAX_EXPANDED_NODES``.

    The composed document shares one node per anchor, so nested aliases (a
    "billion laughs") stay small here but would build billions of Python
    objects. Each node's expanded size is counted once. An alias back to an
    enclosing node (a recursive structure) counts as one node, because the
    constructor builds it as one object.
    """
    sizes: dict[int, int] = {}

    def expanded_size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = 1  # Seen, so a cycle back to it counts once.
        size = 1
        if isinstance(node, yaml.SequenceNode):
            size += sum(expanded_size(item) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                size += expanded_size(key) + expanded_size(value)
        size = min(size, MAX_EXPANDED_NODES + 1)
        sizes[id(node)] = size
        return size

    if expanded_size(root) > MAX_EXPANDED_NODES:
        raise DefinitionError(
            f"{origin}: through its aliases (*name), the definition expands to "
            f"more than {MAX_EXPANDED_NODES:,} keys and values, far more than any "
            "definition needs; remove the aliases that repeat other aliases and "
            "write the values out"
        )


def _describe_yaml_error(error: yaml.MarkedYAMLError, text: str, origin: str) -> str:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "invalid syntax"
    if mark is None:
        return f"{origin}: invalid YAML: {problem}"

    # PyYAML words a problem to follow its context ("expected a single
    # document in the stream ... but found another document").
    if error.problem and error.context:
        where = ""
        if error.context_mark is not None:
            where = f" (from line {error.context_mark.line + 1})"
        problem = f"{error.context}{where}: {problem.removeprefix('but ')}"
    line, column = mark.line, mark.column
    hint = _yaml_hint(problem)

    # PyYAML finds an unclosed quote or a key without ': ' lines later, so
    # the message points at the line to fix instead.
    opening_quote = find_unclosed_quote(error, text)
    if opening_quote is not None:
        line, column = opening_quote
        problem = (
            "the text in quotes that starts here is not closed, so YAML read on "
            f"to line {mark.line + 1} and found an error there"
        )
        hint = "Add the closing quote where the text ends."
    elif error.context == _KEY_WITHOUT_COLON and error.context_mark is not None:
        line, column = error.context_mark.line, error.context_mark.column
        problem = f"{error.context}: {error.problem}"
        hint = (
            "Put a space after the ':' of each key, such as 'tab: Deals', or put "
            "text that contains ':' in quotes."
        )

    heading = f"{origin}, line {line + 1}, column {column + 1}"
    snippet = _point_at(text, line, column)
    return f"{heading}: invalid YAML: {problem}.\n{snippet}\n{hint}"


def _point_at(text: str, line: int, column: int) -> str:
    lines = text.splitlines()
    source_line = lines[line] if line < len(lines) else ""
    # Keep tabs under tabs so the caret lines up with the character it marks.
    padding = "".join("\t" if char == "\t" else " " for char in source_line[:column])
    return f"    {source_line}\n    {padding}^"


# PyYAML's context of a key without ': '.
_KEY_WITHOUT_COLON = "while scanning a simple key"


def _yaml_hint(problem: str) -> str:
    if "'\\t'" in problem:
        return "Indent with spaces: YAML does not allow tabs for indentation."
    if "another document" in problem:
        return "Keep one definition per file: delete the '---' line and what follows."
    if "appears twice" in problem:
        return "Keep one of the two entries and delete the other."
    if "mapping values are not allowed" in problem:
        return "Put text that contains ': ' in quotes, or fix the indentation."
    return "Check the indentation and the quotes around that spot."


def _reject_repeated_keys(
    loader: yaml.constructor.SafeConstructor, node: yaml.MappingNode
) -> None:
    first_lines: dict[object, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            first_line = first_lines.get(key)
        except TypeError:
            continue  # An unhashable key; the base constructor reports it.

        if first_line is not None:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"the key {key!r} appears twice in one mapping, first on line "
                f"{first_line}",
                key_node.start_mark,
            )
        first_lines[key] = key_node.start_mark.line + 1


def check_top_level(data: object, origin: str) -> None:
    """Check that definition data is a mapping, as YAML or a Rules tab gives it.

    :raises DefinitionError: naming ``origin``, for empty data or a list or
        single value at the top level.
    """
    if data is None:
        raise DefinitionError(
            f"{origin}: the definition is empty (or only comments); expected a "
            f"mapping with at least the keys {_TOP_LEVEL_KEYS}"
        )
    if isinstance(data, list):
        raise DefinitionError(
            f"{origin}: the top level is a list; expected a mapping with at least "
            f"the keys {_TOP_LEVEL_KEYS}, so remove the leading '- '"
        )
    if not isinstance(data, dict):
        from config.models import yaml_text

        raise DefinitionError(
            f"{origin}: the top level is the single value {yaml_text(data)}; "
            f"expected a mapping with at least the keys {_TOP_LEVEL_KEYS}"
        )


def resolve_source_paths(pipeline: Pipeline, folder: Path) -> Pipeline:
    """Resolve a relative ``source.path`` and ``source.credentials`` in ``folder``."""
    source = pipeline.source
    update: dict[str, str] = {}
    for key in ("path", "credentials"):
        value = getattr(source, key)
        if value is not None and value.strip():
            update[key] = _resolve_against(value, folder)

    resolved = source.model_copy(update=update)
    return pipeline.model_copy(update={"source": resolved})


def _resolve_against(value: str, folder: Path) -> str:
    try:
        path = Path(value).expanduser()
    except RuntimeError:
        path = Path(value)  # "~name" of an unknown user stays as written.
    if path.is_absolute():
        return str(path)
    return str(folder / path)
