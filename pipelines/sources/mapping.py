"""Source mappings: how a centre's export files map onto the canonical entities.

A mapping is a YAML file (see `builtin/serviq_generator.yml` and
docs/sources.md). It is validated here, once, and a mistake stops with one
sentence naming the file and the setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipelines.schema import ENTITIES

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"

FileFormat = Literal["csv", "tsv", "jsonl", "parquet"]

DEFAULT_NULL_VALUES = ("",)
TRUE_TOKENS = ("1", "true", "t", "yes", "y", "是", "TRUE", "True", "Y", "YES")
FALSE_TOKENS = ("0", "false", "f", "no", "n", "否", "FALSE", "False", "N", "NO")


class MappingError(ValueError):
    """A source mapping is malformed; the message is one sentence."""


class EntityMapping(BaseModel):
    """How one kind of export file maps onto one canonical entity."""

    model_config = ConfigDict(extra="forbid")

    files: str = Field(description="Glob of the files, relative to the landing folder.")
    format: FileFormat = "csv"
    encoding: str = "utf-8"
    delimiter: str | None = None
    header: bool = True
    skip_rows: int = 0
    timestamp_format: str = "%Y-%m-%d %H:%M:%S"
    date_format: str = "%Y-%m-%d"
    timezone: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    null_values: list[str] = Field(default_factory=lambda: list(DEFAULT_NULL_VALUES))
    constants: dict[str, str | int | float | bool | None] = Field(default_factory=dict)

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
        return self.columns.get(canonical, canonical)


class SourceMapping(BaseModel):
    """A whole source: a set of entity mappings sharing a time zone."""

    model_config = ConfigDict(extra="forbid")

    source: str
    description: str = ""
    timezone: str = "Asia/Shanghai"
    entities: dict[str, EntityMapping]

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
            ):
                for key in keys:
                    if key not in fields:
                        raise ValueError(f"{name}.{section} names unknown field {key!r}")
        return value

    def timezone_for(self, entity: str) -> str:
        return self.entities[entity].timezone or self.timezone


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
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise MappingError(f"source mapping {path}: {loc}: {first['msg']}.") from None


def builtin_mapping(name: str = "serviq_generator") -> Path:
    path = BUILTIN_DIR / f"{name}.yml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in BUILTIN_DIR.glob("*.yml")))
        raise MappingError(f"no built-in source mapping {name!r} (known: {known}).")
    return path
