-- grain: one row per stored version of an incident per loaded harm-weights version
-- parameters: none (a mart keeps the rows of its weights_version)
-- columns: every column of stg_incidents, and
--   weights_version: the harm-weights version the harm was taken from
--   harm: Cambridge Crime Harm Index days: the offence-code weight when the table has one for the record's
--     offence code, else its category's weight; 0 for police-initiated records (CCHI rule) and for anti-social
--     behaviour (weight 0: not a notifiable crime)
with category_weights as (
  select crime_type, days, weights_version
  from harm_weights
  where offence_code is null
),

offence_weights as (
  select crime_type, offence_code, days, weights_version
  from harm_weights
  where offence_code is not null
),

final as (
  select
    i.*,
    c.weights_version,
    case when coalesce(i.police_initiated, false) then 0e0 else coalesce(o.days, c.days) end as harm
  from stg_incidents as i
  inner join category_weights as c
    on i.crime_type = c.crime_type
  left join offence_weights as o
    on i.crime_type = o.crime_type
    and i.offence_code = o.offence_code
    and c.weights_version = o.weights_version
)

select * from final
