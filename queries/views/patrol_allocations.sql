-- generated from functions/core/contracts (feeds.ts, staging-columns.ts) by npm run generate:sql; do not edit
-- the view patrol_allocations (the local DuckDB lake and the Glue catalog): each record's current version, the
--   stored row whose valid_to (as in queries/staging/stg_patrol_allocations.sql) is null, with every column of
--   patrol_allocations_versions except the dt partition. valid_to: the drop date of the version that replaced it
--   (null while current). A record (rows sharing its key) has its versions ordered by drop_date, ingested_at,
--   drop_id, source_line; every row has a natural key
select
  hotspot_id,
  date,
  assigned,
  trial_id,
  drop_id,
  drop_date,
  source_line,
  ingested_at,
  key_derived
from (
  select
    *,
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
) as versions
where valid_to is null
