import type { CRIME_TYPES } from '../contracts/feeds.ts'

/** The planted vocabulary and rates of the synthetic city (all listed in truth.json). */

export type CrimeType = (typeof CRIME_TYPES)[number]

type Mix = Record<CrimeType, number>

/** Crime mix of a residential cell, a town-centre cell and a micro hot spot (night-time economy). */
export const CRIME_MIX: Record<'residential' | 'centre' | 'hot', Mix> = {
  residential: {
    'Anti-social behaviour': 0.18,
    'Violence and sexual offences': 0.22,
    'Other theft': 0.09,
    'Theft from the person': 0.02,
    'Vehicle crime': 0.12,
    Burglary: 0.1,
    Shoplifting: 0.05,
    'Criminal damage and arson': 0.07,
    'Public order': 0.04,
    Robbery: 0.02,
    Drugs: 0.03,
    'Bicycle theft': 0.03,
    'Possession of weapons': 0.005,
    'Other crime': 0.025,
  },
  centre: {
    'Anti-social behaviour': 0.16,
    'Violence and sexual offences': 0.25,
    'Other theft': 0.13,
    'Theft from the person': 0.08,
    'Vehicle crime': 0.05,
    Burglary: 0.04,
    Shoplifting: 0.08,
    'Criminal damage and arson': 0.04,
    'Public order': 0.05,
    Robbery: 0.035,
    Drugs: 0.04,
    'Bicycle theft': 0.025,
    'Possession of weapons': 0.008,
    'Other crime': 0.012,
  },
  hot: {
    'Anti-social behaviour': 0.14,
    'Violence and sexual offences': 0.32,
    'Other theft': 0.1,
    'Theft from the person': 0.08,
    'Vehicle crime': 0.02,
    Burglary: 0.02,
    Shoplifting: 0.06,
    'Criminal damage and arson': 0.03,
    'Public order': 0.07,
    Robbery: 0.065,
    Drugs: 0.06,
    'Bicycle theft': 0.015,
    'Possession of weapons': 0.015,
    'Other crime': 0.005,
  },
}

/** Share of each type found by the police rather than reported (counted, no harm: CCHI rule). */
export const POLICE_INITIATED: Partial<Record<CrimeType, number>> = {
  Drugs: 0.9,
  'Possession of weapons': 0.8,
  'Public order': 0.05,
  'Other crime': 0.05,
}

export const SUBCATEGORIES: Partial<Record<CrimeType, Record<string, number>>> = {
  'Violence and sexual offences': {
    'Violence with injury': 0.36,
    'Violence without injury': 0.4,
    'Stalking and harassment': 0.17,
    'Sexual offences': 0.07,
  },
  Burglary: { 'Residential burglary': 0.7, 'Business and community burglary': 0.3 },
  'Criminal damage and arson': { 'Criminal damage': 0.95, Arson: 0.05 },
}

/** weapon_flag: P(knife), P(firearm) by type (and subcategory for violence); `none` otherwise. */
export const WEAPONS: Record<string, { knife: number; firearm: number }> = {
  'Violence with injury': { knife: 0.08, firearm: 0.004 },
  'Violence without injury': { knife: 0.02, firearm: 0.002 },
  Robbery: { knife: 0.22, firearm: 0.02 },
  'Possession of weapons': { knife: 0.8, firearm: 0.08 },
}

export const DOMESTIC: Record<string, number> = {
  'Violence with injury': 0.3,
  'Violence without injury': 0.3,
  'Stalking and harassment': 0.45,
  'Sexual offences': 0.2,
  'Criminal damage and arson': 0.1,
}

