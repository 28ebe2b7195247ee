-- grain: one row per scope (all, or a hotspot_id) per outcome (harm, count, serious_violence_harm), over the hotspot-days of the random allocation trial up to as_of
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   scope                                varchar  all, or a hotspot_id
--   outcome                              varchar  harm, count or serious_violence_harm
--   n_assigned_days                      bigint   hotspot-days assigned a patrol
--   n_unassigned_days                    bigint   hotspot-days not assigned
--   mean_assigned                        double   mean outcome per assigned hotspot-day
--   mean_unassigned                      double   mean outcome per unassigned hotspot-day
--   sd_assigned                          double   sample standard deviation on assigned days
--   sd_unassigned                        double   sample standard deviation on unassigned days
--   effect                               double   1 - mean_assigned / mean_unassigned (the reduction on patrol days)
--   effect_ci_low                        double   95% confidence interval of the effect, from the CI of log(mean_assigned / mean_unassigned)
--   effect_ci_high                       double   upper end
--   weights_version                      varchar  harm weights used
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

final as (
  select
    cast(null as varchar) as scope,
    cast(null as varchar) as outcome,
    cast(null as bigint) as n_assigned_days,
    cast(null as bigint) as n_unassigned_days,
    cast(null as double) as mean_assigned,
    cast(null as double) as mean_unassigned,
    cast(null as double) as sd_assigned,
    cast(null as double) as sd_unassigned,
    cast(null as double) as effect,
    cast(null as double) as effect_ci_low,
    cast(null as double) as effect_ci_high,
    cast(null as varchar) as weights_version
  from params
  where false
)

select * from final
