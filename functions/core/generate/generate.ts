import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { FEED_NAMES, type FeedName } from '../contracts/feeds.ts'
import { toWgs84 } from '../geo.ts'
import { DEFAULT_WEIGHTS_FILE, parseWeights } from '../reference/weights.ts'
import { dayOfYear, formatDay, weekday } from '../time/days.ts'
import { londonDayNumber, londonToUtc } from '../time/london.ts'
import { BAD_ROWS } from './bad-rows.ts'
import { HOUR_MS, isoUtc, isoUtcOffset, MINUTE_MS } from './calendar.ts'
import {
  AGE_BANDS,
  ANNUAL,
  ARREST_CATEGORY,
  ARREST_RATE,
  CALL_CATEGORY,
  CALL_GRADES,
  CALL_RATE,
  type CrimeType,
  DOMESTIC,
  ETHNICITY_GROUPS,
  HOUR_PROFILE_OF,
  HOUR_PROFILES,
  LATER_OUTCOMES,
  OPEN_OUTCOMES,
  OTHER_CALLS,
  OUTCOMES,
  POLICE_INITIATED,
  QUESTION_SHIFT,
  QUESTIONS,
  RECLASSIFICATIONS,
  REPORT_DELAY_MINUTES,
  RESIDENT_SHARES,
  RESIDENTS_PER_BOROUGH,
  SATISFACTION_AGE_SHIFT,
  SATISFACTION_BY_ETHNICITY,
  STOP_SEARCH,
  SUBCATEGORIES,
  SURVEY,
  SURVEYED_TYPES,
  TIPS,
  URGENT_TYPES,
  VISITS,
  WEAPONS,
  WEEKLY,
} from './catalogue.ts'
import {
  BOROUGHS,
  buildCity,
  CELL_M,
  CITY_PARAMETERS,
  type City,
  cellSouth,
  cellWest,
  distanceToRect,
  type Hotspot,
  type Rect,
  wgs84Ring,
} from './city.ts'
import { csvLine, DROP_COLUMNS, KEY_OF, keyOf, type Values } from './columns.ts'
import { PatrolPings, PINGS, type PlantedVisit } from './pings.ts'
import {
  CORRECTIONS,
  DEFAULT_END_DATE,
  LATENESS,
  type Phase,
  PLANTED,
  PROGRAMME,
  phaseOn,
  phasesOf,
  SCALES,
  type Scale,
  type Timeline,
  timelineOf,
} from './programme.ts'
import { Categorical, Random } from './random.ts'
import {
  type BadRowTruth,
  buildTruth,
  type CorrectionTruth,
  type DuplicateTruth,
  type FeedCounts,
  type SupersededTruth,
} from './truth.ts'

export { DEFAULT_END_DATE, PROGRAMME, SCALES, type Scale, timelineOf } from './programme.ts'
export type {
  BadRowTruth,
  CorrectionTruth,
  DuplicateTruth,
  FeedCounts,
  SupersededTruth,
  Truth,
} from './truth.ts'

export interface GenerateProgress {
  day: number
  days: number
  date: string
  rows: number
}

export interface GenerateOptions {
  scale: Scale
  years: number
  seed: number
  out: string
  /** Last day of data (moved back to a Sunday); default 2026-11-15. Never derived from the current time. */
  endDate?: string
  /** Replace an earlier generation in `out` (its drops/ folder and its four files). */
  overwrite?: boolean
  /** GPS pings for the last this many days of the period (0: none); default PINGS.defaultDays. */
  pingDays?: number
  onProgress?: (progress: GenerateProgress) => void
}

export interface GenerateSummary {
  out: string
  scale: Scale
  seed: number
  years: number
  start_date: string
  end_date: string
  days: number
  files: number
  bytes: number
  rows: Record<FeedName, number>
  elapsed_ms: number
}

function validate(options: GenerateOptions): void {
  if (!(options.scale in SCALES))
    throw new Error(`unknown scale ${JSON.stringify(options.scale)}; expected demo or london`)
  if (!Number.isInteger(options.years) || options.years < 1 || options.years > 10)
    throw new Error(`--years must be a whole number from 1 to 10, not ${options.years}`)
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffff_ffff)
    throw new Error(`--seed must be a whole number from 0 to 4294967295, not ${options.seed}`)
  const { pingDays, years } = options
  if (pingDays !== undefined && (!Number.isInteger(pingDays) || pingDays < 0 || pingDays > years * 364))
    throw new Error(
      `--ping-days must be a whole number from 0 to the ${years * 364} days generated, not ${pingDays}`,
    )
}

/** Writes files with a bounded number of writes in flight, so generation and disk work overlap. */
class FileSink {
  private readonly inFlight: Promise<void>[] = []
  files = 0
  bytes = 0

