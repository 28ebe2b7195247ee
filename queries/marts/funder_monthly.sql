-- grain: one row per local month through the last complete month (the last whose last day is on or before as_of) per measure per breakdown: programme-level figures for the funder report, before disclosure control
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   month                                date     first day of the month (Europe/London)
--   section                              varchar  crime, patrol, arrests, stop_search, tips, satisfaction
--   measure                              varchar  e.g. crime_count, harm, visits, arrests, searches, find_rate, q_overall_pct_satisfied (listed below)
--   breakdown                            varchar  all (every hotspot together), or a hotspot_id (never finer than a hotspot)
--   value                                double   the figure
--   unit                                 varchar  count, days, minutes, percent or rate
--   numerator                            double   for a percent or rate: its numerator count (for disclosure control)
--   denominator                          double   for a percent or rate: its denominator count
--   weights_version                      varchar  the harm-weights version of a harm figure (null for every other measure)
--
-- Scope and periods:
-- - Months are London calendar months, from the first month with any figure below through the last complete
--   month: the last month whose last day is on or before as_of (as of 30 April: April; as of 29 April: March).
--   Every (month, measure, breakdown) has a row, zeros included; no rows when nothing is dated that early.
-- - Only record versions current as of as_of (valid_from <= as_of < valid_to) and events dated on or before as_of.
-- - breakdown: 'all' = every hotspot of the register version together (an event in two overlapping hotspots is
--   counted once), or one hotspot_id. Nothing finer than a hotspot and no row outside the hotspots: the funder
--   report is about the programme's areas. Area membership is geographic (the hotspot's 25 m cells, role hotspot,
--   in register_version), whatever the phase dates, so the months before a hotspot's clear phase and last year's
--   figures cover the same ground. Buffers and control areas are not reported here.
-- - Rates and percentages always carry numerator and denominator counts (also when the denominator is 0 and the
--   value null), so disclosure control can suppress a rate whose count it suppressed; counts leave them null.
--
-- Measures (section / measure / unit: definition):
-- - crime / crime_count / count: incidents (anti-social behaviour included) whose London reported_at date falls
--   in the month, located in the hotspot(s). data.police.uk rows (month precision) fall in their month.
-- - crime / crime_count_last_year / count: crime_count of the same calendar month a year earlier (month - 12), same
--   area; null when that month is before the first month of any incident in the lake (not a zero: unknown).
-- - crime / harm / days: sum of Cambridge Crime Harm Index days of those incidents in weights_version (0 for
--   police-initiated records and anti-social behaviour); the row's weights_version column names the version.
--   Every incident has a harm in every weights version (a weights file is refused unless each crime type has a
--   category weight), so the incidents are taken from stg_incident_harm: one read of them, not two.
-- - crime / serious_violence_count / count: those incidents that are serious violence (DESIGN 7, stg_incidents).
-- - patrol / visits / count: patrol visits to the hotspot(s) starting in the month (London date of started_at);
--   visits recorded against an id that is not a hotspot of the register version are left out.
-- - patrol / patrol_minutes / minutes: their total length, ended_at - started_at in minutes.
-- - patrol / compliant_visits / count: visits of 10 to 16 minutes inclusive (Koper).
-- - patrol / compliant_visit_pct / percent: 100 * compliant_visits / visits (numerator compliant visits,
--   denominator visits).
-- - patrol / assigned_days / count: hotspot-days in the month the allocation assigned a patrol (summed over
--   hotspots for 'all').
-- - patrol / assigned_days_compliant_pct / percent: DESIGN 7 dosage: 100 * assigned hotspot-days with at least one
--   compliant visit that day (London date of started_at) / assigned hotspot-days.
-- - arrests / arrests / count: arrests in the month (London date of arrested_at) located in the hotspot(s).
-- - stop_search / searches / count: stop and searches in the month located in the hotspot(s) (searches without a
--   location are in none).
-- - stop_search / finds / count: of those, outcome linked to the object of search.
-- - stop_search / find_rate / rate: finds / searches as a fraction (numerator finds, denominator searches).
-- - tips / tips_received / count: tips received in the month that name the hotspot (hotspot_id) or lie in its
--   cells (once per tip and hotspot; once per tip for 'all').
-- - satisfaction / q_overall_pct_satisfied / percent: of surveys sent in the month (London date of sent_at) about
--   an incident located in the hotspot(s), 100 * answers 1..3 / answers 1..7 to q_overall (numerator n_satisfied,
--   denominator n_valid).
-- - satisfaction / q_overall_ci_low, q_overall_ci_high / percent: its 95% Wilson interval (z = 1.96; exactly 0 at
--   0% and exactly 100 at 100%), with the same numerator and denominator as the percentage.
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

