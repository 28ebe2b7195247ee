-- grain: one row per local month (by sent_at) through the month of as_of per group (all; hotspot; crime_type; ethnicity_group; age_band) per question
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   month                                date     first day of the month (Europe/London)
--   group_type                           varchar  all, hotspot, crime_type, ethnicity_group or age_band
--   group_value                          varchar  the group (all for group_type all)
--   question                             varchar  q_ease, q_actions, q_informed, q_treatment or q_overall
--   n_sent                               bigint   surveys sent
--   n_responded                          bigint   surveys with a response
--   response_rate                        double   n_responded / n_sent
--   n_valid                              bigint   answers 1..7 to the question
--   n_satisfied                          bigint   answers 1..3
--   pct_satisfied                        double   100 * n_satisfied / n_valid
--   ci_low                               double   95% Wilson interval, lower (percent)
--   ci_high                              double   upper (percent)
--   diff_vs_rest                         double   pct_satisfied minus that of all other respondents in the month (percentage points)
--   diff_ci_low                          double   95% CI of the difference (Newcombe, from the two Wilson intervals)
--   diff_ci_high                         double   upper end
--   median_hours_to_survey               double   median hours from the incident's reported_at to sent_at
--   share_within_24h                     double   share of surveys sent within 24 hours of reported_at
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

final as (
  select
    cast(null as date) as month,
    cast(null as varchar) as group_type,
    cast(null as varchar) as group_value,
    cast(null as varchar) as question,
    cast(null as bigint) as n_sent,
    cast(null as bigint) as n_responded,
    cast(null as double) as response_rate,
    cast(null as bigint) as n_valid,
    cast(null as bigint) as n_satisfied,
    cast(null as double) as pct_satisfied,
    cast(null as double) as ci_low,
    cast(null as double) as ci_high,
    cast(null as double) as diff_vs_rest,
    cast(null as double) as diff_ci_low,
    cast(null as double) as diff_ci_high,
    cast(null as double) as median_hours_to_survey,
    cast(null as double) as share_within_24h
  from params
  where false
)

select * from final
