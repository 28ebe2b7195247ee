-- grain: one row per local month through the last complete month (the last whose last day is on or before as_of) per measure per breakdown: programme-level figures for the funder report, before disclosure control
-- grain key: month, measure, breakdown
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
--   flag                                 varchar  a count's change on the same month a year earlier: up, down or no significant change (null for the other measures, and when last year is unknown)
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
-- - Every double column is rounded to 6 decimals: a sum of doubles depends on the order of addition, which
--   differs between engines and between runs.
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
-- - patrol / visits / count: patrol visits to the hotspot(s) starting in the month (London date of started_at),
--   as queries/shared/shr_patrol_visits.sql combines the feed's and those derived from GPS pings; visits
--   recorded against an id that is not a hotspot of the register version are left out.
-- - patrol / patrol_minutes / minutes: their total length, ended_at - started_at in minutes, summed in whole
--   milliseconds (date_diff('millisecond', ...): Trino counts whole seconds elapsed and DuckDB second boundaries
--   crossed, so only milliseconds agree on timestamps with fractions of a second).
-- - patrol / compliant_visits / count: visits of 10 to 16 minutes inclusive (Koper), compared in milliseconds
--   (600000 to 960000) as patrol_dosage does, with the bounds in queries/shared/shr_koper.sql.
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
-- - satisfaction / q_overall_pct_satisfied / percent: victim_satisfaction_monthly's pct_satisfied of q_overall, for
--   its group hotspots (breakdown all) and hotspot, read from the block both take it from
--   (queries/shared/shr_victim_satisfaction.sql): of surveys sent in the month (London date of sent_at) about an
--   incident located in the hotspot(s) whose 72 h response window closed by the end of as_of
--   (window_closes_date <= as_of), 100 * answers 1..3 / answers 1..7 to q_overall (numerator n_satisfied,
--   denominator n_valid). The month's last surveys are still open on its last day and wait for a later as_of;
--   answers of a response after its window (responded_after_window) never count. The block places the surveys by
--   reading the incidents itself: a second read of that feed, the price of one home for the satisfaction figures.
-- - satisfaction / q_overall_ci_low, q_overall_ci_high / percent: its 95% Wilson interval
--   (victim_satisfaction_monthly's ci_low and ci_high), with the same numerator and denominator as the percentage.
-- - Change flag (DESIGN 7), on every count measure but crime_count_last_year: Poisson Z = 2(sqrt(value) -
--   sqrt(the same measure's value 12 months earlier, same breakdown)); up when Z >= 3, down when Z <= -3, else no
--   significant change. Null while last year is unknown (as crime_count_last_year). The report shows it as is.
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

measures as (
  select m.section, m.measure, m.unit
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

-- the breakdowns an event in a cell counts in: each hotspot the cell is in, and 'all' once (a cell in two
-- overlapping hotspots still counts once for 'all'). Joining events to this counts each event once per breakdown
-- without a distinct over the events
cell_breakdowns as (
  select 'cell' as via, cell_x, cell_y, hotspot_id as breakdown
  from shr_hotspot_cells
  union all
  select distinct 'cell' as via, cell_x, cell_y, 'all' as breakdown
  from shr_hotspot_cells
),

-- the breakdowns of an event recorded against a hotspot id (a visit, an assigned day, a tip naming a hotspot): the
-- hotspot and 'all'; ids that are not a hotspot of the register version match nothing
area_breakdowns as (
  select 'named' as via, hotspot_id as area_id, hotspot_id as breakdown
  from shr_hotspot_list
  union all
  select 'named' as via, hotspot_id as area_id, 'all' as breakdown
  from shr_hotspot_list
),

-- is_grid: for the equi-join that gives the grid rows their breakdowns
breakdown_list as (
  select 'all' as breakdown, true as is_grid
  union all
  select hotspot_id as breakdown, true as is_grid
  from shr_hotspot_list
),

incidents as (
  select
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

-- every incident once per breakdown it is in. Incidents outside the hotspots (breakdown null) count only towards
-- the first month of any incident (crime_count_last_year), taken from this same pass
incident_events as (
  select
    'incident' as kind,
    i.month,
    b.breakdown,
    count(*) as n_incidents,
    sum(i.harm) as harm,
    count_if(i.serious_violence) as serious_violence_count
  from incidents as i
  left join cell_breakdowns as b
    on i.cell_x = b.cell_x and i.cell_y = b.cell_y
  group by i.month, b.breakdown
),

arrest_events as (
  select
    'arrest' as kind,
    cast(date_trunc('month', a.arrested_date) as date) as month,
    b.breakdown
  from stg_arrests as a
  cross join params as p
  inner join cell_breakdowns as b
    on a.cell_x = b.cell_x and a.cell_y = b.cell_y
  where
    a.valid_from <= p.as_of
    and (a.valid_to is null or a.valid_to > p.as_of)
    and a.arrested_date <= p.as_of
),

search_events as (
  select
    'search' as kind,
    cast(date_trunc('month', s.searched_date) as date) as month,
    b.breakdown,
    coalesce(s.outcome_linked, false) as is_find
  from stg_stop_searches as s
  cross join params as p
  inner join cell_breakdowns as b
    on s.cell_x = b.cell_x and s.cell_y = b.cell_y
  where
    s.valid_from <= p.as_of
    and (s.valid_to is null or s.valid_to > p.as_of)
    and s.searched_date <= p.as_of
),

-- a tip is placed by its cell and by the hotspot it names, in one pass over the tips (each tip twice, once per way);
-- the distinct keeps one row per tip and breakdown that both ways give (the same hotspot, and 'all')
tip_events as (
  select distinct
    'tip' as kind,
    t.tip_id,
    cast(date_trunc('month', t.received_date) as date) as month,
    coalesce(c.breakdown, n.breakdown) as breakdown
  from stg_tips as t
  cross join params as p
  cross join (values ('cell'), ('named')) as v (via)
  left join cell_breakdowns as c
    on v.via = c.via and t.cell_x = c.cell_x and t.cell_y = c.cell_y
  left join area_breakdowns as n
    on v.via = n.via and t.hotspot_id = n.area_id
  where
    t.valid_from <= p.as_of
    and (t.valid_to is null or t.valid_to > p.as_of)
    and t.received_date <= p.as_of
    and coalesce(c.breakdown, n.breakdown) is not null
),

visits as (
  select
    v.hotspot_id as area_id,
    v.started_date as day,
    cast(date_trunc('month', v.started_date) as date) as month,
    date_diff('millisecond', v.started_at, v.ended_at) as duration_ms
  from shr_patrol_visits as v
  where v.hotspot_id in (select l.hotspot_id from shr_hotspot_list as l)
),

visit_facts as (
  select
    v.area_id,
    v.day,
    v.month,
    v.duration_ms,
    v.duration_ms between k.min_minutes * 60000 and k.max_minutes * 60000 as is_compliant
  from visits as v
  cross join shr_koper as k
),

-- visit_facts is read here and in events: two reads of patrol_visits, a small feed
assigned_days as (
  select
    a.hotspot_id as area_id,
    a.date as day,
    cast(date_trunc('month', a.date) as date) as month,
    max(case when v.is_compliant then 1 else 0 end) as has_compliant_visit
  from stg_patrol_allocations as a
  cross join params as p
  left join visit_facts as v
    on a.hotspot_id = v.area_id and a.date = v.day
  where
    a.valid_from <= p.as_of
    and (a.valid_to is null or a.valid_to > p.as_of)
    and a.date <= p.as_of
    and coalesce(a.assigned, false)
    and a.hotspot_id in (select l.hotspot_id from shr_hotspot_list as l)
  group by a.hotspot_id, a.date
),

-- every event once per breakdown (incidents outside the hotspots with none), in one stream
events as (
  select
    kind,
    month,
    breakdown,
    n_incidents,
    harm,
    serious_violence_count,
    cast(null as bigint) as duration_ms,
    cast(null as boolean) as is_compliant,
    cast(null as integer) as has_compliant_visit,
    cast(null as boolean) as is_find
  from incident_events
  union all
  select
    'visit' as kind,
    v.month,
    b.breakdown,
    cast(null as bigint) as n_incidents,
    cast(null as double) as harm,
    cast(null as bigint) as serious_violence_count,
    v.duration_ms,
    v.is_compliant,
    cast(null as integer) as has_compliant_visit,
    cast(null as boolean) as is_find
  from visit_facts as v
  inner join area_breakdowns as b
    on v.area_id = b.area_id
  union all
  select
    'assigned_day' as kind,
    d.month,
    b.breakdown,
    cast(null as bigint) as n_incidents,
    cast(null as double) as harm,
    cast(null as bigint) as serious_violence_count,
    cast(null as bigint) as duration_ms,
    cast(null as boolean) as is_compliant,
    d.has_compliant_visit,
    cast(null as boolean) as is_find
  from assigned_days as d
  inner join area_breakdowns as b
    on d.area_id = b.area_id
  union all
  select
    kind,
    month,
    breakdown,
    cast(null as bigint) as n_incidents,
    cast(null as double) as harm,
    cast(null as bigint) as serious_violence_count,
    cast(null as bigint) as duration_ms,
    cast(null as boolean) as is_compliant,
    cast(null as integer) as has_compliant_visit,
    cast(null as boolean) as is_find
  from arrest_events
  union all
  select
    kind,
    month,
    breakdown,
    cast(null as bigint) as n_incidents,
    cast(null as double) as harm,
    cast(null as bigint) as serious_violence_count,
    cast(null as bigint) as duration_ms,
    cast(null as boolean) as is_compliant,
    cast(null as integer) as has_compliant_visit,
    is_find
  from search_events
  union all
  select
    kind,
    month,
    breakdown,
    cast(null as bigint) as n_incidents,
    cast(null as double) as harm,
    cast(null as bigint) as serious_violence_count,
    cast(null as bigint) as duration_ms,
    cast(null as boolean) as is_compliant,
    cast(null as integer) as has_compliant_visit,
    cast(null as boolean) as is_find
  from tip_events
),

-- every figure of a (month, breakdown) in one aggregation over the stream, rather than one per measure: on Athena
-- each reference to the events is another scan of every feed
event_counts as (
  select
    month,
    breakdown,
    sum(n_incidents) as crime_count,
    sum(harm) as harm,
    sum(serious_violence_count) as serious_violence_count,
    count_if(kind = 'visit') as visits,
    cast(sum(duration_ms) as double) / 60000 as patrol_minutes,
    count_if(is_compliant) as compliant_visits,
    count_if(kind = 'assigned_day') as assigned_days,
    sum(has_compliant_visit) as assigned_days_compliant,
    count_if(kind = 'arrest') as arrests,
    count_if(kind = 'search') as searches,
    count_if(is_find) as finds,
    count_if(kind = 'tip') as tips_received
  from events
  group by month, breakdown
),

-- the first month with any figure (every placed event has an 'all' row) and the first month of any incident (those
-- outside the hotspots included) as windows over the counts, not second passes over the feeds; the months run
-- through the last complete month
counted as (
  select
    c.*,
    min(case when c.breakdown is not null then c.month end) over () as first_month,
    min(case when c.crime_count > 0 then c.month end) over () as first_incident_month,
    date_add('month', -1, cast(date_trunc('month', date_add('day', 1, p.as_of)) as date)) as last_month
  from event_counts as c
  cross join params as p
),

-- each counted row in a reported month and breakdown once (i = -1), and the first month's 'all' row also as the
-- whole grid, every breakdown in every month (i = 0, 1, ..), without counts: generated from the one pass over
-- event_counts (a month spine joined to event_counts would read the feeds again on Athena)
expanded as (
  select
    case when t.i < 0 then c.month else date_add('month', t.i, c.first_month) end as month,
    case when t.i < 0 then c.breakdown else g.breakdown end as breakdown,
    c.first_incident_month,
    case when t.i < 0 then c.crime_count end as crime_count,
    case when t.i < 0 then c.harm end as harm,
    case when t.i < 0 then c.serious_violence_count end as serious_violence_count,
    case when t.i < 0 then c.visits end as visits,
    case when t.i < 0 then c.patrol_minutes end as patrol_minutes,
    case when t.i < 0 then c.compliant_visits end as compliant_visits,
    case when t.i < 0 then c.assigned_days end as assigned_days,
    case when t.i < 0 then c.assigned_days_compliant end as assigned_days_compliant,
    case when t.i < 0 then c.arrests end as arrests,
    case when t.i < 0 then c.searches end as searches,
    case when t.i < 0 then c.finds end as finds,
    case when t.i < 0 then c.tips_received end as tips_received
  from counted as c
  cross join
    unnest(
      sequence(
        -1,
        case
          when c.breakdown = 'all' and c.month = c.first_month and c.first_month <= c.last_month
            then date_diff('month', c.first_month, c.last_month)
          else -1
        end,
        1
      )
    ) as t (i)
  -- equi-join on a boolean: the breakdowns only for the grid rows (i >= 0)
  left join breakdown_list as g
    on g.is_grid = (t.i >= 0)
  where t.i >= 0 or (c.breakdown is not null and c.month <= c.last_month)
),

-- one row per month and breakdown: its counted row and its grid row merged (at most one has counts, so max picks
-- it); zeros where nothing happened
figures as (
  select
    month,
    breakdown,
    max(first_incident_month) as first_incident_month,
    coalesce(max(crime_count), 0) as crime_count,
    coalesce(max(harm), 0) as harm,
    coalesce(max(serious_violence_count), 0) as serious_violence_count,
    coalesce(max(visits), 0) as visits,
    coalesce(max(patrol_minutes), 0) as patrol_minutes,
    coalesce(max(compliant_visits), 0) as compliant_visits,
    coalesce(max(assigned_days), 0) as assigned_days,
    coalesce(max(assigned_days_compliant), 0) as assigned_days_compliant,
    coalesce(max(arrests), 0) as arrests,
    coalesce(max(searches), 0) as searches,
    coalesce(max(finds), 0) as finds,
    coalesce(max(tips_received), 0) as tips_received
  from expanded
  group by month, breakdown
),

-- last year's count from the same breakdown's row 12 months back: the grid has every month from the first, so a
-- window, not a self-join (before the first month nothing was placed: 0)
with_last_year as (
  select
    f.*,
    case
      when date_add('month', -12, f.month) >= f.first_incident_month
        then coalesce(lag(f.crime_count, 12) over (partition by f.breakdown order by f.month), 0)
    end as crime_count_last_year
  from figures as f
),

-- q_overall's satisfaction and its Wilson interval as victim_satisfaction_monthly gives them, for every hotspot
-- together (its group hotspots) and per hotspot; a month without a row there had no survey: no valid answer
satisfaction as (
  select
    v.month,
    case v.group_type when 'hotspots' then 'all' else v.group_value end as breakdown,
    v.n_valid,
    v.n_satisfied,
    v.pct_satisfied,
    v.ci_low,
    v.ci_high
  from shr_victim_satisfaction as v
  where v.question = 'q_overall' and v.group_type in ('hotspots', 'hotspot')
),

measure_values as (
  select
    w.month,
    m.section,
    m.measure,
    w.breakdown,
    round(case m.measure
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
      when 'q_overall_pct_satisfied' then s.pct_satisfied
      when 'q_overall_ci_low' then s.ci_low
      when 'q_overall_ci_high' then s.ci_high
    end, 6) as value,
    m.unit,
    round(case m.measure
      when 'compliant_visit_pct' then cast(w.compliant_visits as double)
      when 'assigned_days_compliant_pct' then cast(w.assigned_days_compliant as double)
      when 'find_rate' then cast(w.finds as double)
      when 'q_overall_pct_satisfied' then cast(coalesce(s.n_satisfied, 0) as double)
      when 'q_overall_ci_low' then cast(coalesce(s.n_satisfied, 0) as double)
      when 'q_overall_ci_high' then cast(coalesce(s.n_satisfied, 0) as double)
    end, 6) as numerator,
    round(case m.measure
      when 'compliant_visit_pct' then cast(w.visits as double)
      when 'assigned_days_compliant_pct' then cast(w.assigned_days as double)
      when 'find_rate' then cast(w.searches as double)
      when 'q_overall_pct_satisfied' then cast(coalesce(s.n_valid, 0) as double)
      when 'q_overall_ci_low' then cast(coalesce(s.n_valid, 0) as double)
      when 'q_overall_ci_high' then cast(coalesce(s.n_valid, 0) as double)
    end, 6) as denominator,
    case when m.measure = 'harm' then p.weights_version end as weights_version,
    w.first_incident_month
  from with_last_year as w
  left join satisfaction as s
    on w.month = s.month and w.breakdown = s.breakdown
  cross join measures as m
  cross join params as p
),

-- a count against the same measure and breakdown 12 months back: the grid has every month from the first, so a
-- window (known from the first incident month on, as crime_count_last_year)
compared as (
  select
    v.*,
    case
      when
        v.unit = 'count'
        and v.measure <> 'crime_count_last_year'
        and date_add('month', -12, v.month) >= v.first_incident_month
        then lag(v.value, 12) over (partition by v.measure, v.breakdown order by v.month)
    end as value_last_year
  from measure_values as v
),

final as (
  select
    month,
    section,
    measure,
    breakdown,
    value,
    unit,
    numerator,
    denominator,
    weights_version,
    case
      when value_last_year is null then null
      when 2 * (sqrt(value) - sqrt(value_last_year)) >= 3 then 'up'
      when 2 * (sqrt(value) - sqrt(value_last_year)) <= -3 then 'down'
      else 'no significant change'
    end as flag
  from compared
)

select * from final order by month, section, measure, breakdown