constants as (
  select 1.96e0 as z
),

measures as (
  select section, measure, unit
  from (
    values
      ('crime', 'crime_count', 'count'),
      ('crime', 'crime_count_last_year', 'count'),
      ('crime', 'harm', 'days'),
      ('crime', 'serious_violence_count', 'count'),
      ('patrol', 'visits', 'count'),
      ('patrol', 'patrol_minutes', 'minutes'),
      ('patrol', 'compliant_visits', 'count'),
      ('patrol', 'compliant_visit_pct', 'percent'),
      ('patrol', 'assigned_days', 'count'),
      ('patrol', 'assigned_days_compliant_pct', 'percent'),
      ('arrests', 'arrests', 'count'),
      ('stop_search', 'searches', 'count'),
      ('stop_search', 'finds', 'count'),
      ('stop_search', 'find_rate', 'rate'),
      ('tips', 'tips_received', 'count'),
      ('satisfaction', 'q_overall_pct_satisfied', 'percent'),
      ('satisfaction', 'q_overall_ci_low', 'percent'),
      ('satisfaction', 'q_overall_ci_high', 'percent')
  ) as m (section, measure, unit)
),

hotspot_cells as (
  select distinct
    c.area_id,
    c.cell_x,
    c.cell_y
  from area_cells as c
  cross join params as p
  where c.register_version = p.register_version and c.role = 'hotspot'
),

hotspot_list as (
  select distinct area_id
  from hotspot_cells
),

incidents as (
  select
    i.incident_id,
    cast(date_trunc('month', i.reported_date) as date) as month,
    i.serious_violence,
    i.harm,
    i.cell_x,
    i.cell_y
  from stg_incident_harm as i
  cross join params as p
  where
    i.weights_version = p.weights_version
    and i.valid_from <= p.as_of
    and (i.valid_to is null or i.valid_to > p.as_of)
    and i.reported_date <= p.as_of
),

arrests as (
  select
    a.arrest_id,
    cast(date_trunc('month', a.arrested_date) as date) as month,
    a.cell_x,
    a.cell_y
  from stg_arrests as a
  cross join params as p
  where
    a.valid_from <= p.as_of
    and (a.valid_to is null or a.valid_to > p.as_of)
    and a.arrested_date <= p.as_of
),

searches as (
  select
    s.search_id,
    cast(date_trunc('month', s.searched_date) as date) as month,
    coalesce(s.outcome_linked, false) as is_find,
    s.cell_x,
    s.cell_y
  from stg_stop_searches as s
  cross join params as p
  where
    s.valid_from <= p.as_of
    and (s.valid_to is null or s.valid_to > p.as_of)
    and s.searched_date <= p.as_of
),

tips as (
  select
    t.tip_id,
    cast(date_trunc('month', t.received_date) as date) as month,
    t.hotspot_id,
    t.cell_x,
    t.cell_y
  from stg_tips as t
  cross join params as p
  where
    t.valid_from <= p.as_of
    and (t.valid_to is null or t.valid_to > p.as_of)
    and t.received_date <= p.as_of
),

-- the funder report is about the hotspots: incidents elsewhere are placed in none, so they are left out before
-- any join (joining millions of incidents to their surveys costs seconds)
hotspot_incidents as (
  select
    i.incident_id,
    i.month,
    i.serious_violence,
    i.harm,
    i.cell_x,
    i.cell_y
  from incidents as i
  where exists (select 1 from hotspot_cells as h where h.cell_x = i.cell_x and h.cell_y = i.cell_y)
),

