-- grain: one row per local month (by sent_at) through the month of as_of per group (all; hotspots; hotspot;
--   crime_type; ethnicity_group; age_band) per question: victim satisfaction's counts, each with its 95% Wilson
--   interval, and the same for the rest of the month's respondents (every other respondent to the question).
--   victim_satisfaction_monthly publishes it (its header gives the definitions); funder_monthly takes its
--   q_overall rows for every hotspot together and per hotspot. The one home of the Wilson interval.
-- parameters: reads params.as_of and params.register_version
-- columns: month, group_type, group_value, question, n_sent, n_open, n_responded, n_valid, n_satisfied,
--   median_hours_to_survey, share_within_24h as in victim_satisfaction_monthly; rest_n_valid, rest_n_satisfied
--   (the month's all row minus the group); pct_satisfied, ci_low, ci_high and rest_pct_satisfied, rest_ci_low,
--   rest_ci_high in percent, unrounded (null when the side has no valid answer)
with constants as (
  select 1.96e0 as z
),

questions as (
  select q.question
  from (values ('q_ease'), ('q_actions'), ('q_informed'), ('q_treatment'), ('q_overall')) as q (question)
),

surveys as (
  select
    s.response_id,
    s.incident_id,
    s.sent_at,
    s.window_closes_date > p.as_of as is_open,
    -- what a survey contributes to the figures over the closed surveys: nothing while open, and nothing from a
    -- response after its window
    case when s.window_closes_date <= p.as_of and not s.responded_after_window then s.responded_at end
      as responded_at,
    case when s.window_closes_date <= p.as_of and not s.responded_after_window then s.q_ease end as q_ease,
    case when s.window_closes_date <= p.as_of and not s.responded_after_window then s.q_actions end as q_actions,
    case when s.window_closes_date <= p.as_of and not s.responded_after_window then s.q_informed end as q_informed,
    case when s.window_closes_date <= p.as_of and not s.responded_after_window then s.q_treatment end
      as q_treatment,
    case when s.window_closes_date <= p.as_of and not s.responded_after_window then s.q_overall end as q_overall,
    coalesce(s.ethnicity_group, 'Not stated') as ethnicity_group,
    coalesce(s.age_band, 'Not stated') as age_band,
    cast(date_trunc('month', s.sent_date) as date) as month
  from stg_survey_responses as s
  cross join params as p
  where
    s.valid_from <= p.as_of
    and (s.valid_to is null or s.valid_to > p.as_of)
    and s.sent_date <= p.as_of
),

incidents as (
  select
    i.incident_id,
    i.crime_type,
    i.reported_at,
    i.period_precision,
    i.cell_x,
    i.cell_y
  from stg_incidents as i
  cross join params as p
  where i.valid_from <= p.as_of and (i.valid_to is null or i.valid_to > p.as_of)
),

-- the groups that get a row in every month (zeros included): all, every register hotspot, and all of them together
-- (hotspots, group_value all: a cell in two overlapping hotspots is one cell of it, so its surveys count once).
-- group_type carried so that the hotspot rows of survey_groups come from an equi-join
hotspot_group_cells as (
  select 'hotspot' as group_type, c.hotspot_id as group_value, c.cell_x, c.cell_y
  from shr_hotspot_cells as c
  union all
  select distinct 'hotspots' as group_type, 'all' as group_value, c.cell_x, c.cell_y
  from shr_hotspot_cells as c
),

-- is_spine: for the equi-join that gives the spine rows their groups
spine_groups as (
  select 'all' as group_type, 'all' as group_value, true as is_spine
  union all
  -- the hotspots together only when the register has a hotspot
  select distinct 'hotspots' as group_type, 'all' as group_value, true as is_spine
  from shr_hotspot_list
  union all
  select 'hotspot' as group_type, hotspot_id as group_value, true as is_spine
  from shr_hotspot_list
),

facts as (
  select
    s.response_id,
    s.month,
    s.is_open,
    s.responded_at,
    s.q_ease,
    s.q_actions,
    s.q_informed,
    s.q_treatment,
    s.q_overall,
    s.ethnicity_group,
    s.age_band,
    coalesce(i.crime_type, 'Unknown') as crime_type,
    i.cell_x,
    i.cell_y,
    case
      when
        not s.is_open
        and i.reported_at is not null
        and coalesce(i.period_precision, 'exact') = 'exact'
        and s.sent_at >= i.reported_at
        then date_diff('millisecond', i.reported_at, s.sent_at)
    end as ms_to_survey
  from surveys as s
  left join incidents as i
    on s.incident_id = i.incident_id
),

-- every survey once per group type, once per hotspot its incident's cell is in (none, one or several) and once
-- for the hotspots together when it is in any, in a
-- single pass over facts: on Athena each reference to facts is another scan of both feeds
survey_groups as (
  select
    f.response_id,
    f.month,
    f.is_open,
    f.responded_at,
    f.q_ease,
    f.q_actions,
    f.q_informed,
    f.q_treatment,
    f.q_overall,
    f.ms_to_survey,
    g.group_type,
    case g.group_type
      when 'all' then 'all'
      when 'hotspot' then h.group_value
      when 'hotspots' then h.group_value
      when 'crime_type' then f.crime_type
      when 'ethnicity_group' then f.ethnicity_group
      when 'age_band' then f.age_band
    end as group_value
  from facts as f
  cross join
    (values ('all'), ('hotspots'), ('hotspot'), ('crime_type'), ('ethnicity_group'), ('age_band')) as g (group_type)
  left join hotspot_group_cells as h
    on g.group_type = h.group_type and f.cell_x = h.cell_x and f.cell_y = h.cell_y
  where g.group_type not in ('hotspots', 'hotspot') or h.group_value is not null
),

-- one pass per group with a count per question (rather than a row per survey and question: five times the rows)
group_counts as (
  select
    month,
    group_type,
    group_value,
    count(*) as n_sent,
    count_if(is_open) as n_open,
    count_if(responded_at is not null) as n_responded,
    count_if(q_ease between 1 and 7) as q_ease_valid,
    count_if(q_ease between 1 and 3) as q_ease_satisfied,
    count_if(q_actions between 1 and 7) as q_actions_valid,
    count_if(q_actions between 1 and 3) as q_actions_satisfied,
    count_if(q_informed between 1 and 7) as q_informed_valid,
    count_if(q_informed between 1 and 3) as q_informed_satisfied,
    count_if(q_treatment between 1 and 7) as q_treatment_valid,
    count_if(q_treatment between 1 and 3) as q_treatment_satisfied,
    count_if(q_overall between 1 and 7) as q_overall_valid,
    count_if(q_overall between 1 and 3) as q_overall_satisfied,
    -- the qualifying times in hours, sorted, for an exact median (null when none qualifies)
    array_sort(array_agg(ms_to_survey / 3600000e0) filter (where ms_to_survey is not null)) as sorted_hours,
    count(ms_to_survey) as n_timed,
    cast(count_if(ms_to_survey <= 24 * 3600000) as double) / nullif(count(ms_to_survey), 0) as share_within_24h
  from survey_groups
  group by month, group_type, group_value
),

-- the first month with a survey (every survey has an 'all' row) as a window over the counts, not a second pass
-- over the surveys; the month spine runs from it through the month of as_of
counted as (
  select
    c.*,
    -- exact median: subscripts are 1-based on both engines; of n values the middle ones are floor((n + 1) / 2)
    -- and floor(n / 2) + 1 (the same element when n is odd); cardinality() is Trino's alone (DuckDB's takes a
    -- map), so n is counted beside the array
    case
      when c.n_timed > 0 then (
        c.sorted_hours[cast(floor((c.n_timed + 1) / 2e0) as integer)]
        + c.sorted_hours[cast(floor(c.n_timed / 2e0) as integer) + 1]
      ) / 2
    end as median_hours_to_survey,
    min(c.month) over () as first_month,
    cast(date_trunc('month', p.as_of) as date) as last_month
  from group_counts as c
  cross join params as p
),

