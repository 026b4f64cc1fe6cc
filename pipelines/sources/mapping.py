"""Source mappings: how a centre's export files map onto the canonical entities.

A mapping is a YAML file (see `builtin/serviq_generator.yml` and
docs/sources.md). It is validated here, once, and a mistake stops with one
sentence naming the file and the setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml  # type: ignore[import-untyped]  # PyYAML ships no types
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
)

from pipelines.schema import ENTITIES

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"

FileFormat = Literal["csv", "tsv", "jsonl", "json", "parquet"]

# Derived columns (SQL expressions, synthetic keys) ride in the source frame
# under this prefix, so they can never clash with a column of the export.
DERIVED_PREFIX = "=> "

DEFAULT_NULL_VALUES = ("",)
TRUE_TOKENS = ("1", "true", "t", "yes", "y", "是", "TRUE", "True", "Y", "YES")
FALSE_TOKENS = ("0", "false", "f", "no", "n", "否", "FALSE", "False", "N", "NO")


class MappingError(ValueError):
    """A source mapping is malformed; the message is one sentence."""


class KeepLatest(BaseModel):
    """Several copies of a record in one file: keep the latest one."""

    model_config = ConfigDict(extra="forbid")

    key: list[str] = Field(min_length=1, description="Source columns that identify a record.")
    by: str = Field(description="SQL over source columns; the copy with the highest value wins.")


class EntityMapping(BaseModel):
    """How one kind of export file maps onto one canonical entity."""

    model_config = ConfigDict(extra="forbid")

    files: str = Field(description="Glob of the files, relative to the landing folder.")
    format: FileFormat = "csv"
    encoding: str = "utf-8"
    delimiter: str | None = None
    header: bool = True
    skip_rows: int = Field(default=0, ge=0)
    timestamp_format: str = "%Y-%m-%d %H:%M:%S"
    date_format: str = "%Y-%m-%d"
    timezone: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    null_values: list[str] = Field(default_factory=lambda: list(DEFAULT_NULL_VALUES))
    constants: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    expressions: dict[str, str] = Field(
        default_factory=dict,
        description="Canonical field -> SQL expression (DuckDB dialect) over source columns.",
    )
    column_null_values: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Source column -> extra values that mean 'none' in that column only.",
    )
    filter: str | None = Field(
        default=None, description="SQL condition over source columns; other rows are skipped."
    )
    key_columns: list[str] = Field(
        default_factory=list,
        description="Source columns whose values, hashed together, make the entity's key.",
    )
    adapter: str | None = Field(
        default=None, description="Built-in adapter that reshapes the file first (see adapters/)."
    )
    keep_latest: KeepLatest | None = Field(
        default=None, description="Keep only the latest copy of a record delivered twice."
    )
    ignore_columns: list[str] = Field(
        default_factory=list,
        description="Glob patterns of source columns known to be unused (no warning for them).",
    )
    _entity: str | None = PrivateAttr(default=None)

    @property
    def entity_name(self) -> str | None:
        """The canonical entity this mapping feeds (set when the source is validated)."""
        return self._entity

    @property
    def key_field(self) -> str | None:
        if self._entity is None or not self.key_columns:
            return None
        return ENTITIES[self._entity].key[0]

    @property
    def reshapes(self) -> bool:
        """Whether the source frame needs work before the canonical mapping."""
        return bool(
            self.expressions
            or self.filter
            or self.key_columns
            or self.column_null_values
            or self.adapter
            or self.keep_latest
        )

    @field_validator("values", "column_null_values", mode="before")
    @classmethod
    def _text_codes(cls, value: object) -> object:
        """YAML reads `1: answered` and `- 0` as numbers: codes in a file are text."""
        if not isinstance(value, dict):
            return value
        out: dict[object, object] = {}
        for key, inner in value.items():
            if isinstance(inner, dict):
                out[_text(key)] = {_text(a): _text(b) for a, b in inner.items()}
            elif isinstance(inner, list):
                out[_text(key)] = [_text(x) for x in inner]
            else:
                out[_text(key)] = inner
        return out

    @field_validator("null_values", mode="before")
    @classmethod
    def _text_nulls(cls, value: object) -> object:
        return [_text(x) for x in value] if isinstance(value, list) else value

    @field_validator("adapter")
    @classmethod
    def _known_adapter(cls, value: str | None) -> str | None:
        from pipelines.sources.adapters import ADAPTERS

        if value is not None and value not in ADAPTERS:
            raise ValueError(f"unknown adapter {value!r} (known: {', '.join(sorted(ADAPTERS))})")
        return value

    @field_validator("timezone")
    @classmethod
    def _entity_zone(cls, value: str | None) -> str | None:
        return None if value is None else known_zone(value)

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        import codecs

        try:
            codecs.lookup(value)
        except LookupError as exc:
            raise ValueError(f"unknown encoding {value!r}") from exc
        return value

    @property
    def separator(self) -> str:
        if self.delimiter:
            return self.delimiter
        return "\t" if self.format == "tsv" else ","

    def source_column(self, canonical: str) -> str:
        if canonical in self.expressions or canonical == self.key_field:
            return derived_column(canonical)
        return self.columns.get(canonical, canonical)

    def derived_fields(self) -> dict[str, str]:
        """Canonical field -> SQL for every field computed rather than read."""
        derived = dict(self.expressions)
        key_field = self.key_field
        if key_field is not None:
            parts = ", ".join(
                f"coalesce(cast({quote_identifier(c)} as varchar), '\\N')" for c in self.key_columns
            )
            derived[key_field] = f"left(sha256(concat_ws(chr(31), {parts})), 32)"
        return derived


def known_zone(value: str) -> str:
    """An IANA time zone name, or a validation error saying so."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai or UTC)"
        ) from None
    return value


