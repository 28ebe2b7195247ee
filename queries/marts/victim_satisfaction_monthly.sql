-- grain: one row per local month (by sent_at) through the month of as_of per group (all; hotspot; crime_type; ethnicity_group; age_band) per question
-- grain key: month, group_type, group_value, question
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   month                                date     first day of the month (Europe/London)
--   group_type                           varchar  all, hotspot, crime_type, ethnicity_group or age_band
--   group_value                          varchar  the group (all for group_type all)
--   question                             varchar  q_ease, q_actions, q_informed, q_treatment or q_overall
--   n_sent                               bigint   surveys sent in the month on or before as_of (n_closed + n_open)
--   n_open                               bigint   of those, still inside their 72 h response window at the end of as_of: in no other figure
--   n_closed                             bigint   of those, whose 72 h response window closed by the end of as_of: every figure below is over these
--   n_responded                          bigint   closed surveys answered within their window
--   response_rate                        double   n_responded / n_closed
--   n_valid                              bigint   answers 1..7 to the question, of the closed surveys' responses within their window
--   n_satisfied                          bigint   answers 1..3, of the same responses
--   pct_satisfied                        double   100 * n_satisfied / n_valid
--   ci_low                               double   95% Wilson interval, lower (percent)
--   ci_high                              double   upper (percent)
--   diff_vs_rest                         double   pct_satisfied minus that of all other respondents in the month (percentage points)
--   diff_ci_low                          double   95% CI of the difference (Newcombe, from the two Wilson intervals)
--   diff_ci_high                         double   upper end
--   median_hours_to_survey               double   median hours from the incident's reported_at to sent_at, over the closed surveys
--   share_within_24h                     double   share of the closed surveys sent within 24 hours of reported_at
--
-- Definitions (DESIGN section 7, victim satisfaction):
-- - Surveys: each response's version current as of as_of (valid_from <= as_of < valid_to), sent on or before
--   as_of (London day), in the London calendar month of sent_at. Months run from the first month with a survey
--   through the month containing as_of; the latest month is therefore partial until it ends.
-- - The incident a survey is about: its version current as of as_of (a later correction of the crime type or
--   location is not seen by an earlier as_of).
-- - Groups: all (every survey); hotspot (the incident's 25 m cell is a cell of the hotspot in the register
--   version: geography only, whatever the phase dates, so months before a hotspot's clear phase are comparable;
--   an incident in a cell shared by two hotspots counts in both); crime_type (of the incident; 'Unknown' when the
--   incident is not in the lake as of as_of); ethnicity_group and age_band (as given on the survey row; null as
--   'Not stated'). The ingest stores text without leading or trailing whitespace and blank text as null, so the
--   SQL does not trim: trim removes every kind of whitespace on Trino and only spaces on DuckDB. Rows: 'all' and every register hotspot get every month (zeros included); the other
--   groups appear in the months they have surveys.
-- - Closed cohorts (DESIGN 7): a survey's response window is the 72 h after sent_at (stg_survey_responses, the one
--   place that says 72 h). As of D it is closed when the window ends on a London day on or before D
--   (window_closes_date <= D), and open otherwise. n_sent counts the surveys sent in the group and month (the same
--   for every question), n_open the open ones and n_closed the closed ones. Every other figure of the row is over
--   the closed surveys alone: the response rate, the answers and the time to survey. An open survey already
--   answered is not in the rate either: its answer came early, while its unanswered neighbours have not had their
--   72 h yet (in the numerator but not the denominator it would bias the rate upward), and a survey feed that
--   delivers a survey when it is answered or closes holds only the answered ones of the open surveys. So a month
--   seen as of its last day gives the same figures for its closed surveys as seen later; the later view adds the
--   n_open surveys, with at most n_open responses (and, from such a feed, the open surveys it had not delivered yet,
--   none of them answered by the month end: n_open then counts the open surveys known, not all of them).
-- - A response counts when it is received within the window (72 h exactly included): n_responded counts the closed
--   surveys with such a responded_at; response_rate = n_responded / n_closed (a fraction; null when no survey has
--   closed). A response after the window (responded_after_window) is not a response, and its answers are not
--   counted: otherwise a month's figures could change after every window had closed. Answers of a survey without
--   a responded_at count (the feed does not require it) once the survey has closed.
-- - Answers 1 (completely satisfied) .. 7 (completely dissatisfied); null = not answered. n_valid = answers 1..7,
--   n_satisfied = answers 1..3 (completely, very or fairly satisfied); pct_satisfied null when n_valid = 0.
-- - Wilson score interval, z = 1.96, p = n_satisfied / n_valid, n = n_valid:
--   centre = (p + z^2/2n) / (1 + z^2/n), half = z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n), in percent. At 0% the
--   lower bound is exactly 0 and at 100% the upper bound exactly 100 (not a rounding error away).
-- - diff_vs_rest = pct_satisfied - pct of every other respondent of the month to the same question (the month's
--   'all' counts minus the group's). 95% CI by Newcombe's hybrid score method (method 10) from the two Wilson
--   intervals (l1, u1 of the group, l2, u2 of the rest): d - sqrt((p1-l1)^2 + (u2-p2)^2) .. d + sqrt((u1-p1)^2 +
--   (p2-l2)^2). Null for the 'all' group and when either side has no valid answer.
-- - Time to survey = sent_at - the incident's reported_at, in hours (both UTC instants: exact across clock
--   changes), over the group's surveys whose incident is known with an exact reported_at: incidents known only
--   to the day or month (period_precision day or month, as data.police.uk rows) and surveys recorded as sent
--   before the incident was reported (a data error) are left out. The time is counted in milliseconds
--   (date_diff('millisecond', ...): Trino counts whole units elapsed, DuckDB unit boundaries crossed, so only
--   milliseconds agree on timestamps with fractions of a second). median_hours_to_survey is the exact median,
--   the same on both engines (approx_percentile is approximate on Trino): the middle value of the sorted times,
--   or the mean of the two middle values when their number is even. share_within_24h counts 24 hours exactly
--   (86400000 ms) as within and 24 h + 1 ms as not. Both null when no survey of the group qualifies.
-- - Every double column is rounded to 6 decimals (a sum or a chain of doubles may differ in the last bits).
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

