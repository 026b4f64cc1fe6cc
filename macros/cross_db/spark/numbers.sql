{#- Spark implementation of macros/cross_db/numbers.sql: Spark's round() on
    a double rounds half up (away from zero) and returns a double, as DuckDB's. -#}
{% macro spark__round_double(expression, places) -%}
    round({{ expression }}, {{ places }})
{%- endmacro %}
