-- grain: one row per local month through the month of as_of per group (all; source_type; hotspot)
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   month                                date     first day of the month (Europe/London)
--   group_type                           varchar  all, source_type or hotspot
--   group_value                          varchar  the group (all for group_type all)
--   received                             bigint   tips received
--   actioned_within_48h                  bigint   actioned within 48 hours of receipt
--   share_actioned_within_48h            double   actioned_within_48h / received
--   interventions                        bigint   tips leading to an intervention
--   arrests                              bigint   tips leading to an arrest
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

final as (
  select
    cast(null as date) as month,
    cast(null as varchar) as group_type,
    cast(null as varchar) as group_value,
    cast(null as bigint) as received,
    cast(null as bigint) as actioned_within_48h,
    cast(null as double) as share_actioned_within_48h,
    cast(null as bigint) as interventions,
    cast(null as bigint) as arrests
  from params
  where false
)

select * from final
