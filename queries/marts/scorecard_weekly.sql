-- grain: one row per hotspot per ISO week (Monday 00:00 to Monday 00:00, Europe/London) from the first week with data for the programme through the last complete week ending on or before as_of; every hotspot gets every week, zero included
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   hotspot_id                           varchar  the hotspot (register area_id, role hotspot)
--   week_start                           date     Monday of the week (Europe/London)
--   week_end                             date     Sunday of the week
--   iso_year                             integer  ISO year of the week
--   iso_week                             integer  ISO week number (1..53)
--   weights_version                      varchar  harm weights used
--   crime_count                          bigint   incidents in the hotspot in the week (anti-social behaviour included)
--   harm                                 double   sum of CCHI days
--   serious_violence_count               bigint   serious violence incidents (DESIGN 7)
--   serious_violence_harm                double   their harm
--   arrests                              bigint   arrests located in the hotspot
--   stop_searches                        bigint   stop and searches located in the hotspot
--   tips                                 bigint   tips naming the hotspot or located in it
--   count_last_year                      bigint   crime_count in the same ISO week of the previous ISO year (week 53 compares with week 52)
--   harm_last_year                       double   harm in that week
--   pct_change_last_year                 double   100 * (crime_count - count_last_year) / count_last_year; null when count_last_year is 0
--   z_last_year                          double   2 * (sqrt(crime_count) - sqrt(count_last_year))
--   flag                                 varchar  up (z >= 3), down (z <= -3), no significant change
--   baseline_mean                        double   mean crime_count over the same ISO week and its two neighbours in each of the 3 previous ISO years (9 values)
--   baseline_sd                          double   their sample standard deviation
--   z_baseline                           double   (crime_count - baseline_mean) / baseline_sd; null when baseline_sd is 0
--   flag_baseline                        varchar  up, down or no significant change, by z_baseline against 3 and -3
--   count_28d                            bigint   crime_count over the 28 local days ending on week_end
--   harm_28d                             double   harm over those 28 days
--   count_28d_last_year                  bigint   the same 28 days shifted back 364 days
--   z_28d                                double   2 * (sqrt(count_28d) - sqrt(count_28d_last_year))
--   flag_28d                             varchar  by z_28d
--   count_fytd                           bigint   crime_count from 1 April of the financial year containing week_end through week_end
--   harm_fytd                            double   harm over the same days
--   count_fytd_last_year                 bigint   the same days shifted back 364 days
--   z_fytd                               double   2 * (sqrt(count_fytd) - sqrt(count_fytd_last_year))
--   flag_fytd                            varchar  by z_fytd
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

final as (
  select
    cast(null as varchar) as hotspot_id,
    cast(null as date) as week_start,
    cast(null as date) as week_end,
    cast(null as integer) as iso_year,
    cast(null as integer) as iso_week,
    cast(null as varchar) as weights_version,
    cast(null as bigint) as crime_count,
    cast(null as double) as harm,
    cast(null as bigint) as serious_violence_count,
    cast(null as double) as serious_violence_harm,
    cast(null as bigint) as arrests,
    cast(null as bigint) as stop_searches,
    cast(null as bigint) as tips,
    cast(null as bigint) as count_last_year,
    cast(null as double) as harm_last_year,
    cast(null as double) as pct_change_last_year,
    cast(null as double) as z_last_year,
    cast(null as varchar) as flag,
    cast(null as double) as baseline_mean,
    cast(null as double) as baseline_sd,
    cast(null as double) as z_baseline,
    cast(null as varchar) as flag_baseline,
    cast(null as bigint) as count_28d,
    cast(null as double) as harm_28d,
    cast(null as bigint) as count_28d_last_year,
    cast(null as double) as z_28d,
    cast(null as varchar) as flag_28d,
    cast(null as bigint) as count_fytd,
    cast(null as double) as harm_fytd,
    cast(null as bigint) as count_fytd_last_year,
    cast(null as double) as z_fytd,
    cast(null as varchar) as flag_fytd
  from params
  where false
)

select * from final