-- a survey is placed where its incident happened, so only surveys about incidents in a hotspot are placed at all
surveys as (
  select
    s.response_id,
    cast(date_trunc('month', s.sent_date) as date) as month,
    coalesce(s.q_overall between 1 and 7, false) as is_valid,
    coalesce(s.q_overall between 1 and 3, false) as is_satisfied,
    i.cell_x,
    i.cell_y
  from stg_survey_responses as s
  cross join params as p
  inner join hotspot_incidents as i
    on i.incident_id = s.incident_id
  where
    s.valid_from <= p.as_of
    and (s.valid_to is null or s.valid_to > p.as_of)
    and s.sent_date <= p.as_of
),

-- every located event once per kind: where it happened (or, for a tip, the hotspot it names)
located as (
  select 'incident' as kind, incident_id as event_id, month, cell_x, cell_y, cast(null as varchar) as named_area
  from hotspot_incidents
  union all
  select 'arrest' as kind, arrest_id as event_id, month, cell_x, cell_y, cast(null as varchar) as named_area
  from arrests
  union all
  select 'search' as kind, search_id as event_id, month, cell_x, cell_y, cast(null as varchar) as named_area
  from searches
  union all
  select 'tip' as kind, tip_id as event_id, month, cell_x, cell_y, hotspot_id as named_area
  from tips
  union all
  select 'survey' as kind, response_id as event_id, month, cell_x, cell_y, cast(null as varchar) as named_area
  from surveys
),

located_areas as (
  select
    l.kind,
    l.event_id,
    l.month,
    h.area_id
  from located as l
  inner join hotspot_cells as h
    on h.cell_x = l.cell_x and h.cell_y = l.cell_y
  union
  select
    l.kind,
    l.event_id,
    l.month,
    h.area_id
  from located as l
  inner join hotspot_list as h
    on h.area_id = l.named_area
),

event_breakdowns as (
  select kind, event_id, month, area_id as breakdown
  from located_areas
  union all
  select distinct kind, event_id, month, 'all' as breakdown
  from located_areas
),

crime as (
  select
    b.month,
    b.breakdown,
    count(*) as crime_count,
    coalesce(sum(f.harm), 0) as harm,
    count_if(f.serious_violence) as serious_violence_count
  from event_breakdowns as b
  inner join hotspot_incidents as f
    on b.kind = 'incident' and f.incident_id = b.event_id
  group by b.month, b.breakdown
),

arrest_counts as (
  select
    month,
    breakdown,
    count(*) as arrests
  from event_breakdowns
  where kind = 'arrest'
  group by month, breakdown
),

search_counts as (
  select
    b.month,
    b.breakdown,
    count(*) as searches,
    count_if(s.is_find) as finds
  from event_breakdowns as b
  inner join searches as s
    on b.kind = 'search' and s.search_id = b.event_id
  group by b.month, b.breakdown
),

tip_counts as (
  select
    month,
    breakdown,
    count(*) as tips_received
  from event_breakdowns
  where kind = 'tip'
  group by month, breakdown
),

survey_counts as (
  select
    b.month,
    b.breakdown,
    count_if(s.is_valid) as n_valid,
    count_if(s.is_satisfied) as n_satisfied
  from event_breakdowns as b
  inner join surveys as s
    on b.kind = 'survey' and s.response_id = b.event_id
  group by b.month, b.breakdown
),

visits as (
  select
    v.hotspot_id as area_id,
    v.started_date as day,
    cast(date_trunc('month', v.started_date) as date) as month,
    cast(date_diff('second', v.started_at, v.ended_at) as double) / 60 as minutes
  from stg_patrol_visits as v
  cross join params as p
  where
    v.valid_from <= p.as_of
    and (v.valid_to is null or v.valid_to > p.as_of)
    and v.started_date <= p.as_of
    and v.hotspot_id in (select area_id from hotspot_list)
),

