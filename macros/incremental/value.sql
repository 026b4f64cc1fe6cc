{#- What the value models recompute on an incremental run (DECISIONLOG.md,
    "Incremental builds", value). An offer's row can change only through:
    - the end of the data: its acceptance window (is_accepted_in_window,
      is_value_censored) while its contact is less than value_window_days
      before the end, and its harm window (is_harm_censored) while its
      acceptance is: contacts from serviq_recompute_from(V, V) on (which
      also holds every new contact), and acceptances from V + 2 days before
      the previous end (a day's margin for any time zone);
    - a new complaint of its customer (next_complaint_received_at has no
      window): every offer of a customer with a complaint received from
      incremental_complaints_since on;
    - being loaded late about an older contact (the offers' pointed
      contacts); an offer whose contact is not loaded changes only when
      the contact arrives, as a new contact.
    Contacts and offers never change otherwise. A contact's own value
    censoring (is_value_censored) ends a value window after its start:
    serviq_value_changed_contacts() selects the contacts that are new or
    whose censoring can have ended since the last build, about a day of
    contacts where the whole value window is a month of them. -#}

{#- A predicate on `alias`, a contacts relation with contact_date,
    started_at and data_end_at (int_contacts_cut_at_data_end): the contact
    is new (from incremental_since on) or its value censoring can have
    ended since the last build. A contact dated before the previous end's
    day less a value window and a day started more than a value window
    before that end: uncensored then and now. Of those after it, the ones
    still censored now were censored then too. -#}
{% macro serviq_value_changed_contacts(alias) -%}
    ({{ alias }}.contact_date >= {{ serviq_recompute_from() }}
        or ({{ alias }}.contact_date >= {{ serviq_recompute_from(0, var('value_window_days')) }}
            and {{ seconds_between(alias ~ '.started_at', alias ~ '.data_end_at') }}
                >= {{ var('value_window_days') }} * 86400))
{%- endmacro %}

{#- A predicate on `alias`, an offers relation (accepted_at, customer_id,
    contact_id): the offer can have changed for a reason other than its
    contact's date (acceptance near the end, a new complaint of its
    customer, loaded late). -#}
{% macro serviq_value_changed_offers(alias) -%}
    {%- set plan = serviq_incremental_plan() -%}
    ({{ alias }}.contact_id in ({{ serviq_pointed('contact_id', ['offers']) }})
    {%- if plan.previous_end is none %}
        or {{ alias }}.accepted_at is not null
    {%- else %}
        {%- set accepted_from = modules.datetime.date.fromisoformat((plan.previous_end | string)[:10])
            - modules.datetime.timedelta(days=var('value_window_days') + 2) %}
        or {{ alias }}.accepted_at >= cast('{{ accepted_from.isoformat() }} 00:00:00+00' as timestamp with time zone)
    {%- endif %}
    {%- if plan.complaints_since is not none %}
        or {{ alias }}.customer_id in (
            select new_complaints.customer_id
            from {{ ref('stg_serviq__complaints') }} as new_complaints
            where cast({{ to_local('new_complaints.received_at') }} as date)
                >= cast('{{ (plan.complaints_since | string)[:10] }}' as date)
        )
    {%- endif -%})
{%- endmacro %}
