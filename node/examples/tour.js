// tour.js — a quick tour of skv from Node: open a folder, check what earlier tours left,
// then a transaction, a conflict, a range scan, a versioned read, an async commit, a
// checkpoint and the integrity check.
//
//   node tour.js [dbdir]          (default ./skv-tour.db)
//
// `make tour` runs four tours on one database: C (tools/tour.c), Python
// (python/examples/tour.py), this one and Go (go/examples/tour). The tour of language L keeps
// its keys in [L/, L0) and leaves L/apple = green, L/cherry = dark red and L/elderberry =
// purple; tour/red-at/L holds a timestamp at which L/apple was still red, and tour/langs lists
// the languages whose tours ran. Each tour checks what the others left and exits non-zero
// with a message when something differs, so together they check that the packages agree.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const skv = require('skv');

const LANG = 'node';
const LEFT = { apple: 'green', cherry: 'dark red', elderberry: 'purple' };

const say = (...words) => console.log(`${LANG}:`, ...words);

function expect(what, got, want) {
  if (got !== want) {
    const [g, w] = [got, want].map((v) => JSON.stringify(v));
    console.error(`${LANG} tour: ${what} is ${g}, expected ${w}`);
    process.exit(1);
  }
}

const text = (buf) => (buf === undefined ? undefined : buf.toString());

// The entries of [lo, hi) as "key = value" strings.
const entries = (txn, lo, hi) => [...txn.range(lo, hi)].map(([k, v]) => `${k} = ${v}`);

// The tour of `lang` left exactly its three keys, and lang/apple was red back then.
function checkTourOf(txn, lang) {
  const left = entries(txn, `${lang}/`, `${lang}0`);
  say(`  the ${lang} tour left:`, left.join(', '));
  const want = Object.entries(LEFT).map(([k, v]) => `${lang}/${k} = ${v}`);
  expect(`what the ${lang} tour left`, left.join(', '), want.join(', '));
  // 0 when missing: nothing was red then
  const redAt = BigInt(text(txn.get(`tour/red-at/${lang}`)) ?? 0);
  expect(`${lang}/apple as of ${redAt}`, text(txn.getAt(`${lang}/apple`, redAt)), 'red');
  say(`    ${lang}/apple as of ${redAt} -> red`);
}

async function main() {
  const dir = process.argv[2] ?? 'skv-tour.db';
  const db = await skv.open(dir, { enableVersioning: true });
  say('== opened', dir, 'with versioning');

  say('== what the earlier tours wrote');
  let txn = db.begin({ mode: 'readOnly' });
  const langs = (text(txn.get('tour/langs')) ?? '').split(' ').filter(Boolean);
  say('  tour/langs =', langs.join(' ') || '(not found: the first tour here)');
  for (const lang of langs) checkTourOf(txn, lang);
  txn.close();

  say('== clear what an earlier run of this tour left');
  const old = await db.transaction(async (t) => {
    const keys = [...t.range('node/', 'node0', { keysOnly: true })].map(([k]) => k);
    for (const key of keys) t.delete(key);
    return keys.length;
  });
  say(`  deleted ${old} keys`);

  say('== a transaction: set, get, delete, commit');
  txn = db.begin();
  txn.set('node/apple', 'red');
  txn.set('node/banana', 'yellow');
  txn.set('node/cherry', 'dark red');
  expect('node/banana', text(txn.get('node/banana')), 'yellow');
  txn.delete('node/banana');
  await txn.commit();
  const redAt = BigInt(db.property('timestamp')); // the commit's timestamp
  say(`  committed apple = red, cherry = dark red at ${redAt}`);

  say('== a conflict: two transactions write node/apple, the first commit wins');
  const t1 = db.begin();
  const t2 = db.begin();
  t1.set('node/apple', 'green');
  t2.set('node/apple', 'crimson');
  await t1.commit();
  const lost = await t2.commit().then(() => 'committed', (err) => err.code);
  say('  second commit ->', lost);
  expect('the second commit', lost, 'SKV_ECONFLICT');

  say('== a range scan of [node/, node0)');
  txn = db.begin({ mode: 'readOnly' });
  const scanned = entries(txn, 'node/', 'node0');
  for (const entry of scanned) say(' ', entry);
  expect('the scan', scanned.join(', '), 'node/apple = green, node/cherry = dark red');

  say('== a versioned read: node/apple as of the first commit');
  const oldApple = text(txn.getAt('node/apple', redAt));
  say(`  getAt node/apple ${redAt} -> ${oldApple}, now ${text(txn.get('node/apple'))}`);
  expect('node/apple back then', oldApple, 'red');
  txn.close();

  say('== an async commit (await)');
  txn = db.begin();
  txn.set('node/elderberry', 'purple');
  await txn.commit(); // on the engine's commit pipeline; the event loop keeps running
  txn = db.begin({ mode: 'readOnly' });
  expect('node/elderberry', text(txn.get('node/elderberry')), 'purple');
  txn.close();
  say('  committed node/elderberry = purple');

  say('== a note for the next tours');
  if (!langs.includes(LANG)) langs.push(LANG);
  await db.transaction(async (t) => {
    t.set(`tour/red-at/${LANG}`, String(redAt));
    t.set('tour/langs', langs.join(' '));
  });
  say(`  tour/red-at/${LANG} = ${redAt} and tour/langs = ${langs.join(' ')}`);

  say('== a checkpoint next to the database folder');
  const copyDir = `${path.resolve(dir)}-checkpoint`;
  fs.rmSync(copyDir, { recursive: true, force: true });
  await db.checkpoint(copyDir);
  const copy = await skv.open(copyDir, { enableVersioning: true });
  txn = copy.begin({ mode: 'readOnly' });
  expect('node/elderberry in the checkpoint', text(txn.get('node/elderberry')), 'purple');
  txn.close();
  await copy.close();
  say('  checkpoint in', copyDir, 'opens and holds node/elderberry');

  say('== the integrity check');
  const report = await db.check();
  say(' ', report.trimEnd().split('\n').pop());
  await db.close();
  say('tour complete:', dir);
}

main().catch((err) => {
  console.error(`${LANG} tour: ${err.code ?? ''} ${err.stack}`);
  process.exit(1);
});
