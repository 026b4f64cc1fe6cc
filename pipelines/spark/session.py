"""The local Spark session dbt-spark's `session` method builds in.

dbt-spark's session method runs every statement through
`SparkSession.builder.getOrCreate()` in the dbt process, so the session this
module creates first is the one dbt uses. It is a development and test
engine: `local[N]` master, no web UI, a handful of shuffle partitions, UTC
session time zone, Parquet timestamps as INT64 microseconds (not INT96), and
Spark's in-memory catalog (no Hive metastore, no Derby files): the catalog
lives as long as the process, and the warehouse folder under
`$SERVIQ_HOME/spark/warehouse` is scratch, emptied when a new session starts.
Nothing is downloaded: pyspark's own jars only.

A cluster (Thrift server, Databricks, EMR) keeps its own metastore and
settings; see docs/scale-out.md.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

LOG4J = Path(__file__).with_name("log4j2.properties")


@dataclass(frozen=True)
class SessionOptions:
    master: str = "local[2]"
    shuffle_partitions: int = 2
    driver_memory: str = "2g"
    # small data (tests, demos): whole-stage code generation and the JIT's
    # optimising compiler cost more CPU than the few thousand rows they speed up
    small_data: bool = False

    @classmethod
    def from_env(cls) -> SessionOptions:
        cores = os.environ.get("SERVIQ_THREADS", "2")
        return cls(
            master=os.environ.get("SERVIQ_SPARK_MASTER", f"local[{cores}]"),
            shuffle_partitions=int(os.environ.get("SERVIQ_SPARK_SHUFFLE_PARTITIONS", "2")),
            driver_memory=os.environ.get("SERVIQ_SPARK_DRIVER_MEMORY", "2g"),
            small_data=os.environ.get("SERVIQ_SPARK_SMALL_DATA", "").lower() in ("1", "true"),
        )


def spark_home(home: Path) -> Path:
    return home / "spark"


def session_config(home: Path, options: SessionOptions) -> dict[str, str]:
    """Every setting of the local session (also what docs/scale-out.md lists)."""
    scratch = spark_home(home)
    java_options = f"-Duser.timezone=UTC -Dlog4j2.configurationFile={LOG4J.as_uri()}"
    if options.small_data:
        java_options += " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
    return {
        "spark.master": options.master,
        "spark.app.name": "serviq",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": options.driver_memory,
        "spark.driver.extraJavaOptions": java_options,
        "spark.sql.shuffle.partitions": str(options.shuffle_partitions),
        "spark.default.parallelism": str(options.shuffle_partitions),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.warehouse.dir": str(scratch / "warehouse"),
        "spark.sql.catalogImplementation": "in-memory",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.sql.parquet.mergeSchema": "true",
        "spark.sql.ansi.enabled": "false",  # dbt-spark sets the same on every cursor
        "spark.sql.adaptive.enabled": "false" if options.small_data else "true",
        "spark.sql.codegen.wholeStage": "false" if options.small_data else "true",
        "spark.local.dir": str(scratch / "tmp"),
    }


def get_session(home: Path, options: SessionOptions | None = None) -> SparkSession:
    """The process's Spark session, created on first use with serviq's settings."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    opts = options or SessionOptions.from_env()
    config = session_config(home, opts)
    # the in-memory catalog starts empty: tables left by an earlier process
    # would block `create table` at the same location
    shutil.rmtree(config["spark.sql.warehouse.dir"], ignore_errors=True)
    Path(config["spark.local.dir"]).mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder
    for key, value in config.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def stop_session() -> None:
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()
