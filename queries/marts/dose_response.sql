-- grain: one row per period (all the measured days, or a London month) per band of presence minutes (0, 1-9, 10-16, 17-30, over 30, and all bands), over the hotspot-days with presence measured from GPS pings through as_of
-- grain key: period, band
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   period                               varchar  all, or the London month as YYYY-MM
--   band                                 varchar  the hotspot-day's whole minutes of presence: 0, 1-9, 10-16, 17-30, over 30; or all
--   hotspot_days                         bigint   hotspot-days with measured presence in the band
--   crimes                               bigint   incidents on those hotspot-days
--   crimes_per_day                       double   crimes / hotspot_days
--   crimes_ci_low                        double   95% confidence interval of crimes_per_day (normal, from the SD across hotspot-days); null under 2 days
--   crimes_ci_high                       double   upper end
--   harm                                 double   CCHI days of those incidents
--   harm_per_day                         double   harm / hotspot_days
--   harm_ci_low                          double   95% confidence interval of harm_per_day, as for crimes
--   harm_ci_high                         double   upper end
--   assigned_days                        bigint   of the hotspot-days, those assigned a patrol (patrol_allocations)
--   assigned_days_at_target              bigint   of those, the days with at least the target dose of presence (Koper's 10 minutes)
--   share_assigned_at_target             double   assigned_days_at_target / assigned_days; null without assigned days
--   weights_version                      varchar  harm weights used
--
-- Definitions (DESIGN section 12, dose-response: the "sweet spot" Koper and the Cambridge trials looked for;
-- "decision" marks what DESIGN leaves open):
-- - Hotspot-days: those with presence measured (queries/shared/shr_presence_history.sql: the presence run that
--   speaks for the day), for hotspots of the register version, on or before as_of. Days without pings measured
--   are not days of no presence: they are left out.
-- - Band: the whole minutes (rounded down) of presence_minutes, the minutes with at least one officer on foot
--   present: 0 (under a minute), 1-9, 10-16 (Koper's), 17-30, over 30 (31 whole minutes or more).
-- - Outcome of a hotspot-day: its incidents as queries/shared/shr_hotspot_day_incidents.sql counts them (as
--   patrol_effect: by the day they occurred, police-initiated and month-precision records left out); 0 when none.
-- - Per period and band: the mean per hotspot-day and its 95% confidence interval mean +- 1.96 s / sqrt(n), s
--   the sample SD across the hotspot-days (decision: a normal interval on the daily values, which allows for
--   counts more spread than Poisson's, and suits the hundreds of hotspot-days a band holds; the lower end is
--   not below 0). Null under 2 hotspot-days.
-- - Target dose (decision): Koper's 10 minutes (queries/shared/shr_koper.sql min_minutes) of presence in the
--   day. An assigned day is a hotspot-day with an allocation row assigned = true (current version as of as_of).
-- - Sums and SDs are rounded (6 and 9 decimal places) before the divisions, as in patrol_effect, so that reruns
--   give identical numbers; every double output to 6.
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

measured_days as (
  select
    h.hotspot_id,
    h.visit_date,
    h.presence_minutes
  from shr_presence_history as h
  inner join shr_hotspot_list as l
    on h.hotspot_id = l.hotspot_id
),

hotspot_days as (
  select
    m.hotspot_id,
    m.visit_date,
    case
      when m.presence_minutes < 1 then '0'
      when m.presence_minutes < 10 then '1-9'
      when m.presence_minutes < 17 then '10-16'
      when m.presence_minutes < 31 then '17-30'
      else 'over 30'
    end as band,
    m.presence_minutes >= k.min_minutes as at_target,
    a.hotspot_id is not null as assigned,
    cast(coalesce(d.crime_count, 0) as double) as crimes,
    cast(coalesce(d.harm, 0e0) as double) as harm
  from measured_days as m
  cross join shr_koper as k
  left join shr_assigned_days as a
    on m.hotspot_id = a.hotspot_id and m.visit_date = a.date
  left join shr_hotspot_day_incidents as d
    on m.hotspot_id = d.hotspot_id and m.visit_date = d.date
),

-- each hotspot-day in its month and in all, and in its band and in all bands: one read of hotspot_days (Trino
-- evaluates a CTE again at each reference, down to the incidents)
spreads as (
  select t.whole_period, t.all_bands
  from (values (true, true), (true, false), (false, true), (false, false)) as t (whole_period, all_bands)
),

spread as (
  select
    case when s.whole_period then 'all' else substr(cast(d.visit_date as varchar), 1, 7) end as period,
    case when s.all_bands then 'all' else d.band end as band,
    d.at_target,
    d.assigned,
    d.crimes,
    d.harm
  from hotspot_days as d
  cross join spreads as s
),

sums as (
  select
    period,
    band,
    count(*) as hotspot_days,
    round(sum(crimes), 6) as crimes,
    round(stddev_samp(crimes), 9) as crimes_sd,
    round(sum(harm), 6) as harm,
    round(stddev_samp(harm), 9) as harm_sd,
    count_if(assigned) as assigned_days,
    count_if(assigned and at_target) as assigned_days_at_target
  from spread
  group by period, band
),

means as (
  select
    *,
    crimes / hotspot_days as crimes_per_day,
    harm / hotspot_days as harm_per_day,
    1.96e0 / sqrt(cast(hotspot_days as double)) as z_over_root_n
  from sums
),

final as (
  select
    m.period,
    m.band,
    m.hotspot_days,
    cast(m.crimes as bigint) as crimes,
    round(m.crimes_per_day, 6) as crimes_per_day,
    round(case when m.hotspot_days >= 2 then greatest(m.crimes_per_day - m.z_over_root_n * m.crimes_sd, 0e0) end, 6)
      as crimes_ci_low,
    round(case when m.hotspot_days >= 2 then m.crimes_per_day + m.z_over_root_n * m.crimes_sd end, 6)
      as crimes_ci_high,
    round(m.harm, 6) as harm,
    round(m.harm_per_day, 6) as harm_per_day,
    round(case when m.hotspot_days >= 2 then greatest(m.harm_per_day - m.z_over_root_n * m.harm_sd, 0e0) end, 6)
      as harm_ci_low,
    round(case when m.hotspot_days >= 2 then m.harm_per_day + m.z_over_root_n * m.harm_sd end, 6) as harm_ci_high,
    m.assigned_days,
    m.assigned_days_at_target,
    round(cast(m.assigned_days_at_target as double) / nullif(m.assigned_days, 0), 6) as share_assigned_at_target,
    p.weights_version
  from means as m
  cross join params as p
)

select * from final
order by
  case when period = 'all' then 0 else 1 end,
  period,
  case band when '0' then 1 when '1-9' then 2 when '10-16' then 3 when '17-30' then 4 when 'over 30' then 5 else 6 end