/** Last outcome categories (data.police.uk wording) with their shares; ASB has none. */
export const OUTCOMES: Record<string, number> = {
  'Investigation complete; no suspect identified': 0.43,
  'Unable to prosecute suspect': 0.2,
  'Under investigation': 0.16,
  'Awaiting court outcome': 0.05,
  'Local resolution': 0.04,
  'Offender given a caution': 0.03,
  'Court result unavailable': 0.03,
  'Further investigation is not in the public interest': 0.03,
  'Formal action is not in the public interest': 0.03,
}
export const OPEN_OUTCOMES = new Set(['Under investigation', 'Awaiting court outcome'])
/** Outcomes that an 'Under investigation' record is later corrected to. */
export const LATER_OUTCOMES = [
  'Investigation complete; no suspect identified',
  'Unable to prosecute suspect',
  'Awaiting court outcome',
  'Offender given a caution',
]
/** Reclassifications planted as corrections (crime_type changed in a later drop). */
export const RECLASSIFICATIONS: Partial<Record<CrimeType, CrimeType>> = {
  'Theft from the person': 'Robbery',
  'Other theft': 'Burglary',
  'Violence and sexual offences': 'Public order',
  'Criminal damage and arson': 'Public order',
  'Public order': 'Violence and sexual offences',
  Robbery: 'Theft from the person',
}

/** Hour-of-day profiles (local time), relative weights. */
const NIGHT = [7, 6, 4.5, 3, 2, 1.2, 1, 1, 1.5, 2, 2.5, 3, 3.5, 3.5, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5, 7.5]
const DAY = [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 3, 4, 5, 5.5, 6, 6, 6, 6, 6, 6, 5, 4, 3, 2.5, 2, 1.5]
const MIXED = [2, 1.5, 1.2, 1, 1, 1, 1.5, 2.5, 3.5, 4, 4, 4, 4, 4, 4, 4.5, 5, 5.5, 5.5, 5, 4.5, 4, 3.5, 2.5]
export const HOUR_PROFILES = { night: NIGHT, day: DAY, mixed: MIXED }
export const HOUR_PROFILE_OF: Record<CrimeType, keyof typeof HOUR_PROFILES> = {
  'Anti-social behaviour': 'night',
  'Violence and sexual offences': 'night',
  'Public order': 'night',
  Robbery: 'night',
  'Theft from the person': 'mixed',
  'Criminal damage and arson': 'night',
  Drugs: 'night',
  'Possession of weapons': 'night',
  Shoplifting: 'day',
  'Other theft': 'day',
  'Bicycle theft': 'day',
  'Other crime': 'day',
  Burglary: 'mixed',
  'Vehicle crime': 'mixed',
}

/** Mean minutes between occurrence and report (exponential), by type: discovered crimes take longer. */
export const REPORT_DELAY_MINUTES: Record<CrimeType, number> = {
  'Anti-social behaviour': 20,
  'Violence and sexual offences': 60,
  'Public order': 30,
  Robbery: 30,
  'Theft from the person': 90,
  'Criminal damage and arson': 240,
  Drugs: 30,
  'Possession of weapons': 30,
  Shoplifting: 60,
  'Other theft': 240,
  'Bicycle theft': 300,
  'Other crime': 1440,
  Burglary: 480,
  'Vehicle crime': 480,
}

/** Weekly shape (Monday first) and annual shape (summer peak), shared by every area. */
export const WEEKLY = [0.92, 0.93, 0.96, 1.0, 1.1, 1.12, 0.97]
export const ANNUAL = { amplitude: 0.1, peakDayOfYear: 190 }

