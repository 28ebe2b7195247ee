-- grain: one row per scope (all, or a hotspot_id) per outcome (harm, count, serious_violence_harm), over the hotspot-days of the random allocation trial up to as_of
-- grain key: scope, outcome
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
--
-- Definitions (DESIGN section 7, patrol effect; intention to treat: the allocation, not the patrols done):
-- - Hotspot-days in the trial: the patrol_allocations versions current as of as_of (valid_from <= as_of and
--   (valid_to is null or valid_to > as_of)) dated on or before as_of, for hotspots of the register version
--   (role hotspot). Allocations of an id the register does not know are left out: their outcome cannot be
--   measured (no cells). trial_id is not split on: every current allocation row is one hotspot-day.
-- - Outcome of a hotspot-day: its incidents as queries/shared/shr_hotspot_day_incidents.sql counts them (current
--   versions, located in one of the hotspot's cells, by the London day they occurred, police-initiated and
--   month-precision records left out); 0 when none. harm = sum of CCHI days (weights_version);
--   serious_violence_harm = harm of the serious_violence incidents; count = incidents, anti-social behaviour
--   included (DESIGN's count).
-- - Per scope and outcome: n, mean and sample SD (n - 1) on assigned and unassigned days;
--   effect = 1 - m_a / m_u; se = sqrt(s_a^2 / (n_a m_a^2) + s_u^2 / (n_u m_u^2)) (delta method);
--   CI = [1 - exp(ln(m_a / m_u) + 1.96 se), 1 - exp(ln(m_a / m_u) - 1.96 se)] (the bounds swap: a lower
--   ratio is a larger reduction). effect and CI are null when either mean is 0 (or absent) or either arm has
--   fewer than 2 days (no SD).
-- - Reruns give identical numbers whatever order the engine adds rows in: a hotspot-day's harm and the sums
--   behind the means are rounded to 6 decimal places (the weights have 2, so this only removes float noise),
--   the SDs to 9 (a streaming SD is not exactly reproducible otherwise); every double output to 6.
-- - Rows: scope all first, then each hotspot with a trial day; outcomes in the order count, harm,
--   serious_violence_harm.
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

trial_days as (
  select
    a.hotspot_id,
    a.date,
    a.assigned
  from stg_patrol_allocations as a
  cross join params as p
  inner join hotspots as h
    on a.hotspot_id = h.area_id
    and p.register_version = h.register_version
    and h.role = 'hotspot'
  where
    a.valid_from <= p.as_of
    and (a.valid_to is null or a.valid_to > p.as_of)
    and a.date <= p.as_of
    and a.assigned is not null
),

hotspot_days as (
  select
    t.hotspot_id,
    t.date,
    t.assigned,
    cast(coalesce(d.crime_count, 0) as double) as crime_count,
    cast(coalesce(d.harm, 0e0) as double) as harm,
    cast(coalesce(d.serious_violence_harm, 0e0) as double) as serious_violence_harm
  from trial_days as t
  left join shr_hotspot_day_incidents as d
    on t.hotspot_id = d.hotspot_id
    and t.date = d.date
),

-- one row per hotspot-day, outcome and scope ('all', then the hotspot itself), from a single reference to
-- hotspot_days: Trino re-evaluates a CTE at each reference, so UNION ALL branches over it would each scan the
-- incidents again
outcome_names as (
  select t.outcome from (values ('count'), ('harm'), ('serious_violence_harm')) as t (outcome)
),

scopes as (
  select t.is_all from (values (true), (false)) as t (is_all)
),

scoped as (
  select
    case when s.is_all then 'all' else d.hotspot_id end as scope,
    o.outcome,
    d.assigned,
    case o.outcome
      when 'count' then d.crime_count
      when 'harm' then d.harm
      else d.serious_violence_harm
    end as value
  from hotspot_days as d
  cross join outcome_names as o
  cross join scopes as s
),

arms as (
  select
    scope,
    outcome,
    count_if(assigned) as n_assigned_days,
    count_if(not assigned) as n_unassigned_days,
    round(sum(value) filter (where assigned), 6) as sum_assigned,
    round(sum(value) filter (where not assigned), 6) as sum_unassigned,
    round(stddev_samp(value) filter (where assigned), 9) as sd_assigned,
    round(stddev_samp(value) filter (where not assigned), 9) as sd_unassigned
  from scoped
  group by scope, outcome
),

means as (
  select
    *,
    sum_assigned / cast(nullif(n_assigned_days, 0) as double) as mean_assigned,
    sum_unassigned / cast(nullif(n_unassigned_days, 0) as double) as mean_unassigned
  from arms
),

estimable as (
  select
    *,
    coalesce(
      mean_assigned > 0 and mean_unassigned > 0 and n_assigned_days >= 2 and n_unassigned_days >= 2, false
    ) as ok
  from means
),

log_ratios as (
  select
    *,
    case when ok then ln(mean_assigned / mean_unassigned) end as log_ratio,
    case
      when ok then sqrt(
        power(sd_assigned, 2) / (cast(n_assigned_days as double) * power(mean_assigned, 2))
        + power(sd_unassigned, 2) / (cast(n_unassigned_days as double) * power(mean_unassigned, 2))
      )
    end as se
  from estimable
),

final as (
  select
    l.scope,
    l.outcome,
    l.n_assigned_days,
    l.n_unassigned_days,
    round(l.mean_assigned, 6) as mean_assigned,
    round(l.mean_unassigned, 6) as mean_unassigned,
    round(l.sd_assigned, 6) as sd_assigned,
    round(l.sd_unassigned, 6) as sd_unassigned,
    round(case when l.ok then 1 - l.mean_assigned / l.mean_unassigned end, 6) as effect,
    round(case when l.ok then 1 - exp(l.log_ratio + 1.96e0 * l.se) end, 6) as effect_ci_low,
    round(case when l.ok then 1 - exp(l.log_ratio - 1.96e0 * l.se) end, 6) as effect_ci_high,
    p.weights_version
  from log_ratios as l
  cross join params as p
)

select * from final
order by
  case when scope = 'all' then 0 else 1 end,
  scope,
  case outcome when 'count' then 1 when 'harm' then 2 else 3 end
