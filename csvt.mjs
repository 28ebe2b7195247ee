import { parse } from 'csv-parse'
async function run(name, input, extra={}) {
  const out = []
  const p = parse({ info: true, relax_column_count: true, skip_records_with_error: true, max_record_size: 65536, raw: true, ...extra, on_skip: (e, raw) => out.push(['skip', e.code, e.lines, typeof raw === 'string' ? raw.slice(0,30) : raw]) })
  p.on('data', (r) => out.push([r.info.lines, r.record.map(x=>x.slice(0,10)).join('|'), r.raw?.slice(0,30)]))
  p.on('error', (e) => out.push(['ERR', e.code]))
  const done = new Promise(r => p.on('end', r).on('error', r))
  p.write(input); p.end(); await done
  console.log(name, JSON.stringify(out))
}
await run('quote', 'a,b,c\n1,2,3\n4,"5"x,6\n7,8,9\n10,11,12\n')
await run('unclosed', 'a,b,c\n1,2,3\n"4,5,6\n7,8,9\n10,11,12\n')
await run('big', 'a,b,c\n1,2,3\nx,' + 'y'.repeat(70000) + ',z\n18,19,20\n21,22,23\n')
await run('crlf', 'a,b,c\r\n1,2,3\r\n4,5,6\r\n')
await run('quoted-nl', 'a,b,c\n1,"2\nx",3\n4,5,6\n')
