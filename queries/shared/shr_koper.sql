-- generated from functions/core/contracts/dosage.ts by npm run generate:sql; do not edit
-- grain: one row: Koper's compliant patrol visit length, 10 to 16 minutes inclusive (DESIGN 7), which the
--   marts compare in milliseconds (min_minutes * 60000 to max_minutes * 60000); min_minutes is also the target
--   dose of presence in a day (dose_response, presence_weekly)
-- parameters: none
select
  10 as min_minutes,
  16 as max_minutes
