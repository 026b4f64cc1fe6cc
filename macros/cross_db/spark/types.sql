{#- Spark implementations of macros/cross_db/types.sql. -#}
{% macro spark__type_double() -%}
    double
{%- endmacro %}
