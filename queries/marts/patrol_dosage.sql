-- grain: one row per hotspot per ISO week with a patrol allocation or a visit, through the last complete week ending on or before as_of
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   hotspot_id                           varchar  the hotspot
--   week_start                           date     Monday of the week (Europe/London)
--   visits                               bigint   patrol visits started in the week
--   minutes                              double   total visit minutes
--   compliant_visits                     bigint   visits of 10 to 16 minutes (Koper)
--   assigned_days                        bigint   days the hotspot was assigned a patrol
--   assigned_days_with_compliant_visit   bigint   of those, days with at least one compliant visit
--   share_assigned_days_compliant        double   assigned_days_with_compliant_visit / assigned_days; null without assigned days
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

final as (
  select
    cast(null as varchar) as hotspot_id,
    cast(null as date) as week_start,
    cast(null as bigint) as visits,
    cast(null as double) as minutes,
    cast(null as bigint) as compliant_visits,
    cast(null as bigint) as assigned_days,
    cast(null as bigint) as assigned_days_with_compliant_visit,
    cast(null as double) as share_assigned_days_compliant
  from params
  where false
)

select * from final
