{#- PostgreSQL implementations of the dispatched time macros declared in
    macros/timezone.sql. extract(epoch ...) returns numeric on PostgreSQL
    14+; DuckDB's seconds_between is an 8-byte float, so the peer casts to
    the same type (same results, and float arithmetic downstream). -#}
{% macro postgres__seconds_between(start_column, end_column) -%}
    cast(extract(epoch from ({{ end_column }} - {{ start_column }})) as {{ type_double() }})
{%- endmacro %}
