"""Paths, time zone and secrets, read once from the environment.

Every setting can be given as an environment variable prefixed `SERVIQ_`
(e.g. `SERVIQ_HOME=/srv/serviq`, `SERVIQ_PII_KEY=...`).

Files under `SERVIQ_HOME`:
    landing/            landing files (one folder per source entity)
    warehouse.duckdb    the build file: ingestion and dbt write here
    warehouse.marts.duckdb  the marts dbt builds (attached to the build file; publish copies it)
    serving.duckdb      the published copy the dashboard and exports read
    quarantine/         nothing: quarantined rows live in DuckDB (audit schema)
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(RuntimeError):
    """A setting is missing or wrong; the message is one sentence for the user."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SERVIQ_", extra="ignore")

    home: Path = Field(default=REPO_ROOT / "var", description="Working folder.")
    landing_dir: Path | None = Field(default=None, description="Landing folder.")
    warehouse_path: Path | None = Field(default=None, description="DuckDB build file.")
    serving_path: Path | None = Field(default=None, description="Published DuckDB file.")
    timezone: str = Field(default="Asia/Shanghai", description="Reporting time zone.")
    pii_key: SecretStr | None = Field(default=None, description="HMAC key for PII.")
    dbt_project_dir: Path = Field(default=REPO_ROOT, description="dbt project folder.")
    threads: int = Field(default=2, description="Worker threads for DuckDB and dbt.")
    duckdb_memory_limit: str = Field(
        default="3GB",
        description=(
            "Memory DuckDB may use in ingestion, dbt, checks and publish (e.g. 3GB, 512MB, 50%); "
            "bigger work spills to a temporary folder beside the warehouse."
        ),
    )
    dbt_log_level: Literal["debug", "info", "warn", "error", "none"] = Field(
        default="info",
        description=(
            "What dbt writes to <home>/dbt/logs/dbt.log: info (each node's start, end and "
            "timing) or debug (also every SQL statement; about 6 % more build time)."
        ),
    )

    @field_validator("duckdb_memory_limit")
    @classmethod
    def _memory_limit_format(cls, value: str) -> str:
        if not _MEMORY_LIMIT.fullmatch(value.strip()):
            raise ValueError(f"'{value}' is not a size like 3GB, 512MB or 50%")
        return value.strip()

    @cached_property
    def landing(self) -> Path:
        return self.landing_dir or self.home / "landing"

    @cached_property
    def warehouse(self) -> Path:
        return self.warehouse_path or self.home / "warehouse.duckdb"

    @cached_property
    def marts(self) -> Path:
        """The marts file: dbt builds schema `marts` here (pipelines/db.py `marts_file`)."""
        from pipelines.db import marts_file

        return marts_file(self.warehouse)

    @cached_property
    def serving(self) -> Path:
        return self.serving_path or self.home / "serving.duckdb"

    def require_pii_key(self) -> bytes:
        """The HMAC key, or a one-sentence error when it is not configured."""
        if self.pii_key is None or not self.pii_key.get_secret_value():
            raise SettingsError(
                "SERVIQ_PII_KEY is not set: set it to the secret key used to hash "
                "customer identifiers before anything is loaded."
            )
        key = self.pii_key.get_secret_value().encode("utf-8")
        if len(key) < 16:
            raise SettingsError("SERVIQ_PII_KEY is too short: use at least 16 characters.")
        return key


_MEMORY_LIMIT = re.compile(r"\d+(\.\d+)?\s*([KMGT]i?B|B)|\d+(\.\d+)?%", re.IGNORECASE)


def get_settings() -> Settings:
    """Fresh settings from the current environment (cheap; no global cache).

    A malformed setting stops with one sentence naming its variable.
    """
    try:
        return Settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "SERVIQ_" + str(error["loc"][0]).upper() if error["loc"] else "a SERVIQ_ setting"
        reason = str(error["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{name} is invalid: {reason}.") from None
