-- generated from functions/core/contracts (feeds.ts, staging-columns.ts) by npm run generate:sql; do not edit
-- grain: one row per stored version of a patrol visit (key: visit_id)
-- parameters: none. The version current as of day D has valid_from <= D and (valid_to is null or valid_to > D).
-- columns: every column of patrol_visits_versions except the dt partition, and
--   valid_from: the drop date of this version
--   valid_to: the drop date of the version that replaced it (null while current). A record (rows sharing its key)
--     has its versions ordered by drop_date, ingested_at, drop_id, source_line; every row has a natural key
--   started_date, started_hour: the London calendar day and hour of started_at
--   ended_date, ended_hour: the London calendar day and hour of ended_at
with final as (
  select
    visit_id,
    hotspot_id,
    started_at,
    ended_at,
    officers,
    source,
    drop_id,
    drop_date,
    source_line,
    ingested_at,
    key_derived,
    drop_date as valid_from,
    lead(drop_date) over (partition by visit_id order by drop_date, ingested_at, drop_id, source_line) as valid_to,
    cast(with_timezone(started_at, 'UTC') at time zone 'Europe/London' as date) as started_date,
    hour(with_timezone(started_at, 'UTC') at time zone 'Europe/London') as started_hour,
    cast(with_timezone(ended_at, 'UTC') at time zone 'Europe/London' as date) as ended_date,
    hour(with_timezone(ended_at, 'UTC') at time zone 'Europe/London') as ended_hour
  from patrol_visits_versions
)

select * from final
