-- grain: one row per patrol visit the marts count as of as_of (started on or before it): the patrol_visits feed's
--   and the patrols derived from GPS pings, combined so that no patrol counts twice
-- parameters: reads params.as_of
-- columns: visit_id, hotspot_id, started_date (London), started_at, ended_at, officers, source (gps, manual or
--   null as sent; gps for a derived patrol). patrol_dosage and funder_monthly count these: the one home of the rule.
-- Definitions (DESIGN section 12; "decision" marks what DESIGN leaves open):
-- - Sent visits: each visit_id's version current as of as_of.
-- - Derived patrols: the foot visits of presence_visits (runs of pings in a hotspot) grouped into patrols
--   (visits of the same London day that overlap or chain: two officers walking together are one patrol of 2
--   officers, as a hand-written visit would be), from the presence run that speaks for the day as of as_of
--   (queries/shared/shr_presence_history.sql).
--   visit_id: gps-<hotspot>-<start in epoch milliseconds>.
-- - Combined (decision): on a hotspot-day with a derived patrol, the sent visits marked gps are left out (the
--   pings measure the same patrols), and so is a sent visit of any other source that overlaps a derived patrol
--   in time (the same patrol, also logged by hand): a derived patrol going on when it starts, or starting
--   before it ends. Every other sent visit counts: a hotspot-day without derived patrols (no pings, or before
--   pings began) keeps all its sent visits.
with covering_runs as (
  select distinct
    h.visit_date,
    h.computed_as_of
  from shr_presence_history as h
),

derived as (
  select
    v.hotspot_id,
    v.visit_date as started_date,
    v.patrol_started_at as started_at,
    max(v.ended_at) as ended_at,
    count(distinct v.device_id) as officers
  from presence_visits as v
  inner join covering_runs as c
    on v.visit_date = c.visit_date and v.as_of = c.computed_as_of
  where v.kind = 'foot'
  group by v.hotspot_id, v.visit_date, v.patrol_started_at
),

sent as (
  select
    v.visit_id,
    v.hotspot_id,
    v.started_date,
    v.started_at,
    v.ended_at,
    v.officers,
    v.source
  from stg_patrol_visits as v
  cross join params as p
  where
    v.valid_from <= p.as_of
    and (v.valid_to is null or v.valid_to > p.as_of)
    and v.started_date <= p.as_of
),

-- the sent visits and the derived patrols together, each read once: whether a sent visit repeats a derived patrol
-- is decided by window functions over the hotspot-day, not by a join (each reference to the presence views is
-- its own scans on Trino, and funder_monthly reads these visits twice: Trino allows 150 stages)
combined as (
  select
    s.visit_id,
    s.hotspot_id,
    s.started_date,
    s.started_at,
    s.ended_at,
    s.officers,
    s.source,
    false as is_derived
  from sent as s
  union all
  select
    concat(
      'gps-',
      d.hotspot_id,
      '-',
      cast(date_diff('millisecond', timestamp '1970-01-01 00:00:00', d.started_at) as varchar)
    ) as visit_id,
    d.hotspot_id,
    d.started_date,
    d.started_at,
    d.ended_at,
    d.officers,
    'gps' as source,
    true as is_derived
  from derived as d
  cross join params as p
  where d.started_date <= p.as_of
),

judged as (
  select
    visit_id,
    hotspot_id,
    started_date,
    started_at,
    ended_at,
    officers,
    source,
    is_derived,
    count_if(is_derived) over (partition by hotspot_id, started_date) as derived_patrols,
    -- the latest end of the derived patrols that started before this visit (or with it, ordered first) ...
    max(case when is_derived then ended_at end) over (
      partition by hotspot_id, started_date order by started_at asc, is_derived desc, visit_id asc
      rows between unbounded preceding and current row
    ) as derived_end_before,
    -- ... and the first start of those that started after it (or with it, ordered after)
    min(case when is_derived then started_at end) over (
      partition by hotspot_id, started_date order by started_at asc, is_derived desc, visit_id asc
      rows between current row and unbounded following
    ) as derived_start_after
  from combined
),

final as (
  select
    visit_id,
    hotspot_id,
    started_date,
    started_at,
    ended_at,
    officers,
    source
  from judged
  where
    is_derived
    or derived_patrols = 0
    or (
      coalesce(source, 'manual') <> 'gps'
      and not coalesce(derived_end_before > started_at, false)
      and not coalesce(derived_start_after < ended_at, false)
    )
)

select * from final