-- each counted row once (i = -1), and the spine from the first month's 'all' row alone: every spine group in every
-- month (i = 0, 1, ..), without counts. Generated from the one pass over group_counts (a union or a left join of
-- the spine to group_counts would read the feeds again on Athena)
expanded as (
  select
    case when t.i < 0 then c.month else date_add('month', t.i, c.first_month) end as month,
    case when t.i < 0 then c.group_type else s.group_type end as group_type,
    case when t.i < 0 then c.group_value else s.group_value end as group_value,
    case when t.i < 0 then c.n_sent end as n_sent,
    case when t.i < 0 then c.n_open end as n_open,
    case when t.i < 0 then c.n_responded end as n_responded,
    case when t.i < 0 then c.q_ease_valid end as q_ease_valid,
    case when t.i < 0 then c.q_ease_satisfied end as q_ease_satisfied,
    case when t.i < 0 then c.q_actions_valid end as q_actions_valid,
    case when t.i < 0 then c.q_actions_satisfied end as q_actions_satisfied,
    case when t.i < 0 then c.q_informed_valid end as q_informed_valid,
    case when t.i < 0 then c.q_informed_satisfied end as q_informed_satisfied,
    case when t.i < 0 then c.q_treatment_valid end as q_treatment_valid,
    case when t.i < 0 then c.q_treatment_satisfied end as q_treatment_satisfied,
    case when t.i < 0 then c.q_overall_valid end as q_overall_valid,
    case when t.i < 0 then c.q_overall_satisfied end as q_overall_satisfied,
    case when t.i < 0 then c.median_hours_to_survey end as median_hours_to_survey,
    case when t.i < 0 then c.share_within_24h end as share_within_24h
  from counted as c
  cross join
    unnest(
      sequence(
        -1,
        case
          when c.group_type = 'all' and c.month = c.first_month then date_diff('month', c.first_month, c.last_month)
          else -1
        end,
        1
      )
    ) as t (i)
  -- equi-join on a boolean: spine groups only for the spine rows (i >= 0)
  left join spine_groups as s
    on s.is_spine = (t.i >= 0)
),

