-- generated from functions/core/contracts (feeds.ts, staging-columns.ts) by npm run generate:sql; do not edit
-- grain: one row per stored version of a survey response (key: response_id)
-- parameters: none. The version current as of day D has valid_from <= D and (valid_to is null or valid_to > D).
-- columns: every column of survey_responses_versions except the dt partition, and
--   valid_from: the drop date of this version
--   valid_to: the drop date of the version that replaced it (null while current). A record (rows sharing its key)
--     has its versions ordered by drop_date, ingested_at, drop_id, source_line; every row has a natural key
--   sent_date, sent_hour: the London calendar day and hour of sent_at
--   responded_date, responded_hour: the London calendar day and hour of responded_at
--   window_closes_date: the London calendar day on which the survey's 72 h response window ends (sent_at + 72 h, an
--     exact duration between UTC instants). The window is closed as of day D when window_closes_date <= D
--   responded_after_window: responded_at is more than 72 h after sent_at (72 h exactly is inside the window). Such
--     a response, and its answers, never count: a month's figures must not change once its windows have closed
-- the survey's response window (DESIGN 7, victim satisfaction) is said here alone: the marts read its end from the
--   columns below
with versions as (
  select
    *,
    sent_at + interval '72' hour as window_closes_at
  from survey_responses_versions
),

final as (
  select
    response_id,
    incident_id,
    sent_at,
    responded_at,
    q_ease,
    q_actions,
    q_informed,
    q_treatment,
    q_overall,
    ethnicity_group,
    age_band,
    drop_id,
    drop_date,
    source_line,
    ingested_at,
    key_derived,
    drop_date as valid_from,
    lead(drop_date) over (partition by response_id order by drop_date, ingested_at, drop_id, source_line) as valid_to,
    cast(with_timezone(sent_at, 'UTC') at time zone 'Europe/London' as date) as sent_date,
    hour(with_timezone(sent_at, 'UTC') at time zone 'Europe/London') as sent_hour,
    cast(with_timezone(responded_at, 'UTC') at time zone 'Europe/London' as date) as responded_date,
    hour(with_timezone(responded_at, 'UTC') at time zone 'Europe/London') as responded_hour,
    cast(with_timezone(window_closes_at, 'UTC') at time zone 'Europe/London' as date) as window_closes_date,
    coalesce(responded_at > window_closes_at, false) as responded_after_window
  from versions
)

select * from final
