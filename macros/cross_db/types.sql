{#- Cross-database types. DuckDB's `float` is 4-byte (PostgreSQL's is
    8-byte), so dbt.type_float() would lose precision on DuckDB: models
    cast to type_double() for every 8-byte floating-point value. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'serviq')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}
