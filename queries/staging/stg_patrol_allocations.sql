-- generated from functions/core/contracts (feeds.ts, staging-columns.ts) by npm run generate:sql; do not edit
-- grain: one row per stored version of a patrol allocation (hotspot and day) (key: hotspot_id, date)
-- parameters: none. The version current as of day D has valid_from <= D and (valid_to is null or valid_to > D).
-- columns: every column of patrol_allocations_versions except the dt partition, and
--   valid_from: the drop date of this version
--   valid_to: the drop date of the version that replaced it (null while current). A record (rows sharing its key)
--     has its versions ordered by drop_date, ingested_at, drop_id, source_line; every row has a natural key
with final as (
  select
    hotspot_id,
    date,
    assigned,
    trial_id,
    drop_id,
    drop_date,
    source_line,
    ingested_at,
    key_derived,
    drop_date as valid_from,
    case
      when
        lead(date) over (
          partition by hotspot_id order by date, drop_date, ingested_at, drop_id, source_line
        ) = date
        then lead(drop_date) over (
          partition by hotspot_id order by date, drop_date, ingested_at, drop_id, source_line
        )
    end as valid_to
  from patrol_allocations_versions
)

select * from final