def _text(value: object) -> object:
    """A YAML scalar as the text it stands for in an export (bool as true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def derived_column(canonical: str) -> str:
    return f"{DERIVED_PREFIX}{canonical}"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SourceMapping(BaseModel):
    """A whole source: a set of entity mappings sharing a time zone."""

    model_config = ConfigDict(extra="forbid")

    source: str
    description: str = ""
    timezone: str = "Asia/Shanghai"
    entities: dict[str, EntityMapping]

    @field_validator("timezone")
    @classmethod
    def _source_zone(cls, value: str) -> str:
        return known_zone(value)

    @field_validator("entities")
    @classmethod
    def _known_entities(cls, value: dict[str, EntityMapping]) -> dict[str, EntityMapping]:
        for name, ent in value.items():
            if name not in ENTITIES:
                raise ValueError(f"unknown entity {name!r} (known: {', '.join(ENTITIES)})")
            fields = set(ENTITIES[name].field_names)
            for section, keys in (
                ("columns", ent.columns),
                ("values", ent.values),
                ("constants", ent.constants),
                ("expressions", ent.expressions),
            ):
                for key in keys:
                    if key not in fields:
                        raise ValueError(f"{name}.{section} names unknown field {key!r}")
            _check_one_source_per_field(name, ent)
            _check_key_columns(name, ent)
            ent._entity = name
        return value

    def timezone_for(self, entity: str) -> str:
        return self.entities[entity].timezone or self.timezone


def _check_one_source_per_field(name: str, ent: EntityMapping) -> None:
    """A field comes from a column, an expression or a constant: exactly one."""
    for field in ent.expressions:
        if field in ent.columns or field in ent.constants:
            raise ValueError(
                f"{name}.{field} is given both an expression and a column or constant; keep one"
            )


def _check_key_columns(name: str, ent: EntityMapping) -> None:
    if not ent.key_columns:
        return
    entity = ENTITIES[name]
    if len(entity.key) != 1:
        raise ValueError(
            f"{name}.key_columns: {name} has a key of several fields "
            f"({', '.join(entity.key)}); map each of them instead"
        )
    key = entity.key[0]
    if key in ent.columns or key in ent.expressions or key in ent.constants:
        raise ValueError(f"{name}.key_columns: the key {key} is also mapped; keep one")
    personal = {ent.columns.get(f.name, f.name): f.name for f in entity.pii_fields}
    for column in ent.key_columns:
        if column in personal:
            raise ValueError(
                f"{name}.key_columns: column {column!r} carries personal data "
                f"({personal[column]}) and a key is stored in clear; build it from other columns"
            )


def load_mapping(path: Path) -> SourceMapping:
    """Read and validate a mapping file, or raise MappingError with one sentence."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"source mapping {path} does not exist.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise MappingError(f"source mapping {path} is not valid YAML{where}.") from None
    if not isinstance(raw, dict):
        raise MappingError(f"source mapping {path} must be a YAML mapping with 'entities'.")
    try:
        return SourceMapping.model_validate(raw)
    except ValidationError as exc:
        raise MappingError(condense(path, exc)) from None


def condense(path: Path, exc: ValidationError) -> str:
    """Pydantic's report as one sentence: the first problem, and how many more."""
    errors = exc.errors()
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"])
    msg = str(first["msg"]).removeprefix("Value error, ").rstrip(".")
    if first["type"] == "extra_forbidden":
        msg = "is not a setting serviq knows (check its spelling and indentation)"
    elif first["type"] == "missing":
        msg = "is required but missing"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return f"source mapping {path}: {loc} {msg}{more if len(errors) > 1 else ''}."


def resolve_mapping(value: str) -> Path:
    """A mapping file's path, or the path of the built-in mapping of that name."""
    path = Path(value)
    if path.exists() or path.suffix in (".yml", ".yaml") or "/" in value:
        return path
    return builtin_mapping(value)


def builtin_mapping(name: str = "serviq_generator") -> Path:
    path = BUILTIN_DIR / f"{name}.yml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in BUILTIN_DIR.glob("*.yml")))
        raise MappingError(f"no built-in source mapping {name!r} (known: {known}).")
    return path
