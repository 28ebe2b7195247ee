-- generated from functions/core/contracts (feeds.ts, staging-columns.ts) by npm run generate:sql; do not edit
-- the view survey_responses (the local DuckDB lake and the Glue catalog): each record's current version, the stored
--   row whose valid_to (as in queries/staging/stg_survey_responses.sql) is null, with every column of
--   survey_responses_versions except the dt partition. valid_to: the drop date of the version that replaced it
--   (null while current). A record (rows sharing its key) has its versions ordered by drop_date, ingested_at,
--   drop_id, source_line; every row has a natural key
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
  key_derived
from (
  select
    *,
    lead(drop_date) over (partition by response_id order by drop_date, ingested_at, drop_id, source_line) as valid_to
  from survey_responses_versions
) as versions
where valid_to is null
