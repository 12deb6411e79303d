"""Typed JSON documents: read a JSON file, validate it into a pydantic model, say what is wrong
in one line naming the file and the field (``proj/project.json: images[3].pixel_size_um: must be
a finite number > 0, got NaN``).

The field types shared by SteelSeg's documents (``project.json``, a model's ``config.json``, a
training checkpoint's ``checkpoint.json``) live here: strict integers (``true`` or ``1.5`` is not
a count), finite floats, safe names, ``#RRGGBB`` colours and ISO 8601 time stamps.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    ValidationError,
)

from steelseg_gui.core.errors import SteelSegError

MAX_LABEL_VALUE = 65535
MAX_DEPTH = 32  # deeper nesting is never needed by a SteelSeg document and only slows a reader down
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
SAFE_NAME_MAX = 120
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")
_HEX_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Model = TypeVar("Model", bound=BaseModel)


def check_safe_name(name: str) -> str:
    """``name`` if it is safe as a file name everywhere: letters, digits and ``._-``, not starting
    with ``.``, at most 120 characters (so ``..``, ``a/b`` or ``/etc/x`` can never become a path)."""
    if not isinstance(name, str) or not _SAFE_NAME.match(name) or len(name) > SAFE_NAME_MAX:
        raise ValueError(
            f"must be a safe name (letters, digits and ._- only, not starting with '.', at most "
            f"{SAFE_NAME_MAX} characters), got {_show(name)}"
        )
    return name


def safe_name_from(text: str, room: int = 8) -> str:
    """A safe name made from any text (a file's stem): other characters become ``_``, leading dots
    go, and it is cut to leave ``room`` characters for a ``-N`` suffix."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).lstrip(".")[: SAFE_NAME_MAX - room] or "image"


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be a number, got {_show(value)}")
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {_show(value)}")
    return float(value)


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be a number, got {_show(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {_show(value)}")
    return value


def _positive_finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"must be a finite number > 0, got {_show(value)}")
    return float(value)


def _colour(value: str) -> str:
    if not _HEX_COLOUR.match(value):
        raise ValueError(f"must be a colour of the form #RRGGBB, got {_show(value)}")
    return value.upper()


def _iso_time(value: str) -> str:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"must be an ISO 8601 date and time, got {_show(value)}") from None
    return value


def _text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError(f"must not contain control characters, got {_show(value)}")
    return value


def _label(value: str) -> str:
    value = _text(value).strip()
    if not value:
        raise ValueError("must not be empty")
    return value


StrictInt = Annotated[int, Strict()]
PositiveInt = Annotated[int, Strict(), Field(gt=0)]
NonNegativeInt = Annotated[int, Strict(), Field(ge=0)]
FiniteFloat = Annotated[float, BeforeValidator(_finite)]
PositiveFloat = Annotated[float, BeforeValidator(_positive_finite)]
Number = Annotated[int | float, PlainValidator(_number)]  # an int stays an int
StrictStr = Annotated[str, Strict()]
Text = Annotated[str, Strict(), Field(max_length=100_000), AfterValidator(_text)]
Label = Annotated[str, Strict(), Field(max_length=200), AfterValidator(_label)]
SafeName = Annotated[str, Strict(), AfterValidator(check_safe_name)]
HexColour = Annotated[str, Strict(), AfterValidator(_colour)]
IsoTime = Annotated[str, Strict(), AfterValidator(_iso_time)]


class Document(BaseModel):
    """A part of a SteelSeg document: unknown fields are refused (a misspelt field is an error, not
    silently ignored) and assignments are validated like loading."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ClassEntry(Document):
    """One row of a class table: label value 1..65535, name, colour ``#RRGGBB``."""

    value: StrictInt = Field(ge=1, le=MAX_LABEL_VALUE)
    name: Label
    color: HexColour


def class_table_problems(classes: list[ClassEntry], field: str = "classes") -> list[tuple[tuple, str]]:
    """Label values and class names used twice, as ``(location, message)`` pairs."""
    return duplicates(field, [(c.value, "value") for c in classes], "label value") + duplicates(
        field, [(c.name, "name") for c in classes], "class name"
    )


def duplicates(field: str, keyed: list[tuple[object, str]], what: str) -> list[tuple[tuple, str]]:
    """``(location, message)`` for every key of ``keyed`` (key, attribute) seen before in the list ``field``."""
    seen: dict[object, int] = {}
    problems = []
    for index, (key, attribute) in enumerate(keyed):
        if key in seen:
            problems.append(((field, index, attribute), f"{what} {key!r} is used twice (also at {field}[{seen[key]}])"))
        seen.setdefault(key, index)
    return problems


def read_json(path: str | Path, error: type[SteelSegError], what: str) -> Any:
    """The JSON value in ``path``, nested at most :data:`MAX_DEPTH` deep; anything else is ``error``
    naming the file (``what`` says what the file should have been, e.g. "project file")."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise error(f"{path}: larger than {MAX_DOCUMENT_BYTES // 2**20} MiB; not a SteelSeg {what}")
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{path}: not valid JSON ({exc}); not a readable {what}") from exc
    except RecursionError as exc:
        raise error(f"{path}: nested more than {MAX_DEPTH} levels deep; not a SteelSeg {what}") from exc
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if nesting_depth(document) > MAX_DEPTH:
        raise error(f"{path}: nested more than {MAX_DEPTH} levels deep; not a SteelSeg {what}")
    return document


def nesting_depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def validate(model: type[Model], data: Any, path: str | Path, error: type[SteelSegError]) -> Model:
    """``data`` as ``model``, or ``error`` with one line: the file, the first field that is wrong
    and why (plus how many other problems there are). Models may add cross-field checks with a
    ``consistency_problems()`` method returning ``(location, message)`` pairs."""
    try:
        document = model.model_validate(data)
    except ValidationError as exc:
        problems = exc.errors(include_url=False)
        first = problems[0]
        raise error(_one_line(path, first["loc"], _message(first), len(problems) - 1)) from None
    check = getattr(document, "consistency_problems", None)
    problems = check() if check else []
    if problems:
        location, message = problems[0]
        raise error(_one_line(path, location, message, len(problems) - 1))
    return document


def location(loc: tuple) -> str:
    """``("images", 3, "pixel_size_um")`` → ``images[3].pixel_size_um``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def _one_line(path: str | Path, loc: tuple, message: str, others: int) -> str:
    more = f" (and {others} more problem{'s' if others > 1 else ''})" if others else ""
    return f"{path}: {location(loc)}: {message}{more}"


_PLAIN = {
    "missing": "is missing",
    "extra_forbidden": "is not a known field (misspelt?)",
    "model_type": "must be a JSON object {...}",
    "model_attributes_type": "must be a JSON object {...}",
    "dict_type": "must be a JSON object {...}",
    "list_type": "must be a JSON list [...]",
    "tuple_type": "must be a JSON list [...]",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "string_type": "must be text",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
}


def _message(problem: dict) -> str:
    kind, message = problem["type"], problem["msg"]
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if kind in ("missing", "extra_forbidden"):
        return _PLAIN[kind]
    text = _PLAIN.get(kind) or f"{message[:1].lower()}{message[1:]}"
    return f"{text}, got {_show(problem.get('input'))}"


def _show(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, (dict, list)):
        return type(value).__name__ if len(repr(value)) > 40 else json.dumps(value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