/** Probability an incident leads to a 999/101 call (linked_incident_id), and the call's category. */
export const CALL_RATE: Record<CrimeType, number> = {
  'Anti-social behaviour': 0.75,
  'Violence and sexual offences': 0.6,
  'Public order': 0.55,
  Robbery: 0.7,
  'Theft from the person': 0.45,
  'Criminal damage and arson': 0.45,
  Drugs: 0.2,
  'Possession of weapons': 0.3,
  Shoplifting: 0.4,
  'Other theft': 0.35,
  'Bicycle theft': 0.25,
  'Other crime': 0.2,
  Burglary: 0.7,
  'Vehicle crime': 0.35,
}
export const CALL_CATEGORY: Record<CrimeType, string> = {
  'Anti-social behaviour': 'anti-social behaviour',
  'Violence and sexual offences': 'violence',
  'Public order': 'public order',
  Robbery: 'robbery',
  'Theft from the person': 'theft',
  'Criminal damage and arson': 'criminal damage',
  Drugs: 'drugs',
  'Possession of weapons': 'weapons',
  Shoplifting: 'shoplifting',
  'Other theft': 'theft',
  'Bicycle theft': 'theft',
  'Other crime': 'other crime',
  Burglary: 'burglary',
  'Vehicle crime': 'vehicle crime',
}
/** Calls that are not about a recorded crime. */
export const OTHER_CALLS: Record<string, number> = {
  'suspicious circumstances': 0.25,
  'concern for welfare': 0.2,
  'road traffic': 0.15,
  'noise nuisance': 0.1,
  'alarm activation': 0.08,
  'domestic incident': 0.1,
  'lost or found property': 0.05,
  'abandoned call': 0.07,
}
/** Call grades (I immediate, S significant, E extended, R resolution) for urgent crimes, other crimes, other calls. */
export const CALL_GRADES = {
  urgent: { I: 0.35, S: 0.4, E: 0.2, R: 0.05 },
  crime: { I: 0.05, S: 0.3, E: 0.45, R: 0.2 },
  other: { I: 0.03, S: 0.17, E: 0.5, R: 0.3 },
}
export const URGENT_TYPES = new Set<CrimeType>([
  'Violence and sexual offences',
  'Robbery',
  'Possession of weapons',
  'Burglary',
])

/** Arrest probability per incident (linked arrests). */
export const ARREST_RATE: Record<CrimeType, number> = {
  'Anti-social behaviour': 0.01,
  'Violence and sexual offences': 0.12,
  'Public order': 0.15,
  Robbery: 0.08,
  'Theft from the person': 0.02,
  'Criminal damage and arson': 0.05,
  Drugs: 0.35,
  'Possession of weapons': 0.6,
  Shoplifting: 0.2,
  'Other theft': 0.02,
  'Bicycle theft': 0.02,
  'Other crime': 0.08,
  Burglary: 0.06,
  'Vehicle crime': 0.03,
}
export const ARREST_CATEGORY: Record<CrimeType, string> = {
  'Anti-social behaviour': 'public order',
  'Violence and sexual offences': 'violence against the person',
  'Public order': 'public order',
  Robbery: 'robbery',
  'Theft from the person': 'theft',
  'Criminal damage and arson': 'criminal damage',
  Drugs: 'drug offences',
  'Possession of weapons': 'possession of weapons',
  Shoplifting: 'theft',
  'Other theft': 'theft',
  'Bicycle theft': 'theft',
  'Other crime': 'other',
  Burglary: 'burglary',
  'Vehicle crime': 'vehicle offences',
}

/** Victim crimes an SMS survey may follow (never ASB, police-initiated or domestic records). */
export const SURVEYED_TYPES = new Set<CrimeType>([
  'Violence and sexual offences',
  'Burglary',
  'Robbery',
  'Theft from the person',
  'Other theft',
  'Vehicle crime',
  'Bicycle theft',
  'Criminal damage and arson',
  'Public order',
])

export const ETHNICITY_GROUPS: Record<string, number> = {
  White: 0.5,
  Asian: 0.2,
  Black: 0.15,
  Mixed: 0.06,
  Other: 0.05,
  '': 0.04,
}
/**
 * The city's residents (population.csv): the same number in each borough, split across the five groups in the
 * shares of ETHNICITY_GROUPS (victims are residents; those who did not state a group are left out and the rest
 * scaled up). Stop and search draws its groups from STOP_SEARCH.officerEthnicity, so the planted rate ratio of a
 * group against White is (its search share / its resident share) / (White's search share / White's resident share).
 */
export const RESIDENTS_PER_BOROUGH = 60_000

