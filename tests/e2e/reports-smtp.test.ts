import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import type { ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDbLake } from '../../functions/adapters/duckdb-lake.ts'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { runIngestCommand } from '../../functions/cli/ingest-command.ts'
import { runReportCommand } from '../../functions/cli/report-command.ts'
import { runMarts } from '../../functions/core/analytics/run.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { loadReference } from '../../functions/core/reference/load.ts'
import type { Recipients } from '../../functions/core/reference/recipients.ts'
import { ledgerState } from '../../functions/core/reports/delivery.ts'
import { monthBefore, weekBefore } from '../../functions/core/reports/periods.ts'
import { WEEKLY_MARTS } from '../../functions/core/reports/send-reports.ts'
import { copyDemoLake, demoCity } from '../helpers/demo-city.ts'
import { hotspot } from './hotspot-cli.ts'

const { simpleParser } = createRequire(import.meta.url)('mailparser') as typeof import('mailparser')
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

interface Received {
  from: string
  to: string[]
  mail: ParsedMail
}

/** A commander id that climbs out of the outbox if used as a file name as it is. */
const HOSTILE_ID = '../../../escape'

/**
 * A demo run end to end on a copy of the run's shared demo city (generated and ingested once): run the marts, then send the weekly and monthly reports
 * through a real SMTP server on loopback, and read every message back as a mail client would. One commander's
 * id is hostile (a path that climbs out of the outbox): it must stay a plain file name everywhere.
 */
