{#- Timestamps are stored in UTC; reports bucket by the reporting time zone.
    to_local() returns a naive local timestamp; engine-specific, so dispatched. -#}
{% macro to_local(column) -%}
    {{ return(adapter.dispatch('to_local', 'serviq')(column)) }}
{%- endmacro %}

{% macro default__to_local(column) -%}
    ({{ column }} at time zone '{{ var("reporting_timezone") }}')
{%- endmacro %}

{% macro duckdb__to_local(column) -%}
    timezone('{{ var("reporting_timezone") }}', {{ column }})
{%- endmacro %}

{#- Seconds between two timestamps, fractional seconds kept. -#}
{% macro seconds_between(start_column, end_column) -%}
    {{ return(adapter.dispatch('seconds_between', 'serviq')(start_column, end_column)) }}
{%- endmacro %}

{% macro default__seconds_between(start_column, end_column) -%}
    extract(epoch from ({{ end_column }} - {{ start_column }}))
{%- endmacro %}

{% macro duckdb__seconds_between(start_column, end_column) -%}
    (epoch_us({{ end_column }}) - epoch_us({{ start_column }})) / 1000000.0
{%- endmacro %}
