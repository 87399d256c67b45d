// package.test.js — the package as users get it: `npm pack` holds the C sources and no
// build output, and both the tarball and `npm install <dir>` install (compiling the engine
// and the addon) and work in an empty project, from CommonJS and ESM. Needs the npm registry
// (or npm's cache) for node-addon-api and node-api-headers. SKV_NODE_SKIP_PACK=1 skips it.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { tmpdir } = require('./helpers');

const PKG = path.resolve(__dirname, '..');
const skip = process.env.SKV_NODE_SKIP_PACK === '1' && 'SKV_NODE_SKIP_PACK=1';

const SMOKE = `
const skv = require('skv');
(async () => {
  const db = await skv.open(process.argv[1]);
  await db.transaction((t) => t.set('k', 'v'));
  const esm = await import('skv');
  const v = esm.default.openSync === skv.openSync && db.begin().get('k').toString();
  await db.close();
  console.log('smoke:' + v);
})().catch((e) => { console.error(e); process.exit(1); });
`;

function npm(args, cwd) {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'],
    { cwd, encoding: 'utf8', env: { ...process.env, SKV_BUILD_JOBS: process.env.SKV_BUILD_JOBS || '2' } });
}

function emptyProject(t) {
  const dir = tmpdir(t);
  fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"app","version":"1.0.0","private":true}\n');
  return dir;
}

function smoke(project) {
  return execFileSync(process.execPath, ['-e', SMOKE, path.join(project, 'db')], { cwd: project, encoding: 'utf8' });
}

test('npm pack, then npm install of the tarball in an empty project', { skip, timeout: 600000 }, (t) => {
  const out = tmpdir(t);
  const tgz = npm(['pack', '--pack-destination', out, '--json'], PKG);
  const info = JSON.parse(tgz)[0];
  const files = info.files.map((f) => f.path);
  assert.ok(files.includes('deps/skv/capi/include/skv.h'));
  assert.ok(files.includes('deps/skv/engine/db/db_open.c'));
  assert.ok(files.includes('src/addon.cc') && files.includes('index.d.ts') && files.includes('index.mjs'));
  assert.ok(!files.some((f) => f.startsWith('build/') || f.startsWith('node_modules/') || f.startsWith('test/')));
  assert.ok(!fs.existsSync(path.join(PKG, 'deps')), 'postpack removed the copied sources');

  const project = emptyProject(t);
  npm(['install', path.join(out, info.filename)], project);
  assert.ok(fs.existsSync(path.join(project, 'node_modules', 'skv', 'build', 'Release', 'skv.node')));
  assert.match(smoke(project), /smoke:v/);
});

// A fresh checkout: the repository's sources without node_modules or build output.
function freshCheckout(t) {
  const root = tmpdir(t);
  const repo = path.join(PKG, '..');
  const skipDirs = new Set(['node_modules', 'build', 'deps']);
  fs.cpSync(path.join(repo, 'capi'), path.join(root, 'capi'), { recursive: true });
  fs.cpSync(path.join(repo, 'engine'), path.join(root, 'engine'), { recursive: true });
  fs.cpSync(path.join(repo, 'README.md'), path.join(root, 'README.md'));
  fs.cpSync(PKG, path.join(root, 'node'), {
    recursive: true,
    filter: (src) => !skipDirs.has(path.basename(src)) || path.dirname(src) !== PKG,
  });
  return path.join(root, 'node');
}

test('npm install <directory> of a fresh checkout in an empty project', { skip, timeout: 600000 }, (t) => {
  const dir = freshCheckout(t);
  assert.ok(!fs.existsSync(path.join(dir, 'node_modules')) && !fs.existsSync(path.join(dir, 'build')));
  const project = emptyProject(t);
  npm(['install', dir], project);
  assert.match(smoke(project), /smoke:v/);
});
