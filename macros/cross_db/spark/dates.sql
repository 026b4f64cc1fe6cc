{#- ISO day of the week, 1 = Monday ... 7 = Sunday. Declared here with the
    Spark implementation because Spark is the engine that needs it:
    `extract(isodow ...)` (DuckDB, PostgreSQL) is `extract(dow_iso ...)` on
    Spark. -#}
{% macro iso_weekday(column) -%}
    {{ return(adapter.dispatch('iso_weekday', 'serviq')(column)) }}
{%- endmacro %}

{% macro default__iso_weekday(column) -%}
    extract(isodow from {{ column }})
{%- endmacro %}

{% macro spark__iso_weekday(column) -%}
    extract(dow_iso from {{ column }})
{%- endmacro %}
