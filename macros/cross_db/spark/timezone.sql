{#- Spark implementations of macros/timezone.sql. The session time zone is
    UTC (pipelines/spark/session.py; set it on a cluster too), so a
    TIMESTAMP is an instant printed in UTC. to_local() returns the local
    wall-clock time as TIMESTAMP_NTZ, as DuckDB's timezone() returns a naive
    timestamp: cast to date gives the local day, extract(hour) the local hour. -#}
{% macro spark__to_local(column) -%}
    cast(from_utc_timestamp({{ column }}, '{{ var("reporting_timezone") }}') as timestamp_ntz)
{%- endmacro %}

{#- Fractional seconds between two timestamps: microseconds since the epoch,
    as a double (Spark would make `bigint / 1000000.0` a decimal). Either
    argument may be local TIMESTAMP_NTZ; both are read in the UTC session
    time zone, so their difference is the same wall-clock difference. -#}
{% macro spark__seconds_between(start_column, end_column) -%}
    (cast(unix_micros(cast({{ end_column }} as timestamp)) - unix_micros(cast({{ start_column }} as timestamp)) as double) / 1000000)
{%- endmacro %}
