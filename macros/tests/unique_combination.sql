{#- A generic test: no two rows share the given combination of columns.
    (as dbt_utils has it, without a package download at build time.) -#}
{% test unique_combination_of_columns(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as row_count
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