visit_facts as (
  select
    area_id,
    day,
    month,
    minutes,
    minutes >= 10 and minutes <= 16 as is_compliant
  from visits
),

visit_breakdowns as (
  select area_id as breakdown, month, minutes, is_compliant
  from visit_facts
  union all
  select 'all' as breakdown, month, minutes, is_compliant
  from visit_facts
),

visit_counts as (
  select
    month,
    breakdown,
    count(*) as visits,
    sum(minutes) as patrol_minutes,
    count_if(is_compliant) as compliant_visits
  from visit_breakdowns
  group by month, breakdown
),

assigned_days as (
  select
    a.hotspot_id as area_id,
    a.date as day,
    cast(date_trunc('month', a.date) as date) as month,
    max(case when v.is_compliant then 1 else 0 end) as has_compliant_visit
  from stg_patrol_allocations as a
  cross join params as p
  left join visit_facts as v
    on v.area_id = a.hotspot_id and v.day = a.date
  where
    a.valid_from <= p.as_of
    and (a.valid_to is null or a.valid_to > p.as_of)
    and a.date <= p.as_of
    and coalesce(a.assigned, false)
    and a.hotspot_id in (select area_id from hotspot_list)
  group by a.hotspot_id, a.date
),

assigned_breakdowns as (
  select area_id as breakdown, month, has_compliant_visit
  from assigned_days
  union all
  select 'all' as breakdown, month, has_compliant_visit
  from assigned_days
),

assigned_counts as (
  select
    month,
    breakdown,
    count(*) as assigned_days,
    sum(has_compliant_visit) as assigned_days_compliant
  from assigned_breakdowns
  group by month, breakdown
),

bounds as (
  select
    min(d.month) as first_month,
    date_add('month', -1, cast(date_trunc('month', date_add('day', 1, p.as_of)) as date)) as last_month
  from (
    select month from event_breakdowns
    union all
    select month from visit_facts
    union all
    select month from assigned_days
  ) as d
  cross join params as p
  group by p.as_of
),

months as (
  select date_add('month', t.i, b.first_month) as month
  from bounds as b
  cross join unnest(sequence(0, date_diff('month', b.first_month, b.last_month), 1)) as t (i)
  where b.first_month <= b.last_month
),

incident_history as (
  select min(month) as first_incident_month
  from incidents
),

grid as (
  select
    m.month,
    b.breakdown
  from months as m
  cross join (
    select 'all' as breakdown
    union all
    select area_id as breakdown from hotspot_list
  ) as b
),

figures as (
  select
    g.month,
    g.breakdown,
    coalesce(c.crime_count, 0) as crime_count,
    case
      when date_add('month', -12, g.month) >= h.first_incident_month then coalesce(ly.crime_count, 0)
    end as crime_count_last_year,
    coalesce(c.harm, 0) as harm,
    coalesce(c.serious_violence_count, 0) as serious_violence_count,
    coalesce(v.visits, 0) as visits,
    coalesce(v.patrol_minutes, 0) as patrol_minutes,
    coalesce(v.compliant_visits, 0) as compliant_visits,
    coalesce(ad.assigned_days, 0) as assigned_days,
    coalesce(ad.assigned_days_compliant, 0) as assigned_days_compliant,
    coalesce(a.arrests, 0) as arrests,
    coalesce(s.searches, 0) as searches,
    coalesce(s.finds, 0) as finds,
    coalesce(t.tips_received, 0) as tips_received,
    coalesce(sv.n_valid, 0) as n_valid,
    coalesce(sv.n_satisfied, 0) as n_satisfied
  from grid as g
  cross join incident_history as h
  left join crime as c
    on c.month = g.month and c.breakdown = g.breakdown
  left join crime as ly
    on ly.month = date_add('month', -12, g.month) and ly.breakdown = g.breakdown
  left join visit_counts as v
    on v.month = g.month and v.breakdown = g.breakdown
  left join assigned_counts as ad
    on ad.month = g.month and ad.breakdown = g.breakdown
  left join arrest_counts as a
    on a.month = g.month and a.breakdown = g.breakdown
  left join search_counts as s
    on s.month = g.month and s.breakdown = g.breakdown
  left join tip_counts as t
    on t.month = g.month and t.breakdown = g.breakdown
  left join survey_counts as sv
    on sv.month = g.month and sv.breakdown = g.breakdown
),