  async write(file: string, content: string): Promise<void> {
    this.files++
    this.bytes += Buffer.byteLength(content)
    const pending = writeFile(file, content)
    pending.catch(() => {})
    this.inFlight.push(pending)
    if (this.inFlight.length >= 16) await this.inFlight.shift()
  }

  async close(): Promise<void> {
    await Promise.all(this.inFlight.splice(0))
  }
}

interface PendingRow {
  sort: number
  seq: number
  values: Values
}

interface Entry {
  text: string
  onLine?: (line: number) => void
}

const pad = (n: number, width: number) => String(n).padStart(width, '0')

/**
 * Generates the synthetic city into `options.out` (DESIGN section 10): daily drops per feed, the register, the
 * recipients, the harm weights and truth.json. Day by day, so memory holds only the rows still waiting for
 * their drop day (late records, later corrections), never the whole period.
 */
export async function generateCity(options: GenerateOptions): Promise<GenerateSummary> {
  const started = performance.now()
  validate(options)
  const { scale, years, seed, out, pingDays = PINGS.defaultDays } = options
  const params = SCALES[scale]
  const timeline = timelineOf(options.endDate ?? DEFAULT_END_DATE, years)
  await prepareOut(out, options.overwrite ?? false)

  const weightsText = await readFile(DEFAULT_WEIGHTS_FILE, 'utf8')
  const weights = new Map(
    parseWeights(weightsText, DEFAULT_WEIGHTS_FILE)
      .weights.filter((w) => w.offence_code === null)
      .map((w) => [w.crime_type as string, w.days]),
  )
  const city = buildCity(seed, params.incidentsPerDay, weights)
  const pingsFrom = timeline.endDay - pingDays + 1
  const pings = new PatrolPings(city.hotspots)
  const trialId = `TRIAL-${formatDay(timeline.holdFrom)}`

  await writeFile(
    path.join(out, 'register.geojson'),
    `${JSON.stringify(registerOf(city, timeline), null, 2)}\n`,
  )
  await writeFile(path.join(out, 'recipients.json'), `${JSON.stringify(recipientsOf(city), null, 2)}\n`)
  await copyFile(DEFAULT_WEIGHTS_FILE, path.join(out, 'weights.csv'))
  await writeFile(path.join(out, 'population.csv'), populationCsv())
  for (const feed of FEED_NAMES) await mkdir(path.join(out, 'drops', feed), { recursive: true })

  const sink = new FileSink()
  const counts = Object.fromEntries(
    FEED_NAMES.map((feed) => [
      feed,
      {
        files: 0,
        rows: 0,
        records: 0,
        bad_rows: 0,
        duplicate_rows: 0,
        superseded_rows: 0,
        late_rows: 0,
        correction_rows: 0,
        update_rows: 0,
      } satisfies FeedCounts,
    ]),
  ) as Record<FeedName, FeedCounts>
  const badRows: BadRowTruth[] = []
  const duplicates: DuplicateTruth[] = []
  const superseded: SupersededTruth[] = []
  const corrections: CorrectionTruth[] = []
  const lateLags: Record<'incidents' | 'calls' | 'arrests', Record<number, number>> = {
    incidents: {},
    calls: {},
    arrests: {},
  }
  const allocationDays = { assigned: 0, unassigned: 0 }
  const planted = Object.fromEntries(FEED_NAMES.map((f) => [f, 0])) as Record<FeedName, number>

  const buckets = Object.fromEntries(FEED_NAMES.map((f) => [f, new Map<number, PendingRow[]>()])) as Record<
    FeedName,
    Map<number, PendingRow[]>
  >
  let seq = 0
  const push = (feed: FeedName, dropDay: number, sort: number, values: Values): boolean => {
    if (dropDay > timeline.endDay) return false
    let rows = buckets[feed].get(dropDay)
    if (!rows) {
      rows = []
      buckets[feed].set(dropDay, rows)
    }
    rows.push({ sort, seq: seq++, values })
    return true
  }
  const counters = Object.fromEntries(FEED_NAMES.map((f) => [f, 0])) as Record<FeedName, number>
  const PREFIX: Record<FeedName, string> = {
    incidents: 'INC-',
    calls: 'CAD-',
    stop_searches: 'SS-',
    arrests: 'ARR-',
    patrol_visits: 'PV-',
    patrol_allocations: '',
    survey_responses: 'SMS-',
    tips: 'TIP-',
    patrol_pings: 'TRK-',
  }
  const nextId = (feed: FeedName) => `${PREFIX[feed]}${pad(++counters[feed], 8)}`

  const lateLag = (random: Random, feed: 'incidents' | 'calls' | 'arrests'): number => {
    if (!random.chance(LATENESS[feed])) return 0
    return Math.min(random.geometric(LATENESS.meanLagDays), LATENESS.maxLagDays)
  }
  /** Pushes a row that may arrive late; counts it as late when it lands after its own day. */
  const pushMaybeLate = (
    feed: 'incidents' | 'calls' | 'arrests',
    random: Random,
    ownDay: number,
    sort: number,
    values: Values,
  ): number | undefined => {
    if (ownDay > timeline.endDay) return undefined
    const dropDay = Math.min(ownDay + lateLag(random, feed), timeline.endDay)
    if (!push(feed, dropDay, sort, values)) return undefined
    counts[feed].records++
    if (dropDay > ownDay) {
      counts[feed].late_rows++
      const lag = dropDay - ownDay
      lateLags[feed][lag] = (lateLags[feed][lag] ?? 0) + 1
    }
    return dropDay
  }

  const hourOf = Object.fromEntries(
    Object.entries(HOUR_PROFILES).map(([name, weights]) => [
      name,
      new Categorical(
        weights.map((_, h) => h),
        weights,
      ),
    ]),
  ) as Record<keyof typeof HOUR_PROFILES, Categorical<number>>
  const cat = <T extends string>(entries: Record<T, number>) => Categorical.of(entries)
  const outcomes = cat(OUTCOMES)
  const subcategories = Object.fromEntries(
    Object.entries(SUBCATEGORIES).map(([type, entries]) => [type, cat(entries as Record<string, number>)]),
  ) as Record<string, Categorical<string>>
  const otherCalls = cat(OTHER_CALLS)
  const grades = {
    urgent: cat(CALL_GRADES.urgent),
    crime: cat(CALL_GRADES.crime),
    other: cat(CALL_GRADES.other),
  }
  const officers = cat(VISITS.officers)
  const ethnicities = cat(ETHNICITY_GROUPS)
  const ageBands = cat(AGE_BANDS)
  const ss = {
    type: cat(STOP_SEARCH.type),
    gender: cat(STOP_SEARCH.gender),
    age: cat(STOP_SEARCH.age),
    ethnicity: cat(STOP_SEARCH.officerEthnicity),
    object: cat(STOP_SEARCH.object),
    afterFind: cat(STOP_SEARCH.outcomeAfterFind),
    withoutFind: cat(STOP_SEARCH.outcomeWithoutFind),
  }
  const tipSource = cat(TIPS.source)
  const tipCategory = cat(TIPS.category)
  const tipOutcome = cat(TIPS.actionedOutcome)
  const satisfiedAnswer = new Categorical(['1', '2', '3'], [0.3, 0.45, 0.25])
  const dissatisfiedAnswer = new Categorical(['4', '5', '6', '7'], [0.3, 0.25, 0.25, 0.2])

  const latLon = (easting: number, northing: number) => {
    const { lat, lon } = toWgs84(easting + 0.5, northing + 0.5)
    return { lat: lat.toFixed(6), lon: lon.toFixed(6) }
  }
  const pointIn = (random: Random, rect: Rect) => ({
    easting: random.int(rect.west, rect.east - 1),
    northing: random.int(rect.south, rect.north - 1),
  })
  const cellPoint = (random: Random, cell: number) => ({
    easting: cellWest(cell) + random.int(0, CELL_M - 1),
    northing: cellSouth(cell) + random.int(0, CELL_M - 1),
  })
  const dayFactorOf = (day: number) =>
    (WEEKLY[weekday(day)] as number) *
    (1 + ANNUAL.amplitude * Math.cos((2 * Math.PI * (dayOfYear(day) - ANNUAL.peakDayOfYear)) / 365.25))

  // ---- one day's incidents and what follows from them: calls, arrests, surveys, corrections
  const generateIncidents = (day: number, random: Random, keepIn: (hotspot: Hotspot) => number) => {
    const n = random.poisson(city.incidentsPerDay * dayFactorOf(day))
    for (let k = 0; k < n; k++) {
      const cell = city.cellAlias.draw(random)
      const centre = city.centreShare[cell] as number
      const mix =
        centre < 0 ? city.mixes.hot : random.next() < centre ? city.mixes.centre : city.mixes.residential
      const type = mix.draw(random)
      const { easting, northing } = cellPoint(random, cell)
      // the programme: thinning inside hotspots (by phase and patrol) and in their buffers (diffusion)
      const inHotspot = city.hotspotOfCell[cell] as number
      const nearHotspot = city.nearHotspotOfCell[cell] as number
      let keep = 1
      if (inHotspot > 0) keep = keepIn(city.hotspots[inHotspot - 1] as Hotspot)
      else if (nearHotspot > 0 && day >= timeline.clearFrom) {
        const hotspot = city.hotspots[nearHotspot - 1] as Hotspot
        if (distanceToRect(easting, northing, hotspot.rect) <= CITY_PARAMETERS.bufferM)
          keep = 1 - PROGRAMME.diffusionBuffer
      }
      if (keep < 1 && random.next() >= keep) continue
      incidentDetails(day, random, type, cell, easting, northing)
    }
  }

  const incidentDetails = (
    day: number,
    random: Random,
    type: CrimeType,
    cell: number,
    easting: number,
    northing: number,
  ) => {
    const minute =
      (hourOf[HOUR_PROFILE_OF[type]] as Categorical<number>).draw(random) * 60 + random.uniform(0, 60)
    const occurredAt = londonToUtc(day, minute)
    const policeInitiated = random.chance(POLICE_INITIATED[type] ?? 0)
    const delayMinutes = policeInitiated
      ? random.uniform(5, 60)
      : Math.min(random.exponential(REPORT_DELAY_MINUTES[type]), 14 * 1440)
    const reportedAt = occurredAt + delayMinutes * MINUTE_MS
    const reportDay = londonDayNumber(reportedAt)
    if (reportDay > timeline.endDay) return
    const subcategory = subcategories[type]?.draw(random) ?? ''
    const weapon = WEAPONS[subcategory] ?? WEAPONS[type]
    let weaponFlag = 'none'
    if (weapon) {
      const u = random.next()
      weaponFlag = u < weapon.knife ? 'knife' : u < weapon.knife + weapon.firearm ? 'firearm' : 'none'
    }
    const domestic = random.chance(DOMESTIC[subcategory] ?? DOMESTIC[type] ?? 0)
    const outcome = type === 'Anti-social behaviour' ? '' : outcomes.draw(random)
    const noLocation = !policeInitiated && random.chance(PLANTED.noLocationShare)
    const id = nextId('incidents')
    const values: Values = {
      incident_id: id,
      reported_at: isoUtc(reportedAt),
      occurred_at: isoUtc(occurredAt),
      period_precision: 'exact',
      crime_type: type,
      subcategory,
      outcome,
      status: outcome === '' ? '' : OPEN_OUTCOMES.has(outcome) ? 'open' : 'closed',
      weapon_flag: weaponFlag,
      domestic: String(domestic),
      police_initiated: String(policeInitiated),
      location_description: noLocation ? 'No Location' : `On or near ${city.streetOfCell(cell)}`,
      easting: noLocation ? '' : String(easting),
      northing: noLocation ? '' : String(northing),
    }
    const dropDay = pushMaybeLate('incidents', random, reportDay, reportedAt, values)
    if (dropDay === undefined) return

    // a later drop re-sends a few records with a changed outcome or crime type
    let correction: { field: 'crime_type' | 'outcome'; to: string } | undefined
    if (outcome === 'Under investigation' && random.chance(CORRECTIONS.outcomeUpdateShare))
      correction = { field: 'outcome', to: random.pick(LATER_OUTCOMES) }
    else if (RECLASSIFICATIONS[type] && random.chance(CORRECTIONS.reclassificationShare))
      correction = { field: 'crime_type', to: RECLASSIFICATIONS[type] as string }
    if (correction) {
      const correctionDay = dropDay + random.int(...CORRECTIONS.lagDays)
      const corrected: Values = { ...values, [correction.field]: correction.to }
      if (correction.field === 'crime_type') {
        corrected.subcategory = ''
        corrected.weapon_flag = 'none'
      } else corrected.status = OPEN_OUTCOMES.has(correction.to) ? 'open' : 'closed'
      if (push('incidents', correctionDay, reportedAt, corrected)) {
        counts.incidents.correction_rows++
        corrections.push({
          incident_id: id,
          first_drop_date: formatDay(dropDay),
          correction_drop_date: formatDay(correctionDay),
          field: correction.field,
          from: values[correction.field] as string,
          to: correction.to,
        })
      }
    }

    const placed = noLocation
      ? { easting: cellWest(cell) + CELL_M / 2, northing: cellSouth(cell) + CELL_M / 2 }
      : { easting, northing }
    if (!policeInitiated && random.chance(CALL_RATE[type])) {
      const receivedAt = Math.max(occurredAt, reportedAt - random.uniform(0.5, 10) * MINUTE_MS)
      const jitter = latLon(placed.easting + random.int(-30, 30), placed.northing + random.int(-30, 30))
      const grade = (URGENT_TYPES.has(type) ? grades.urgent : grades.crime).draw(random)
      pushMaybeLate('calls', random, londonDayNumber(receivedAt), receivedAt, {
        call_id: nextId('calls'),
        received_at: isoUtc(receivedAt),
        category: CALL_CATEGORY[type],
        grade,
        linked_incident_id: id,
        ...jitter,
      })
    }
    if (random.chance(ARREST_RATE[type])) {
      const arrestedAt = policeInitiated
        ? occurredAt + random.uniform(2, 30) * MINUTE_MS
        : reportedAt + Math.min(random.exponential(18 * 60), 30 * 1440) * MINUTE_MS
      const located = random.chance(0.6)
      pushMaybeLate('arrests', random, londonDayNumber(arrestedAt), arrestedAt, {
        arrest_id: nextId('arrests'),
        arrested_at: isoUtc(arrestedAt),
        offence_category: ARREST_CATEGORY[type],
        linked_incident_id: id,
        easting: located ? String(placed.easting + random.int(-50, 50)) : '',
        northing: located ? String(placed.northing + random.int(-50, 50)) : '',
      })
    }
    if (SURVEYED_TYPES.has(type) && !policeInitiated && !domestic && random.chance(SURVEY.sentShare)) {
      const [minDelay, maxDelay] = SURVEY.sendDelayHours
      const sentAt = reportedAt + random.uniform(minDelay, maxDelay) * HOUR_MS
      const responded = random.chance(SURVEY.responseRate)
      const respondedAt = responded
        ? sentAt + Math.min(random.exponential(5 * 60), SURVEY.closesAfterHours * 60 - 1) * MINUTE_MS
        : undefined
      const ethnicity = ethnicities.draw(random)
      const age = ageBands.draw(random)
      const values: Values = {
        response_id: nextId('survey_responses'),
        incident_id: id,
        sent_at: isoUtc(sentAt),
        responded_at: respondedAt === undefined ? '' : isoUtc(respondedAt),
        ethnicity_group: ethnicity,
        age_band: age,
        phone_number: `07700 900${pad(random.int(0, 999), 3)}`,
      }
      if (responded) {
        const base = (SATISFACTION_BY_ETHNICITY[ethnicity] ?? 0.68) + (SATISFACTION_AGE_SHIFT[age] ?? 0)
        const common = random.next()
        for (const question of QUESTIONS) {
          const u = random.chance(0.7) ? common : random.next()
          const unanswered = random.chance(SURVEY.unansweredRate)
          const p = Math.min(0.98, Math.max(0.02, base + QUESTION_SHIFT[question]))
          values[question] = unanswered ? '' : (u < p ? satisfiedAnswer : dissatisfiedAnswer).draw(random)
        }
      }
      const closedAt = respondedAt ?? sentAt + SURVEY.closesAfterHours * HOUR_MS
      if (push('survey_responses', londonDayNumber(closedAt), closedAt, values))
        counts.survey_responses.records++
    }
  }

  // ---- calls that are not about a recorded crime
  const generateOtherCalls = (day: number, random: Random) => {
    const n = random.poisson(city.incidentsPerDay * PLANTED.otherCallsPerIncident * dayFactorOf(day))
    for (let k = 0; k < n; k++) {
      const cell = city.cellAlias.draw(random)
      const { easting, northing } = cellPoint(random, cell)
      const receivedAt = londonToUtc(day, (hourOf.mixed.draw(random) + random.next()) * 60)
      pushMaybeLate('calls', random, londonDayNumber(receivedAt), receivedAt, {
        call_id: nextId('calls'),
        received_at: isoUtc(receivedAt),
        category: otherCalls.draw(random),
        grade: grades.other.draw(random),
        linked_incident_id: '',
        ...latLon(easting, northing),
      })
    }
  }

  // ---- stop and search: everywhere in proportion to crime, plus the hotspot patrols' own searches
  const stopSearch = (day: number, random: Random, easting: number, northing: number, operation: boolean) => {
    const searchedAt = londonToUtc(day, (hourOf.night.draw(random) + random.next()) * 60)
    const type = ss.type.draw(random)
    const vehicleOnly = type === 'Vehicle search'
    const ethnicity = ss.ethnicity.draw(random)
    const object = ss.object.draw(random)
    const found = random.chance(STOP_SEARCH.findRate[ethnicity] ?? 0.25)
    const outcome = found ? ss.afterFind.draw(random) : ss.withoutFind.draw(random)
    const located = random.chance(0.97)
    const selfDefined = random.chance(0.12)
      ? 'Other ethnic group - Not stated'
      : random.pick(STOP_SEARCH.selfDefined[ethnicity] ?? [''])
    const values: Values = {
      search_id: nextId('stop_searches'),
      searched_at: isoUtcOffset(searchedAt),
      type,
      gender: vehicleOnly ? '' : ss.gender.draw(random),
      age_range: vehicleOnly ? '' : ss.age.draw(random),
      self_defined_ethnicity: vehicleOnly ? '' : selfDefined,
      officer_defined_ethnicity: vehicleOnly ? '' : ethnicity,
      legislation: STOP_SEARCH.legislation[object] ?? '',
      object_of_search: object,
      outcome,
      outcome_linked: String(found),
      part_of_operation: String(operation),
      operation: operation ? STOP_SEARCH.operation : '',
      ...(located ? latLon(easting, northing) : { lat: '', lon: '' }),
    }
    if (push('stop_searches', londonDayNumber(searchedAt), searchedAt, values)) counts.stop_searches.records++
    if (outcome === 'Arrest') {
      const arrestedAt = searchedAt + random.uniform(2, 20) * MINUTE_MS
      const category =
        object === 'Controlled drugs' || object === 'Evidence of offences under the Act'
          ? 'drug offences'
          : object === 'Stolen goods' || object === 'Article for use in theft'
            ? 'theft'
            : 'possession of weapons'
      pushMaybeLate('arrests', random, londonDayNumber(arrestedAt), arrestedAt, {
        arrest_id: nextId('arrests'),
        arrested_at: isoUtc(arrestedAt),
        offence_category: category,
        linked_incident_id: '',
        easting: String(easting),
        northing: String(northing),
      })
    }
  }

  const generateStopSearches = (day: number, random: Random, phases: Phase[], assigned: Set<number>) => {
    const n = random.poisson(city.incidentsPerDay * STOP_SEARCH.perIncident * dayFactorOf(day))
    for (let k = 0; k < n; k++) {
      const { easting, northing } = cellPoint(random, city.cellAlias.draw(random))
      stopSearch(day, random, easting, northing, false)
    }
    for (const hotspot of city.hotspots) {
      const phase = phases[hotspot.index]
      const mean =
        phase === 'clear'
          ? PLANTED.clearSearchesPerHotspotDay
          : phase === 'hold' && assigned.has(hotspot.index)
            ? STOP_SEARCH.perAssignedHotspotDay
            : 0
      const extra = random.poisson(mean)
      for (let k = 0; k < extra; k++) {
        const { easting, northing } = pointIn(random, hotspot.rect)
        stopSearch(day, random, easting, northing, true)
      }
    }
  }

  // ---- patrol visits (GPS geofence on the hotspots, and manual entries); returns the GPS ones
  const generateVisits = (day: number, random: Random, phases: Phase[], assigned: Set<number>) => {
    const gpsVisits: PlantedVisit[] = []
    for (const hotspot of city.hotspots) {
      const phase = phases[hotspot.index] as Phase
      const isAssigned = assigned.has(hotspot.index)
      let mean: number =
        VISITS.meanPerDay[phase === 'hold' ? (isAssigned ? 'holdAssigned' : 'holdUnassigned') : phase]
      if (isAssigned && random.chance(VISITS.assignedNoShow)) mean = 0
      const n = random.poisson(mean)
      const programmeVisit = phase === 'clear' || phase === 'build' || isAssigned
      for (let k = 0; k < n; k++) {
        const gps = random.chance(VISITS.gpsShare)
        let startMinute = random.uniform(7 * 60, 23.5 * 60)
        let minutes: number
        if (programmeVisit && random.chance(VISITS.compliantShare)) minutes = random.uniform(10, 16)
        else if (!programmeVisit || random.chance(0.5)) minutes = random.uniform(2, 9.9)
        else minutes = random.uniform(16.1, 40)
        if (!gps) {
          startMinute = Math.round(startMinute / 5) * 5
          minutes = Math.max(5, Math.round(minutes / 5) * 5)
        }
        const startedAt = londonToUtc(day, startMinute)
        const values: Values = {
          visit_id: nextId('patrol_visits'),
          hotspot_id: hotspot.id,
          started_at: isoUtc(startedAt),
          ended_at: isoUtc(startedAt + minutes * MINUTE_MS),
          officers: officers.draw(random),
          source: gps ? 'gps' : 'manual',
        }
        push('patrol_visits', day, startedAt, values)
        counts.patrol_visits.records++
        if (gps)
          gpsVisits.push({
            visitId: values.visit_id as string,
            hotspot,
            startedAt: Date.parse(values.started_at as string),
            endedAt: Date.parse(values.ended_at as string),
            officers: Number(values.officers),
          })
      }
    }
    return gpsVisits
  }

  // ---- community tips: received, then actioned (an update in a later drop when not the same day)
  const generateTips = (day: number, random: Random) => {
    const n = random.poisson(params.tipsPerDay)
    for (let k = 0; k < n; k++) {
      const receivedAt = londonToUtc(day, random.uniform(8 * 60, 22 * 60))
      const aboutHotspot = day >= timeline.clearFrom && random.chance(TIPS.hotspotShare)
      const where = aboutHotspot
        ? { hotspot_id: random.pick(city.hotspots).id, lat: '', lon: '' }
        : (() => {
            const { easting, northing } = cellPoint(random, city.cellAlias.draw(random))
            return { hotspot_id: '', ...latLon(easting, northing) }
          })()
      const values: Values = {
        tip_id: nextId('tips'),
        received_at: isoUtc(receivedAt),
        source_type: tipSource.draw(random),
        category: tipCategory.draw(random),
        actioned_at: '',
        outcome: 'pending',
        ...where,
      }
      const actioned = random.chance(TIPS.actionedShare)
      const actionedAt = receivedAt + random.exponential(TIPS.actionDelayMeanHours) * HOUR_MS
      const outcome = tipOutcome.draw(random)
      const actionedDay = londonDayNumber(actionedAt)
      if (actioned && actionedDay === day) {
        values.actioned_at = isoUtc(actionedAt)
        values.outcome = outcome
      }
      push('tips', day, receivedAt, values)
      counts.tips.records++
      if (actioned && actionedDay > day) {
        const update = { ...values, actioned_at: isoUtc(actionedAt), outcome }
        if (push('tips', actionedDay, actionedAt, update)) counts.tips.update_rows++
      }
    }
  }

  // ---- one drop: the day's rows in time order, with the planted duplicates, superseded rows and bad rows
  const flush = async (day: number, random: Random) => {
    const date = formatDay(day)
    let dayRows = 0
    for (const feed of FEED_NAMES) {
      const rows = buckets[feed].get(day) ?? []
      buckets[feed].delete(day)
      if ((feed === 'patrol_allocations' || feed === 'patrol_pings') && rows.length === 0) continue
      rows.sort((a, b) => a.sort - b.sort || a.seq - b.seq)
      const columns = DROP_COLUMNS[feed]
      const entries: Entry[] = rows.map((row) => ({ text: csvLine(columns, row.values) }))
      /** The entry of each row, wherever insertions move it. */
      const entryOf = entries.slice()
      const insertAfter = (from: number, entry: Entry) =>
        entries.splice(random.int(from, entries.length), 0, entry)

      if (feed === 'incidents' || feed === 'calls') {
        for (let i = 0; i < rows.length; i++) {
          const row = rows[i] as PendingRow
          if (random.chance(PLANTED.duplicateRate)) {
            const record = { feed, drop_date: date, key: keyOf(feed, row.values), lines: [] as number[] }
            duplicates.push(record)
            counts[feed].duplicate_rows++
            const original = entryOf[i] as Entry
            original.onLine = (line) => record.lines.push(line)
            insertAfter(entries.indexOf(original) + 1, {
              text: original.text,
              onLine: (line) => record.lines.push(line),
            })
          } else if (feed === 'calls' && random.chance(PLANTED.supersededRate)) {
            const earlier: Values = { ...row.values, grade: row.values.grade === 'E' ? 'S' : 'E' }
            const record = { feed, drop_date: date, key: keyOf(feed, row.values), line: 0, kept_line: 0 }
            superseded.push(record)
            counts[feed].superseded_rows++
            const kept = entryOf[i] as Entry
            kept.onLine = (line) => {
              record.kept_line = line
            }
            entries.splice(random.int(0, entries.indexOf(kept)), 0, {
              text: csvLine(columns, earlier),
              onLine: (line) => {
                record.line = line
              },
            })
          }
        }
      }

      const kinds = BAD_ROWS[feed]
      let bad = rows.length === 0 ? 0 : random.poisson(PLANTED.badRowRate * rows.length)
      // every kind shows up early on, however quiet the feed
      if (rows.length > 0 && planted[feed] < kinds.length) bad = Math.max(bad, 1)
      for (let b = 0; b < bad; b++) {
        const kind = kinds[planted[feed]++ % kinds.length] as (typeof kinds)[number]
        const values: Values = { ...(random.pick(rows) as PendingRow).values }
        // a fresh key, so that no real record is touched (pings: a device id no real device has; allocations:
        // the fault breaks the key itself)
        const [idColumn] = KEY_OF[feed]
        if (idColumn !== undefined && feed !== 'patrol_allocations') values[idColumn] = nextId(feed)
        kind.apply(values)
        const text =
          kind.truncate === undefined
            ? csvLine(columns, values)
            : csvLine(columns, values).split(',').slice(0, kind.truncate).join(',')
        const record: BadRowTruth = {
          feed,
          drop_date: date,
          line: 0,
          kind: kind.kind,
          code: kind.code,
          column: kind.column,
          reason: kind.reason,
        }
        badRows.push(record)
        counts[feed].bad_rows++
        insertAfter(0, {
          text,
          onLine: (line) => {
            record.line = line
          },
        })
      }

      entries.forEach((entry, i) => {
        entry.onLine?.(i + 2)
      })
      const body = entries.map((e) => e.text).join('\n')
      const file = path.join(out, 'drops', feed, `${date}.csv`)
      await sink.write(file, `${columns.join(',')}\n${body}${entries.length > 0 ? '\n' : ''}`)
      counts[feed].files++
      counts[feed].rows += entries.length
      dayRows += entries.length
    }
    return dayRows
  }

  // ---- the days
  let totalRows = 0
  for (let i = 0; i < timeline.days; i++) {
    const day = timeline.startDay + i
    const phases = city.hotspots.map((h) => phaseOn(timeline, h, day))
    const inHold = city.hotspots.filter((h) => phases[h.index] === 'hold')
    const assigned = new Set<number>()
    if (inHold.length > 0) {
      const allocation = new Random(seed, 'allocation', i)
      const k = Math.round(inHold.length * PROGRAMME.assignedShare)
      for (const j of allocation.sample(inHold.length, k)) assigned.add((inHold[j] as Hotspot).index)
      for (const hotspot of inHold) {
        const isAssigned = assigned.has(hotspot.index)
        push('patrol_allocations', day, hotspot.index, {
          hotspot_id: hotspot.id,
          date: formatDay(day),
          assigned: String(isAssigned),
          trial_id: trialId,
        })
        counts.patrol_allocations.records++
        allocationDays[isAssigned ? 'assigned' : 'unassigned']++
      }
    }
    const keepIn = (hotspot: Hotspot) => {
      switch (phases[hotspot.index]) {
        case 'clear':
          return 1 - PROGRAMME.clearReduction
        case 'hold':
          return (
            (1 - PROGRAMME.holdReduction) * (assigned.has(hotspot.index) ? 1 - PROGRAMME.patrolEffectHarm : 1)
          )
        case 'build':
          return 1 - PROGRAMME.buildReduction
        default:
          return 1
      }
    }
    generateIncidents(day, new Random(seed, 'incidents', i), keepIn)
    generateOtherCalls(day, new Random(seed, 'calls', i))
    generateStopSearches(day, new Random(seed, 'stop_searches', i), phases, assigned)
    const gpsVisits = generateVisits(day, new Random(seed, 'patrol_visits', i), phases, assigned)
    if (day >= pingsFrom)
      pings.day(day, new Random(seed, 'patrol_pings', i), gpsVisits, (at, values) => {
        const kept = push('patrol_pings', londonDayNumber(at), at, values)
        if (kept) counts.patrol_pings.records++
        return kept
      })
    generateTips(day, new Random(seed, 'tips', i))
    totalRows += await flush(day, new Random(seed, 'drops', i))
    options.onProgress?.({ day: i + 1, days: timeline.days, date: formatDay(day), rows: totalRows })
  }
  await sink.close()

  const truth = buildTruth({
    scale,
    years,
    seed,
    params,
    timeline,
    city,
    trialId,
    allocationDays,
    counts,
    lateLags,
    badRows,
    duplicates,
    superseded,
    corrections,
    pings: pings.truth(),
  })
  await writeFile(path.join(out, 'truth.json'), `${JSON.stringify(truth, null, 2)}\n`)

  return {
    out,
    scale,
    seed,
    years,
    start_date: formatDay(timeline.startDay),
    end_date: formatDay(timeline.endDay),
    days: timeline.days,
    files: sink.files + OUTPUT_FILES.length,
    bytes: sink.bytes,
    rows: Object.fromEntries(FEED_NAMES.map((f) => [f, counts[f].rows])) as Record<FeedName, number>,
    elapsed_ms: Math.round(performance.now() - started),
  }
}