-- one row per month and group: a counted row and its spine row (if any) merged. At most one of them has counts, so
-- max picks it (and keeps bigint, as count does); groups without a survey in the month get zeros
group_rows as (
  select
    month,
    group_type,
    group_value,
    coalesce(max(n_sent), 0) as n_sent,
    coalesce(max(n_open), 0) as n_open,
    coalesce(max(n_responded), 0) as n_responded,
    coalesce(max(q_ease_valid), 0) as q_ease_valid,
    coalesce(max(q_ease_satisfied), 0) as q_ease_satisfied,
    coalesce(max(q_actions_valid), 0) as q_actions_valid,
    coalesce(max(q_actions_satisfied), 0) as q_actions_satisfied,
    coalesce(max(q_informed_valid), 0) as q_informed_valid,
    coalesce(max(q_informed_satisfied), 0) as q_informed_satisfied,
    coalesce(max(q_treatment_valid), 0) as q_treatment_valid,
    coalesce(max(q_treatment_satisfied), 0) as q_treatment_satisfied,
    coalesce(max(q_overall_valid), 0) as q_overall_valid,
    coalesce(max(q_overall_satisfied), 0) as q_overall_satisfied,
    max(median_hours_to_survey) as median_hours_to_survey,
    max(share_within_24h) as share_within_24h
  from expanded
  group by month, group_type, group_value
),