constants as (
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

-- the groups that get a row in every month (zeros included): all, and every register hotspot
-- group_type carried so that the hotspot rows of survey_groups come from an equi-join
hotspot_group_cells as (
  select 'hotspot' as group_type, c.hotspot_id, c.cell_x, c.cell_y
  from shr_hotspot_cells as c
),

-- is_spine: for the equi-join that gives the spine rows their groups
spine_groups as (
  select 'all' as group_type, 'all' as group_value, true as is_spine
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

-- every survey once per group type, and once per hotspot its incident's cell is in (none, one or several), in a
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
      when 'hotspot' then h.hotspot_id
      when 'crime_type' then f.crime_type
      when 'ethnicity_group' then f.ethnicity_group
      when 'age_band' then f.age_band
    end as group_value
  from facts as f
  cross join (values ('all'), ('hotspot'), ('crime_type'), ('ethnicity_group'), ('age_band')) as g (group_type)
  left join hotspot_group_cells as h
    on g.group_type = h.group_type and f.cell_x = h.cell_x and f.cell_y = h.cell_y
  where g.group_type <> 'hotspot' or h.hotspot_id is not null
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

proportions as (
  select
    r.*,
    k.z,
    cast(r.n_satisfied as double) / nullif(r.n_valid, 0) as p1,
    cast(r.n_valid as double) as n1,
    cast(r.rest_n_satisfied as double) / nullif(r.rest_n_valid, 0) as p2,
    cast(r.rest_n_valid as double) as n2
  from with_rest as r
  cross join constants as k
),

wilson as (
  select
    w.*,
    100 * w.p1 as pct1,
    case
      when w.n_valid = 0 then null
      when w.n_satisfied = 0 then 0e0
      else 100 * (
        (w.p1 + w.z * w.z / (2 * w.n1))
        - w.z * sqrt(w.p1 * (1 - w.p1) / w.n1 + w.z * w.z / (4 * w.n1 * w.n1))
      ) / (1 + w.z * w.z / w.n1)
    end as low1,
    case
      when w.n_valid = 0 then null
      when w.n_satisfied = w.n_valid then 100e0
      else 100 * (
        (w.p1 + w.z * w.z / (2 * w.n1))
        + w.z * sqrt(w.p1 * (1 - w.p1) / w.n1 + w.z * w.z / (4 * w.n1 * w.n1))
      ) / (1 + w.z * w.z / w.n1)
    end as high1,
    100 * w.p2 as pct2,
    case
      when w.rest_n_valid = 0 then null
      when w.rest_n_satisfied = 0 then 0e0
      else 100 * (
        (w.p2 + w.z * w.z / (2 * w.n2))
        - w.z * sqrt(w.p2 * (1 - w.p2) / w.n2 + w.z * w.z / (4 * w.n2 * w.n2))
      ) / (1 + w.z * w.z / w.n2)
    end as low2,
    case
      when w.rest_n_valid = 0 then null
      when w.rest_n_satisfied = w.rest_n_valid then 100e0
      else 100 * (
        (w.p2 + w.z * w.z / (2 * w.n2))
        + w.z * sqrt(w.p2 * (1 - w.p2) / w.n2 + w.z * w.z / (4 * w.n2 * w.n2))
      ) / (1 + w.z * w.z / w.n2)
    end as high2
  from proportions as w
),

final as (
  select
    month,
    group_type,
    group_value,
    question,
    n_sent,
    n_open,
    n_sent - n_open as n_closed,
    n_responded,
    round(cast(n_responded as double) / nullif(n_sent - n_open, 0), 6) as response_rate,
    n_valid,
    n_satisfied,
    round(pct1, 6) as pct_satisfied,
    round(low1, 6) as ci_low,
    round(high1, 6) as ci_high,
    round(case when group_type <> 'all' and n_valid > 0 and rest_n_valid > 0 then pct1 - pct2 end, 6)
      as diff_vs_rest,
    round(
      case
        when group_type <> 'all' and n_valid > 0 and rest_n_valid > 0
          then pct1 - pct2 - sqrt(power(pct1 - low1, 2) + power(high2 - pct2, 2))
      end,
      6
    ) as diff_ci_low,
    round(
      case
        when group_type <> 'all' and n_valid > 0 and rest_n_valid > 0
          then pct1 - pct2 + sqrt(power(high1 - pct1, 2) + power(pct2 - low2, 2))
      end,
      6
    ) as diff_ci_high,
    round(median_hours_to_survey, 6) as median_hours_to_survey,
    round(share_within_24h, 6) as share_within_24h
  from wilson
)

select * from final order by month, group_type, group_value, question