satisfaction as (
  select
    f.*,
    cast(f.n_satisfied as double) / nullif(f.n_valid, 0) as ps,
    cast(f.n_valid as double) as nv,
    k.z
  from figures as f
  cross join constants as k
),

wilson as (
  select
    s.*,
    case
      when s.n_valid = 0 then null
      when s.n_satisfied = 0 then 0.0
      else 100 * (
        (s.ps + s.z * s.z / (2 * s.nv))
        - s.z * sqrt(s.ps * (1 - s.ps) / s.nv + s.z * s.z / (4 * s.nv * s.nv))
      ) / (1 + s.z * s.z / s.nv)
    end as ci_low,
    case
      when s.n_valid = 0 then null
      when s.n_satisfied = s.n_valid then 100.0
      else 100 * (
        (s.ps + s.z * s.z / (2 * s.nv))
        + s.z * sqrt(s.ps * (1 - s.ps) / s.nv + s.z * s.z / (4 * s.nv * s.nv))
      ) / (1 + s.z * s.z / s.nv)
    end as ci_high
  from satisfaction as s
),

final as (
  select
    w.month,
    m.section,
    m.measure,
    w.breakdown,
    case m.measure
      when 'crime_count' then cast(w.crime_count as double)
      when 'crime_count_last_year' then cast(w.crime_count_last_year as double)
      when 'harm' then cast(w.harm as double)
      when 'serious_violence_count' then cast(w.serious_violence_count as double)
      when 'visits' then cast(w.visits as double)
      when 'patrol_minutes' then cast(w.patrol_minutes as double)
      when 'compliant_visits' then cast(w.compliant_visits as double)
      when 'compliant_visit_pct' then 100 * cast(w.compliant_visits as double) / nullif(w.visits, 0)
      when 'assigned_days' then cast(w.assigned_days as double)
      when 'assigned_days_compliant_pct'
        then 100 * cast(w.assigned_days_compliant as double) / nullif(w.assigned_days, 0)
      when 'arrests' then cast(w.arrests as double)
      when 'searches' then cast(w.searches as double)
      when 'finds' then cast(w.finds as double)
      when 'find_rate' then cast(w.finds as double) / nullif(w.searches, 0)
      when 'tips_received' then cast(w.tips_received as double)
      when 'q_overall_pct_satisfied' then 100 * w.ps
      when 'q_overall_ci_low' then w.ci_low
      when 'q_overall_ci_high' then w.ci_high
    end as value,
    m.unit,
    case m.measure
      when 'compliant_visit_pct' then cast(w.compliant_visits as double)
      when 'assigned_days_compliant_pct' then cast(w.assigned_days_compliant as double)
      when 'find_rate' then cast(w.finds as double)
      when 'q_overall_pct_satisfied' then cast(w.n_satisfied as double)
      when 'q_overall_ci_low' then cast(w.n_satisfied as double)
      when 'q_overall_ci_high' then cast(w.n_satisfied as double)
    end as numerator,
    case m.measure
      when 'compliant_visit_pct' then cast(w.visits as double)
      when 'assigned_days_compliant_pct' then cast(w.assigned_days as double)
      when 'find_rate' then cast(w.searches as double)
      when 'q_overall_pct_satisfied' then cast(w.n_valid as double)
      when 'q_overall_ci_low' then cast(w.n_valid as double)
      when 'q_overall_ci_high' then cast(w.n_valid as double)
    end as denominator,
    case when m.measure = 'harm' then p.weights_version end as weights_version
  from wilson as w
  cross join measures as m
  cross join params as p
)

select * from final order by month, section, measure, breakdown