grid as (
  select
    g.month,
    g.group_type,
    g.group_value,
    q.question,
    g.n_sent,
    g.n_open,
    g.n_responded,
    case q.question
      when 'q_ease' then g.q_ease_valid
      when 'q_actions' then g.q_actions_valid
      when 'q_informed' then g.q_informed_valid
      when 'q_treatment' then g.q_treatment_valid
      when 'q_overall' then g.q_overall_valid
    end as n_valid,
    case q.question
      when 'q_ease' then g.q_ease_satisfied
      when 'q_actions' then g.q_actions_satisfied
      when 'q_informed' then g.q_informed_satisfied
      when 'q_treatment' then g.q_treatment_satisfied
      when 'q_overall' then g.q_overall_satisfied
    end as n_satisfied,
    g.median_hours_to_survey,
    g.share_within_24h
  from group_rows as g
  cross join questions as q
),

-- the rest of the month = its 'all' row (every month has one) minus the group: a window, not a self-join of grid
with_rest as (
  select
    g.*,
    max(case when g.group_type = 'all' then g.n_valid end) over (partition by g.month, g.question)
    - g.n_valid as rest_n_valid,
    max(case when g.group_type = 'all' then g.n_satisfied end) over (partition by g.month, g.question)
    - g.n_satisfied as rest_n_satisfied
  from grid as g
),

-- each row twice, once for the group and once for the rest, so that the interval below is written once
sides as (
  select
    r.*,
    s.is_rest,
    case when s.is_rest then r.rest_n_satisfied else r.n_satisfied end as k,
    case when s.is_rest then r.rest_n_valid else r.n_valid end as n
  from with_rest as r
  cross join (values (false), (true)) as s (is_rest)
),

proportions as (
  select
    s.*,
    c.z,
    cast(s.k as double) / nullif(s.n, 0) as p,
    cast(s.n as double) as nd
  from sides as s
  cross join constants as c
),

-- Wilson score interval, z = 1.96, p = k / n (k satisfied of n valid answers), in percent:
-- centre = (p + z^2/2n) / (1 + z^2/n), half = z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n). At 0% the lower bound is
-- exactly 0 and at 100% the upper bound exactly 100 (not a rounding error away); null when n = 0
wilson as (
  select
    w.*,
    100 * w.p as pct,
    case
      when w.n = 0 then null
      when w.k = 0 then 0e0
      else 100 * (
        (w.p + w.z * w.z / (2 * w.nd))
        - w.z * sqrt(w.p * (1 - w.p) / w.nd + w.z * w.z / (4 * w.nd * w.nd))
      ) / (1 + w.z * w.z / w.nd)
    end as low,
    case
      when w.n = 0 then null
      when w.k = w.n then 100e0
      else 100 * (
        (w.p + w.z * w.z / (2 * w.nd))
        + w.z * sqrt(w.p * (1 - w.p) / w.nd + w.z * w.z / (4 * w.nd * w.nd))
      ) / (1 + w.z * w.z / w.nd)
    end as high
  from proportions as w
),

-- the group's side and the rest's back on one row (the other columns are the same on both)
final as (
  select
    month,
    group_type,
    group_value,
    question,
    max(n_sent) as n_sent,
    max(n_open) as n_open,
    max(n_responded) as n_responded,
    max(n_valid) as n_valid,
    max(n_satisfied) as n_satisfied,
    max(rest_n_valid) as rest_n_valid,
    max(rest_n_satisfied) as rest_n_satisfied,
    max(median_hours_to_survey) as median_hours_to_survey,
    max(share_within_24h) as share_within_24h,
    max(case when not is_rest then pct end) as pct_satisfied,
    max(case when not is_rest then low end) as ci_low,
    max(case when not is_rest then high end) as ci_high,
    max(case when is_rest then pct end) as rest_pct_satisfied,
    max(case when is_rest then low end) as rest_ci_low,
    max(case when is_rest then high end) as rest_ci_high
  from wilson
  group by month, group_type, group_value, question
)

select * from final