const STATED_GROUPS = Object.entries(ETHNICITY_GROUPS).filter(([group]) => group !== '')
const STATED_SHARE = STATED_GROUPS.reduce((sum, [, share]) => sum + share, 0)

/** Each group's share of the residents. */
export const RESIDENT_SHARES: Record<string, number> = Object.fromEntries(
  STATED_GROUPS.map(([group, share]) => [group, share / STATED_SHARE]),
)

/** The rate ratio against White that the drops plant, group by group (White itself 1). */
export function plantedDisproportionality(): Record<string, number> {
  const searches = STOP_SEARCH.officerEthnicity as Record<string, number>
  const rateOf = (group: string) => (searches[group] ?? 0) / (RESIDENT_SHARES[group] ?? 1)
  return Object.fromEntries(
    Object.keys(RESIDENT_SHARES).map((group) => [group, rateOf(group) / rateOf('White')]),
  )
}

export const AGE_BANDS: Record<string, number> = { '16-24': 0.2, '25-44': 0.4, '45-64': 0.27, '65+': 0.13 }

/** Planted probability that q_overall is 1-3 (satisfied), by ethnicity group; plus an age-band shift. */
export const SATISFACTION_BY_ETHNICITY: Record<string, number> = {
  White: 0.75,
  Asian: 0.68,
  Mixed: 0.64,
  Black: 0.6,
  Other: 0.66,
  '': 0.68,
}
export const SATISFACTION_AGE_SHIFT: Record<string, number> = {
  '16-24': -0.06,
  '25-44': -0.02,
  '45-64': 0.02,
  '65+': 0.06,
}
/** Each question's satisfied probability is q_overall's plus this. */
export const QUESTION_SHIFT = {
  q_ease: 0.08,
  q_actions: -0.06,
  q_informed: -0.12,
  q_treatment: 0.06,
  q_overall: 0,
} as const
export const QUESTIONS = Object.keys(QUESTION_SHIFT) as (keyof typeof QUESTION_SHIFT)[]
export const SURVEY = {
  /** Share of eligible incidents sent a survey. */
  sentShare: 0.45,
  responseRate: 0.3,
  sendDelayHours: [6, 72] as const,
  /** Share of questions left unanswered by a respondent. */
  unansweredRate: 0.05,
  /** A survey closes 72 h after it is sent; the row is exported on the day it closes or is answered. */
  closesAfterHours: 72,
}

