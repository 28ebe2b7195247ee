-- grain: one row per hotspot id and London day assigned a patrol as of as_of (on or before it)
-- parameters: reads params.as_of
-- columns: hotspot_id, date. An assigned day: a patrol_allocations row assigned = true, its version current as of
--   as_of (valid_from <= as_of and (valid_to is null or valid_to > as_of)). The measures of presence against the
--   target dose (presence_weekly, dose_response) count them.
with final as (
  select distinct
    a.hotspot_id,
    a.date
  from stg_patrol_allocations as a
  cross join params as p
  where
    a.valid_from <= p.as_of
    and (a.valid_to is null or a.valid_to > p.as_of)
    and a.date <= p.as_of
    and a.assigned
)

select * from final
