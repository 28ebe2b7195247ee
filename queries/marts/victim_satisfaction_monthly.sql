-- grain: one row per local month (by sent_at) through the month of as_of per group (all; hotspots; hotspot; crime_type; ethnicity_group; age_band) per question
-- grain key: month, group_type, group_value, question
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   month                                date     first day of the month (Europe/London)
--   group_type                           varchar  all, hotspots, hotspot, crime_type, ethnicity_group or age_band
--   group_value                          varchar  the group (all for group_type all and for hotspots)
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
-- - The figures and their intervals are computed in queries/shared/shr_victim_satisfaction.sql, which
--   funder_monthly reads too (its q_overall rows for hotspots and hotspot); this header defines them.
-- - Groups: all (every survey); hotspots (every hotspot of the register version together: the incident's cell is
--   a cell of any of them; a survey whose incident lies in two overlapping hotspots counts once); hotspot (the
--   incident's 25 m cell is a cell of the hotspot in the register version: geography only, whatever the phase
--   dates, so months before a hotspot's clear phase are comparable; an incident in a cell shared by two hotspots
--   counts in both); crime_type (of the incident; 'Unknown' when the
--   incident is not in the lake as of as_of); ethnicity_group and age_band (as given on the survey row; null as
--   'Not stated'). The ingest stores text without leading or trailing whitespace and blank text as null, so the
--   SQL does not trim: trim removes every kind of whitespace on Trino and only spaces on DuckDB. Rows: 'all',
--   every register hotspot and (when the register has one) 'hotspots' get every month (zeros included); the other
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
-- - ci_low, ci_high: the Wilson score interval of n_satisfied of n_valid, z = 1.96 (the formula is in
--   shr_victim_satisfaction); exactly 0 at 0% and exactly 100 at 100%.
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
-- - params is read by shr_victim_satisfaction, which the composer puts after it: the lint's noqa ST03 (unused CTE).
with params as (  -- noqa: ST03
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
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
    round(pct_satisfied, 6) as pct_satisfied,
    round(ci_low, 6) as ci_low,
    round(ci_high, 6) as ci_high,
    round(
      case when group_type <> 'all' and n_valid > 0 and rest_n_valid > 0 then pct_satisfied - rest_pct_satisfied end,
      6
    ) as diff_vs_rest,
    round(
      case
        when group_type <> 'all' and n_valid > 0 and rest_n_valid > 0
          then
            pct_satisfied - rest_pct_satisfied
            - sqrt(power(pct_satisfied - ci_low, 2) + power(rest_ci_high - rest_pct_satisfied, 2))
      end,
      6
    ) as diff_ci_low,
    round(
      case
        when group_type <> 'all' and n_valid > 0 and rest_n_valid > 0
          then
            pct_satisfied - rest_pct_satisfied
            + sqrt(power(ci_high - pct_satisfied, 2) + power(rest_pct_satisfied - rest_ci_low, 2))
      end,
      6
    ) as diff_ci_high,
    round(median_hours_to_survey, 6) as median_hours_to_survey,
    round(share_within_24h, 6) as share_within_24h
  from shr_victim_satisfaction
)

select * from final order by month, group_type, group_value, question
