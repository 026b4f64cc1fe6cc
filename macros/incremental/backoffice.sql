{#- Back-office items an incremental run recomputes (DECISIONLOG.md,
    "Workforce agent-days and back-office items are incremental"): those
    loaded since the last build, the open ones (their overtime decision
    moves with the end of the data), and every item of the same applicant
    and business type as one of those (a late returned item makes the next
    one a resubmission). Items never change once loaded. -#}

{#- True when this run recomputes some back-office items only: an
    incremental run with a load watermark (a hand-run build with vars and
    no plan table cannot tell new items from old, and recomputes all). -#}
{% macro serviq_backoffice_partial() -%}
    {{ return(serviq_is_partial() and serviq_incremental_plan().loads_after is not none) }}
{%- endmacro %}

{#- A predicate on `alias`, a relation of stg_serviq__backoffice_items
    (load_id, applicant_id_number_hash, business_type, completed_at): the
    item is one the run recomputes. -#}
{% macro serviq_recomputed_items(alias) -%}
    ({{ alias }}.completed_at is null
        or {{ alias }}.load_id in ({{ serviq_new_load_ids() }})
        or ({{ alias }}.applicant_id_number_hash, {{ alias }}.business_type) in (
            select touched.applicant_id_number_hash, touched.business_type
            from {{ ref('stg_serviq__backoffice_items') }} as touched
            where touched.applicant_id_number_hash is not null
                and (touched.completed_at is null
                    or touched.load_id in ({{ serviq_new_load_ids() }}))
        ))
{%- endmacro %}

{#- The local days of receipt of the items this run recomputed, as ISO
    dates, read once per run from int_backoffice_items_measured (current:
    only its descendants call this). A day's back-office figures change only
    through its own items, and items never leave their day. -#}
{% macro serviq_backoffice_days() -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set query -%}
        select distinct cast(measured.received_date as {{ dbt.type_string() }})
        from {{ ref('int_backoffice_items_measured') }} as measured
        where measured.item_id in (
            select items.item_id
            from {{ ref('stg_serviq__backoffice_items') }} as items
            where {{ serviq_recomputed_items('items') }}
        )
        order by 1
    {%- endset -%}
    {{ return(serviq_query_once('serviq_backoffice_days', query)) }}
{%- endmacro %}

{#- A predicate for the day-grain back-office marts: `column` is a day of
    receipt this run recomputes (`false` when none is). -#}
{% macro serviq_in_backoffice_days(column) -%}
    {{ serviq_in_days(column, serviq_backoffice_days()) }}
{%- endmacro %}