export const STOP_SEARCH = {
  type: { 'Person search': 0.85, 'Person and Vehicle search': 0.12, 'Vehicle search': 0.03 },
  gender: { Male: 0.9, Female: 0.09, Other: 0.01 },
  age: { '10-17': 0.15, '18-24': 0.37, '25-34': 0.25, 'over 34': 0.23 },
  officerEthnicity: { White: 0.42, Black: 0.33, Asian: 0.17, Other: 0.06, Mixed: 0.02 },
  /** Self-defined (Census 2021 wording) given the officer-defined group; "Not stated" sometimes. */
  selfDefined: {
    White: ['White - English/Welsh/Scottish/Northern Irish/British', 'White - Any other White background'],
    Black: [
      'Black/African/Caribbean/Black British - African',
      'Black/African/Caribbean/Black British - Caribbean',
    ],
    Asian: [
      'Asian/Asian British - Bangladeshi',
      'Asian/Asian British - Indian',
      'Asian/Asian British - Pakistani',
    ],
    Other: ['Other ethnic group - Any other ethnic group', 'Other ethnic group - Arab'],
    Mixed: [
      'Mixed/Multiple ethnic groups - White and Black Caribbean',
      'Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background',
    ],
  } as Record<string, string[]>,
  object: {
    'Controlled drugs': 0.6,
    'Offensive weapons': 0.15,
    'Stolen goods': 0.12,
    'Article for use in theft': 0.05,
    'Anything to threaten or harm anyone': 0.03,
    'Evidence of offences under the Act': 0.03,
    Firearms: 0.02,
  },
  legislation: {
    'Controlled drugs': 'Misuse of Drugs Act 1971 (section 23)',
    'Offensive weapons': 'Police and Criminal Evidence Act 1984 (section 1)',
    'Stolen goods': 'Police and Criminal Evidence Act 1984 (section 1)',
    'Article for use in theft': 'Police and Criminal Evidence Act 1984 (section 1)',
    'Anything to threaten or harm anyone': 'Criminal Justice and Public Order Act 1994 (section 60)',
    'Evidence of offences under the Act': 'Misuse of Drugs Act 1971 (section 23)',
    Firearms: 'Firearms Act 1968 (section 47)',
  } as Record<string, string>,
  /** Planted find rate (outcome linked to the object of search) by officer-defined ethnicity. */
  findRate: { White: 0.3, Black: 0.22, Asian: 0.26, Other: 0.27, Mixed: 0.25 } as Record<string, number>,
  /** Outcomes after a find / after no find. */
  outcomeAfterFind: {
    Arrest: 0.38,
    'Community resolution': 0.25,
    'Khat or Cannabis warning': 0.17,
    'Penalty Notice for Disorder': 0.08,
    'Summons / charged by post': 0.08,
    'Caution (simple or conditional)': 0.04,
  },
  outcomeWithoutFind: { 'A no further action disposal': 0.93, Arrest: 0.05, 'Community resolution': 0.02 },
  /** Searches per incident, and extra searches per assigned hotspot-day in the hold phase. */
  perIncident: 0.15,
  perAssignedHotspotDay: 0.8,
  operation: 'Operation Clear-Hold-Build',
}

export const TIPS = {
  source: { resident: 0.45, shopkeeper: 0.2, youth_worker: 0.1, school: 0.1, other: 0.15 },
  category: {
    'drug dealing': 0.3,
    'knife seen': 0.1,
    'groups loitering': 0.2,
    'anti-social behaviour': 0.2,
    'suspicious vehicle': 0.1,
    other: 0.1,
  },
  /** Share about a hotspot (by hotspot_id) once the programme has started. */
  hotspotShare: 0.6,
  actionedShare: 0.75,
  actionDelayMeanHours: 30,
  actionedOutcome: { intervention: 0.4, arrest: 0.1, no_action: 0.5 },
}

/** Patrol visits per hotspot-day (Poisson means) and their shape. */
export const VISITS = {
  meanPerDay: { pre: 0.3, clear: 6, holdAssigned: 4.5, holdUnassigned: 0.4, build: 1.5 },
  /** Share of assigned days with no visit at all (non-compliance: the effect is intention-to-treat). */
  assignedNoShow: 0.1,
  /** Share of visits inside the 10-16 minute window, on programme days. */
  compliantShare: 0.78,
  gpsShare: 0.85,
  officers: { '1': 0.25, '2': 0.6, '3': 0.1, '4': 0.05 },
}

export const STREET_NAMES = [
  'High Street',
  'Station Road',
  'Market Place',
  'Church Street',
  'London Road',
  'Victoria Road',
  'Green Lane',
  'Mill Lane',
  'Park Road',
  'Queens Road',
  'Kings Road',
  'New Road',
  'Albert Road',
  'Grove Road',
  'Manor Road',
  'Canal Walk',
  'Bridge Street',
  'Broadway',
  'Castle Street',
  'Union Street',
  'Chapel Road',
  'Cross Street',
  'Elm Grove',
  'Fountain Square',
  'Granary Yard',
  'Harbour Lane',
  'Iron Works Row',
  'Jubilee Walk',
  'Kiln Lane',
  'Lime Street',
  'Mercer Street',
  'North Parade',
  'Old Kent Road',
  'Parade Gardens',
  'Quay Street',
  'Railway Approach',
  'Silk Street',
  'Tanner Street',
  'Upper Street',
  'Vine Street',
  'Weavers Way',
  'York Road',
]
