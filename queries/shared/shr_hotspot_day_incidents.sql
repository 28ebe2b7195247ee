-- grain: one row per hotspot (role hotspot in register_version) per London day with at least one incident in it,
--   on or before as_of
-- parameters: reads params.as_of, params.weights_version, and params.register_version through shr_hotspot_cells
-- columns: hotspot_id, date, harm (CCHI days, weights_version), crime_count, serious_violence_harm. The outcome
--   of a hotspot-day for the marts that compare days (patrol_effect, dose_response): the one home of its rule.
-- Definitions:
-- - Incidents: the current versions as of as_of, located, other than police-initiated records: patrols create
--   those (drugs or weapons found on a stop), so they would mask a patrol's effect (they carry no harm anyway,
--   CCHI rule). An incident belongs to the London day it occurred: occurred_date, else reported_date when
--   occurred_at is missing (a crime reported the next morning happened on the day before; Essex counted crimes
--   by the day they happened). Records of period_precision month (data.police.uk, dated the 1st of the month)
--   are left out (decision: no day can be given to them).
-- - A hotspot-day's incidents: those located in one of the hotspot's 25 m cells that occurred on the day.
--   harm = sum of CCHI days; serious_violence_harm = harm of the serious_violence incidents; crime_count =
--   incidents, anti-social behaviour included (DESIGN's count). Harm is rounded to 6 decimal places (the weights
--   have 2: this only removes float noise, so that reruns give identical numbers).
with incidents as (
  select
    coalesce(i.occurred_date, i.reported_date) as occurred_date,
    i.cell_x,
    i.cell_y,
    i.harm,
    i.serious_violence
  from stg_incident_harm as i
  cross join params as p
  where
    i.weights_version = p.weights_version
    and i.valid_from <= p.as_of
    and (i.valid_to is null or i.valid_to > p.as_of)
    and i.cell_x is not null
    and i.cell_y is not null
    and not coalesce(i.police_initiated, false)
    and coalesce(i.period_precision, 'exact') <> 'month'
),

final as (
  select
    c.hotspot_id,
    i.occurred_date as date,
    round(sum(i.harm), 6) as harm,
    count(*) as crime_count,
    round(coalesce(sum(i.harm) filter (where i.serious_violence), 0e0), 6) as serious_violence_harm
  from incidents as i
  inner join shr_hotspot_cells as c
    on i.cell_x = c.cell_x
    and i.cell_y = c.cell_y
  group by c.hotspot_id, i.occurred_date
)

select * from final