describe('reports delivered over SMTP', () => {
  let root: string
  let city: string
  let lake: string
  let server: SMTPServer
  let smtpUrl: string
  const received: Received[] = []
  let recipients: Recipients
  let areas: { hotspot_id: string; name: string; borough: string; role?: string }[]
  let asOf: string
  const clock = fixedClock('2026-11-16T06:00:00Z')
  const month = monthBefore('2026-11-16')

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'hotspot-smtp-'))
    city = demoCity().city
    // with the presence the nightly runs would have measured over the city's ping period, as npm start makes it
    lake = await copyDemoLake(root, 'presence')
    asOf = demoCity().end
    recipients = JSON.parse(readFileSync(path.join(city, 'recipients.json'), 'utf8'))
    ;(recipients.commanders[0] as { id: string }).id = HOSTILE_ID
    const hostileRecipients = path.join(root, 'recipients.json')
    await writeFile(hostileRecipients, JSON.stringify(recipients))
    areas = JSON.parse(readFileSync(path.join(city, 'register.geojson'), 'utf8')).features.map(
      (f: { properties: (typeof areas)[number] }) => f.properties,
    )
    const store = new FsObjectStore(lake)
    await loadReference(store, 'recipients', hostileRecipients, clock)
    for (const day of [asOf, month.lastDay]) {
      const engine = await DuckDbLake.open(lake)
      await runMarts({ store, engine, clock, asOf: day })
      engine.close()
    }
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, callback) {
        simpleParser(stream, { skipImageLinks: true })
          .then((mail) => {
            received.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              mail,
            })
            callback()
          })
          .catch(callback)
      },
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    smtpUrl = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`
    for (const [report, period] of [
      ['weekly', weekBefore('2026-11-16').id],
      ['monthly', month.id],
    ] as const) {
      const summary = await runReportCommand({
        lake,
        report,
        period,
        outbox: path.join(root, 'outbox'),
        smtp: smtpUrl,
        force: 'Demo City Police',
        clock,
      })
      expect(summary.outcomes.map((o) => o.outcome.state).every((s) => s === 'sent')).toBe(true)
    }
  }, 300_000)

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    if (root) await rm(root, { recursive: true, force: true })
  })

  const weekly = () =>
    received.filter((r) => r.mail.headers.get('x-hotspot-report')?.toString().startsWith('weekly'))
  const monthly = () =>
    received.filter((r) => r.mail.headers.get('x-hotspot-report')?.toString().startsWith('monthly'))

  it('receives one weekly email per commander and one monthly email per funder', () => {
    expect(
      weekly()
        .map((r) => r.to)
        .sort(),
    ).toEqual(recipients.commanders.map((c) => [c.email]).sort())
    expect(monthly().map((r) => r.to)).toEqual(recipients.funders.map((f) => [f.email]))
    for (const { from, mail } of received) {
      expect(from).toBe(recipients.sender.email)
      expect(mail.subject).toMatch(
        /^Hotspot (scorecard: Week 46, 9 to 15 November 2026|policing: monthly report, October 2026)/,
      )
    }
  })

  it('every email has an HTML and a text part, and every cid: image it shows is attached as a valid PNG', () => {
    for (const { mail } of received) {
      expect(mail.html).toBeTruthy()
      expect(mail.text?.length).toBeGreaterThan(200)
      const cids = [...String(mail.html).matchAll(/src="cid:([^"]+)"/g)].map((m) => m[1])
      expect(cids.length).toBeGreaterThan(0)
      for (const cid of cids) {
        const image = mail.attachments.find((a) => a.cid === cid)
        expect(image, cid).toBeDefined()
        expect(image?.contentType).toBe('image/png')
        expect(image?.content.subarray(0, 8).equals(PNG)).toBe(true)
      }
    }
  })

  it('the weekly figures equal the mart: crimes and harm of the week per hotspot, from the CSV attachment', async () => {
    const duck = await DuckDbLake.open(lake)
    const { rows } = await duck.rows(
      `select hotspot_id, crime_count, round(harm, 2) as harm, count_last_year from scorecard_weekly
       where as_of = date '${asOf}' and week_start = date '2026-11-09'`,
    )
    duck.close()
    const mart = new Map(rows.map((r) => [r.hotspot_id, r]))
    for (const { mail, to } of weekly()) {
      const commander = recipients.commanders.find((c) => c.email === to[0])
      const csv = mail.attachments.find((a) => a.contentType === 'text/csv')
      expect(csv, 'the CSV attachment').toBeDefined()
      const table = parse(csv?.content ?? '', { columns: true }) as Record<string, string>[]
      for (const id of commander?.hotspot_ids ?? []) {
        const crimes = table.find(
          (r) => r.hotspot_id === id && r.measure === 'crimes' && r.compared_with === 'same week last year',
        )
        const harm = table.find(
          (r) =>
            r.hotspot_id === id && r.measure === 'harm (days)' && r.compared_with === 'same week last year',
        )
        expect(Number(crimes?.value), `${id} crimes`).toBe(mart.get(id)?.crime_count)
        expect(crimes?.comparison_value === '' ? null : Number(crimes?.comparison_value)).toBe(
          mart.get(id)?.count_last_year ?? null,
        )
        expect(Number(harm?.value), `${id} harm`).toBeCloseTo(Number(mart.get(id)?.harm), 2)
        expect(String(mail.text)).toContain(id)
      }
    }
  })

  it('with GPS pings: each commander reads presence against the target per hotspot, the funder the dose-response', () => {
    for (const { mail } of weekly()) {
      const lines = String(mail.text).match(/GPS presence: [\d,.]+ minutes? over \d measured days?;.*/g) ?? []
      // every hotspot of the commander was measured on every day of the week (the ping period covers it)
      expect(lines.length, String(mail.subject)).toBeGreaterThan(0)
      for (const line of lines) expect(line).toMatch(/over 7 measured days/)
    }
    for (const { mail } of monthly()) {
      expect(String(mail.text)).toContain('Patrol presence and crime')
      expect(String(mail.text)).toMatch(/Crime by patrol presence, October 2026/)
    }
  })

  it("a commander's email holds none of the other commanders' hotspots", () => {
    for (const { mail, to } of weekly()) {
      const mine = new Set(recipients.commanders.find((c) => c.email === to[0])?.hotspot_ids)
      const others = recipients.commanders.flatMap((c) => c.hotspot_ids).filter((id) => !mine.has(id))
      const csv = mail.attachments.find((a) => a.contentType === 'text/csv')?.content.toString() ?? ''
      for (const id of others) {
        for (const [part, text] of [
          ['html', String(mail.html)],
          ['text', String(mail.text)],
          ['csv', csv],
          ['subject', String(mail.subject)],
        ]) {
          expect(new RegExp(`\\b${id}\\b`).test(text as string), `${id} in the ${part} of ${to[0]}`).toBe(
            false,
          )
        }
      }
    }
  })

  it('hotspots are named from the register: with their borough in the scorecard, by name in the funder report', () => {
    const area = new Map(areas.map((a) => [a.hotspot_id, a]))
    for (const { mail, to } of weekly()) {
      for (const id of recipients.commanders.find((c) => c.email === to[0])?.hotspot_ids ?? []) {
        const { name, borough } = area.get(id) ?? { name: '?', borough: '?' }
        // the hotspot's section: its id and name as the title, underlined, then the week and its borough
        const [rule, subtitle] = String(mail.text).split(`\n${id} ${name}\n`)[1]?.split('\n') ?? []
        expect(rule, id).toMatch(/^=+$/)
        expect(subtitle, id).toMatch(/^Week \d+: /)
        expect(subtitle?.endsWith(` \u00b7 ${borough}`), `${id}: ${subtitle}`).toBe(true)
      }
    }
    const [funder] = monthly()
    const hotspots = areas.filter((a) => a.role !== 'control')
    expect(hotspots.length).toBeGreaterThan(0)
    for (const { hotspot_id, name } of hotspots) {
      expect(String(funder?.mail.text)).toContain(`- ${name}: `)
      expect(String(funder?.mail.text)).not.toContain(`- ${hotspot_id}: `)
    }
  })

  it('sends each report exactly once: a second run of the same period finds every email sent and mails nothing', async () => {
    const before = received.length
    for (const [report, period] of [
      ['weekly', weekBefore('2026-11-16').id],
      ['monthly', month.id],
    ] as const) {
      const summary = await runReportCommand({
        lake,
        report,
        period,
        outbox: path.join(root, 'outbox'),
        smtp: smtpUrl,
        force: 'Demo City Police',
        clock,
      })
      expect(summary.outcomes.length).toBeGreaterThan(0)
      expect(summary.outcomes.map((o) => o.outcome.state)).toEqual(summary.outcomes.map(() => 'already-sent'))
    }
    // a message in flight would have been received by now: the server answers before the client returns
    expect(received.length).toBe(before)
  }, 120_000)

  it('the funder report shows no count from 1 to 9, in the body or the CSV', () => {
    const [funder] = monthly()
    expect(funder).toBeDefined()
    const csv = funder?.mail.attachments.find((a) => a.contentType === 'text/csv')
    const cells = parse(csv?.content ?? '', { columns: true }) as Record<string, string>[]
    const counts = cells.filter((c) => c.kind === 'count')
    expect(counts.length).toBeGreaterThan(10)
    for (const cell of counts) {
      expect(
        ['<10', 'withheld'].includes(cell.value as string) ||
          Number(cell.value) === 0 ||
          Number(cell.value) >= 10,
        JSON.stringify(cell),
      ).toBe(true)
    }
    // the visible text: no standalone 1-9 once dates, identifiers, decimals and percentages are removed
    const visible = String(funder?.mail.text)
      .replace(/\b\d{4}-\d{2}(-\d{2})?\b/g, ' ')
      .replace(/\b[A-Z]+-\d+\b/g, ' ')
      .replace(
        /\d+\.\d+|\d+%|\d+ (January|February|March|April|May|June|July|August|September|October|November|December)\b/g,
        ' ',
      )
      .replace(/\b(19|20)\d{2}\b/g, ' ')
      .replace(/\b\d+(st|nd|rd|th)\b/g, ' ')
    expect(visible.match(/(?<![\d.,<])\b[1-9]\b(?![\d.,%])/g) ?? []).toEqual([])
  })

  it('writes the HTML preview of a hostile commander id under the outbox, by the same safe key as the .eml', () => {
    const outbox = path.join(root, 'outbox')
    expect(existsSync(path.join(root, 'escape.html'))).toBe(false)
    expect(
      existsSync(path.join(outbox, 'weekly', '2026-W46', '%2E%2E%2F%2E%2E%2F%2E%2E%2Fescape.html')),
    ).toBe(true)
  })

  it('refuses to report on a week that has not ended in London, even when results as of its Sunday exist', async () => {
    // 23:30 GMT on Sunday 15 November 2026: the week ends half an hour later
    await expect(
      runReportCommand({
        lake,
        report: 'weekly',
        period: '2026-W46',
        outbox: path.join(root, 'outbox'),
        smtp: smtpUrl,
        force: 'Demo City Police',
        clock: fixedClock('2026-11-15T23:30:00Z'),
      }),
    ).rejects.toThrow(/2026-W46 has not ended/)
  })

  it('figures changed since the week was sent: the report fails on stderr; --resend sends the new figures, logged, both versions archived', async () => {
    // late incidents of 15 November: new records in the week already sent, then the weekly marts again
    const drop = (await readFile(path.join(city, 'drops', 'incidents', '2026-11-15.csv'), 'utf8')).split('\n')
    const late = path.join(root, 'late')
    await mkdir(late, { recursive: true })
    await writeFile(
      path.join(late, '2026-11-15.csv'),
      [drop[0], ...drop.slice(1).map((line) => line.replace(/^([^,]+)/, '$1-LATE'))].join('\n'),
    )
    const ingested = await runIngestCommand([late], { lake, feed: 'incidents', clock })
    expect(ingested.failures).toEqual([])
    const engine = await DuckDbLake.open(lake)
    await runMarts({
      store: new FsObjectStore(lake),
      engine,
      clock: fixedClock('2026-11-16T06:30:00Z'),
      asOf,
      marts: WEEKLY_MARTS,
    })
    engine.close()

    const before = received.length
    const args = ['report', 'weekly', '--lake', lake, '--period', '2026-W46', '--smtp', smtpUrl]
    const refused = await hotspot(...args, '--outbox', path.join(root, 'outbox'))
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/changed since sent/)
    expect(received.length).toBe(before)
    const changed = refused.stdout
      .split('\n')
      .filter((line) => line.includes('changed-since-sent'))
      .map((line) => line.trim().split(/\s+/)[1])
    expect(changed.length).toBeGreaterThan(0)

    const resent = await hotspot(
      ...args,
      '--outbox',
      path.join(root, 'outbox'),
      '--resend',
      'late drop of 15 November',
    )
    expect(resent.stderr).toBe('')
    expect(resent.code).toBe(0)
    const again = received.slice(before)
    expect(again.map((r) => r.mail.headers.get('x-hotspot-recipient')).sort()).toEqual(
      changed.map((key) => key?.replace(/\.\.\//g, '%2E%2E%2F')).sort(),
    )
    const store = new FsObjectStore(lake)
    for (const { mail } of again) {
      const key = String(mail.headers.get('x-hotspot-recipient'))
      const entry = await ledgerState(store, 'weekly', '2026-W46', decodeURIComponent(key))
      expect(entry).toMatchObject({
        state: 'sent',
        message_id: mail.messageId,
        archive_key: `archive/weekly/2026-W46/resends/${key}.1.eml`,
        resends: [{ resend: 1, reason: 'late drop of 15 November', replaced: { state: 'sent' } }],
      })
      const [record] = entry?.resends ?? []
      expect(record?.requested_by).toBeTruthy()
      expect(record?.replaced.message_id).not.toBe(mail.messageId)
      // the archive keeps both versions, the first untouched
      expect(await store.exists(`archive/weekly/2026-W46/${key}.eml`)).toBe(true)
      expect(await store.exists(`archive/weekly/2026-W46/resends/${key}.1.eml`)).toBe(true)
    }
    // nothing else went out: only those whose figures changed got the new ones
    expect(received.length).toBe(before + again.length)
  }, 300_000)

  it('refuses results from a run that started before the week ended (as of its Sunday, made on the Sunday)', async () => {
    // week 45 ends at the end of Sunday 8 November: a run as of that day, made that evening, saw part of it
    const engine = await DuckDbLake.open(lake)
    await runMarts({
      store: new FsObjectStore(lake),
      engine,
      clock: fixedClock('2026-11-08T20:00:00Z'),
      asOf: '2026-11-08',
      marts: WEEKLY_MARTS,
    })
    engine.close()
    await expect(
      runReportCommand({
        lake,
        report: 'weekly',
        period: '2026-W45',
        outbox: path.join(root, 'outbox'),
        smtp: smtpUrl,
        force: 'Demo City Police',
        clock,
      }),
    ).rejects.toThrow(/started at 2026-11-08T20:00:00.000Z, before weekly 2026-W45 ended/)
    const ledger: string[] = []
    for await (const { key } of new FsObjectStore(lake).list('ledger/weekly/2026-W45/')) ledger.push(key)
    expect(ledger).toEqual([])
  }, 120_000)
})