const OUTPUT_FILES = ['register.geojson', 'recipients.json', 'weights.csv', 'population.csv', 'truth.json']

async function prepareOut(out: string, overwrite: boolean): Promise<void> {
  await mkdir(out, { recursive: true })
  const existing = await readdir(path.join(out, 'drops')).catch(() => [] as string[])
  if (existing.length > 0) {
    if (!overwrite)
      throw new Error(
        `${path.join(out, 'drops')} already holds drops; generate into an empty folder or overwrite`,
      )
    await rm(path.join(out, 'drops'), { recursive: true, force: true })
  }
  for (const name of OUTPUT_FILES) await rm(path.join(out, name), { force: true })
}

/** population.csv: each borough's residents by group (`hotspot load population`). */
function populationCsv(): string {
  const lines = ['area_code,ethnicity_group,residents']
  for (const borough of BOROUGHS) {
    for (const [group, share] of Object.entries(RESIDENT_SHARES))
      lines.push(`${borough},${group},${Math.round(RESIDENTS_PER_BOROUGH * share)}`)
  }
  return `${lines.join('\n')}\n`
}

function registerOf(city: City, timeline: Timeline) {
  return {
    type: 'FeatureCollection',
    features: [
      ...city.hotspots.map((h) => ({
        type: 'Feature',
        properties: {
          hotspot_id: h.id,
          name: h.name,
          borough: h.borough,
          commander_id: h.commanderId,
          phases: phasesOf(timeline, h),
          buffer_m: CITY_PARAMETERS.bufferM,
        },
        geometry: { type: 'Polygon', coordinates: [wgs84Ring(h.rect)] },
      })),
      ...city.controls.map((c) => ({
        type: 'Feature',
        properties: { hotspot_id: c.id, name: c.name, borough: c.borough, role: 'control' },
        geometry: { type: 'Polygon', coordinates: [wgs84Ring(c.rect)] },
      })),
    ],
  }
}

function recipientsOf(city: City) {
  return {
    sender: { name: 'Hotspot pipeline (synthetic city)', email: 'hotspot@example.police.uk' },
    reply_to: 'analysts@example.police.uk',
    commanders: city.commanders.map((c) => ({
      id: c.id,
      name: c.name,
      email: c.email,
      hotspot_ids: c.hotspotIds,
    })),
    funders: [{ name: 'Example Violence Reduction Unit', email: 'funder@example.org' }],
  }
}
