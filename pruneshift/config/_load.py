"""A config from YAML and ``--set key=value`` overrides, with one-line errors."""

from __future__ import annotations

import difflib
import re
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import ConfigError
from ._experiment import ExperimentConfig


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``a.b.c=value`` into the key path and the YAML-typed value."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set expects key=value with a dotted key, got '{text}'")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"--set {key}: value '{raw}' is not valid YAML ({problem}); quote "
                          "it to pass a string") from None
    return key.strip().split("."), value


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Set each ``dotted.key=value`` in a nested dict.

    A section the mapping lacks is first filled from the defaults, so
    ``search_space.lr.high=0.5`` narrows the default space instead of replacing it.
    """
    defaults = ExperimentConfig().model_dump(mode="json")
    for text in overrides:
        path, value = parse_override(text)
        node, default = raw, defaults
        for depth, part in enumerate(path[:-1]):
            default = default.get(part) if isinstance(default, dict) else None
            if node.get(part) is None:
                node[part] = dict(default) if isinstance(default, dict) else {}
            if not isinstance(node[part], dict):
                where = ".".join(path[: depth + 1])
                raise ConfigError(f"--set {'.'.join(path)}: '{where}' is a value, not a section")
            node = node[part]
        node[path[-1]] = value
    return raw


def _section_at(location: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the field at ``location`` (dict keys are stepped over)."""
    model: Any = ExperimentConfig
    for part in location[:-1]:
        if isinstance(model, type) and issubclass(model, BaseModel):
            field = model.model_fields.get(str(part))
            if field is None:
                return None
            model = field.annotation
        elif typing.get_origin(model) is dict:
            model = typing.get_args(model)[1]
        else:
            return None
        while typing.get_origin(model) in (typing.Union, types.UnionType):
            model = next(a for a in typing.get_args(model) if a is not type(None))
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unknown_field(field: str, section: type[BaseModel] | None) -> str:
    if section is None:
        return f"unknown field '{field}'; see the documentation"
    names = list(section.model_fields)
    close = difflib.get_close_matches(field.rsplit(".", 1)[-1], names, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown field '{field}'{hint}; allowed: {', '.join(names)}"


def format_validation_error(exc: ValidationError) -> str:
    """One line naming each invalid field and what is allowed."""
    messages = []
    for error in exc.errors():
        location = tuple(p for p in error["loc"] if not str(p).startswith("function-"))
        field = ".".join(str(p) for p in location) or "config"
        if error["type"] == "extra_forbidden":
            messages.append(_unknown_field(field, _section_at(location)))
            continue
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] not in ("value_error", "assertion_error"):
            message += f" (got {error['input']!r})"
        names_its_field = re.match(r"[\w.]+: ", message) is not None
        messages.append(message if names_its_field else f"{field}: {message}")
    return "invalid config: " + "; ".join(messages)


MAX_CONFIG_VALUES = 100_000  # values in a config once YAML aliases are expanded


def _expanded_size(value: Any, sizes: dict[int, int]) -> int:
    """How many values ``value`` holds with every shared (aliased) part counted each time it
    is used; linear in the loaded document, however far aliases would expand."""
    if not isinstance(value, dict | list):
        return 1
    if id(value) not in sizes:
        children = value.values() if isinstance(value, dict) else value
        sizes[id(value)] = 1 + len(value) * isinstance(value, dict) + sum(
            _expanded_size(child, sizes) for child in children)
    return sizes[id(value)]


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping with the safe loader, refusing one whose aliases expand past
    ``MAX_CONFIG_VALUES`` values (the "billion laughs", which would hang validation)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        line = Path(path).read_bytes()[:exc.start].count(b"\n") + 1
        raise ConfigError(f"config {path} is not UTF-8 text: byte 0x{exc.object[exc.start]:02x} "
                          f"on line {line}; save it as UTF-8") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"config {path} is not valid YAML{where}: {problem}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"config {path} must be a YAML mapping, got {type(raw).__name__}")
    if _expanded_size(raw, {}) > MAX_CONFIG_VALUES:
        raise ConfigError(f"config {path}: its aliases (*name) expand to more than "
                          f"{MAX_CONFIG_VALUES:,} values; write the values out")
    return raw


def build_config(raw: dict[str, Any]) -> ExperimentConfig:
    """Validate a raw mapping into an ExperimentConfig, raising ConfigError on one line.

    Nothing named in it is imported: a config read back from a storage to analyse builds no
    model (``pruneshift.models.check_model`` checks the model where one is trained).
    """
    try:
        return ExperimentConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc)) from None


def load_config(path: Path | None = None, overrides: list[str] | None = None) -> ExperimentConfig:
    """The experiment in ``path`` (or the built-in default) with ``overrides`` applied."""
    raw = read_yaml(path) if path is not None else {}
    return build_config(apply_overrides(raw, overrides or []))


