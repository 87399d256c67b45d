#!/usr/bin/env node
// scripts/build.js — compiles the skv engine (C11) and the N-API addon (C++17, node-addon-api)
// into build/Release/skv.node with the system C and C++ compilers. Runs offline: the Node-API
// headers come from the node-api-headers package and napi.h from node-addon-api, both npm
// dependencies, so nothing is downloaded besides them. Incremental: an object is rebuilt only
// when a file it depends on (from the compiler's -MMD output) or the flags changed.
//
// Environment: CC, CXX (compilers, default cc and c++), CFLAGS/CXXFLAGS/LDFLAGS (appended),
// SKV_BUILD_JOBS (parallel compiles, default the number of CPUs), SKV_BUILD_DEBUG=1 (-O0 -g).
'use strict';

const { spawn, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PKG = path.resolve(__dirname, '..');
const OUT_DIR = path.join(PKG, 'build');
const OBJ_DIR = path.join(OUT_DIR, 'obj');
const TARGET = path.join(OUT_DIR, 'Release', 'skv.node');

// The C sources: deps/skv inside a packed package (scripts/vendor.js copies them at npm pack),
// else the repository checkout around node/.
function engineRoot() {
  for (const dir of [path.join(PKG, 'deps', 'skv'), path.resolve(PKG, '..')]) {
    if (fs.existsSync(path.join(dir, 'capi', 'include', 'skv.h'))) return dir;
  }
  throw new Error('skv build: the C sources are missing (neither deps/skv nor ../capi exists)');
}

function packageDir(name) {
  return path.dirname(require.resolve(`${name}/package.json`, { paths: [PKG] }));
}

// `npm install <directory>` links the directory without installing its dependencies: then
// the two build dependencies are installed here first, from the npm registry (npm ci from
// the checkout's lock file), by the npm that runs this script.
function ensureBuildDeps() {
  try {
    packageDir('node-addon-api');
    packageDir('node-api-headers');
    return;
  } catch {
    // missing: install them below
  }
  const lock = fs.existsSync(path.join(PKG, 'package-lock.json'));
  const args = lock ? ['ci', '--omit=dev', '--ignore-scripts'] : ['install', '--omit=dev', '--ignore-scripts', '--no-save'];
  args.push('--no-audit', '--no-fund');
  console.log(`skv build: installing node-addon-api and node-api-headers (npm ${args.join(' ')})`);
  // the npm running us passes its settings as npm_* variables; the inner npm must use this
  // directory, so only the registry and cache settings are kept
  const keep = /^npm_config_(registry|cache|userconfig|globalconfig|offline|prefer_offline|proxy|https_proxy|noproxy|strict_ssl|cafile|ca|fetch_.*)$/i;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || keep.test(k)));
  const npmCli = process.env.npm_execpath;
  const [cmd, pre] = npmCli && /\.c?js$/.test(npmCli) ? [process.execPath, [npmCli]] : ['npm', []];
  execFileSync(cmd, [...pre, ...args], { cwd: PKG, env, stdio: 'inherit' });
}

function listSources(dir, ext) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSources(p, ext));
    else if (entry.name.endsWith(ext)) out.push(p);
  }
  return out.sort();
}

function splitFlags(s) {
  return (s || '').split(/\s+/).filter(Boolean);
}

function config() {
  const root = engineRoot();
  const debug = process.env.SKV_BUILD_DEBUG === '1';
  const opt = debug ? ['-O0', '-g'] : ['-O3', '-DNDEBUG'];
  const common = [...opt, '-fPIC', '-fvisibility=hidden', '-pthread', '-DSKV_STATIC',
    '-D_POSIX_C_SOURCE=200809L', '-D_DEFAULT_SOURCE',
    `-I${path.join(root, 'capi', 'include')}`, `-I${path.join(root, 'engine')}`];
  const cflags = ['-std=c11', ...common, '-Wall', '-Wextra', ...splitFlags(process.env.CFLAGS)];
  const cxxflags = ['-std=c++17', ...common, '-fvisibility-inlines-hidden', '-Wall', '-Wextra',
    '-Wno-unused-parameter', '-DNAPI_VERSION=8', '-DNAPI_CPP_EXCEPTIONS',
    '-DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS',
    '-DNODE_ADDON_API_DISABLE_DEPRECATED',
    `-I${require('node-api-headers').include_dir}`, `-I${packageDir('node-addon-api')}`,
    ...splitFlags(process.env.CXXFLAGS)];
  const ldflags = ['-shared', '-pthread', ...(process.platform === 'darwin'
    ? ['-undefined', 'dynamic_lookup'] : []),
    ...splitFlags(process.env.LDFLAGS)];
  const units = [
    ...listSources(path.join(root, 'engine'), '.c'),
    ...listSources(path.join(root, 'capi'), '.c'),
    ...listSources(path.join(PKG, 'src'), '.cc'),
  ].map((src) => {
    const rel = src.endsWith('.cc') ? path.join('addon', path.basename(src)) : path.relative(root, src);
    const obj = path.join(OBJ_DIR, rel.replace(/[\\/]/g, '__') + '.o');
    const cxx = src.endsWith('.cc');
    return { src, obj, dep: obj.replace(/\.o$/, '.d'), cxx };
  });
  return {
    cc: process.env.CC || 'cc',
    cxx: process.env.CXX || 'c++',
    cflags, cxxflags, ldflags, units,
    libs: ['-lzstd'],
  };
}

function mtime(p) {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return -1;
  }
}

// Out of date when the object is missing or older than any file its .d lists.
function stale(unit) {
  const t = mtime(unit.obj);
  if (t < 0) return true;
  let deps;
  try {
    deps = fs.readFileSync(unit.dep, 'utf8').replace(/\\\n/g, ' ').split(':').slice(1).join(':');
  } catch {
    return true;
  }
  for (const dep of deps.split(/\s+/).filter(Boolean)) {
    const d = mtime(dep);
    if (d < 0 || d > t) return true;
  }
  return false;
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', (e) => reject(new Error(`skv build: cannot run ${cmd}: ${e.message}`)));
    child.on('close', (code) => {
      if (err) process.stderr.write(err);
      if (code === 0) return resolve();
      let hint = '';
      if (/zstd\.h|xxhash\.h/.test(err)) {
        hint = '\nskv build: the engine needs the zstd and xxhash headers ' +
          '(Debian/Ubuntu: apt-get install libzstd-dev libxxhash-dev)';
      }
      reject(new Error(`skv build: ${cmd} exited with ${code}${hint}`));
    });
  });
}

async function parallel(tasks, jobs) {
  let next = 0;
  let failure = null;
  async function worker() {
    while (next < tasks.length && !failure) {
      const task = tasks[next++];
      try {
        await task();
      } catch (e) {
        failure = failure || e;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  if (failure) throw failure;
}

async function main() {
  ensureBuildDeps();
  const cfg = config();
  fs.mkdirSync(OBJ_DIR, { recursive: true });
  fs.mkdirSync(path.dirname(TARGET), { recursive: true });

  // Different flags or compilers: every object is rebuilt.
  const stamp = crypto.createHash('sha256')
    .update(JSON.stringify([cfg.cc, cfg.cxx, cfg.cflags, cfg.cxxflags, cfg.ldflags, cfg.libs]))
    .digest('hex');
  const stampFile = path.join(OUT_DIR, 'flags.sha256');
  const sameFlags = fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp;

  if (!sameFlags) {
    // objects made with other flags are never reused, even when a compile below fails
    for (const u of cfg.units) fs.rmSync(u.obj, { force: true });
    fs.writeFileSync(stampFile, stamp);
  }
  const todo = cfg.units.filter(stale);
  const jobs = Number(process.env.SKV_BUILD_JOBS) ||
    (os.availableParallelism ? os.availableParallelism() : os.cpus().length);
  if (todo.length) {
    console.log(`skv build: compiling ${todo.length} of ${cfg.units.length} files (${jobs} jobs)`);
  }
  await parallel(todo.map((u) => () => run(u.cxx ? cfg.cxx : cfg.cc,
    [...(u.cxx ? cfg.cxxflags : cfg.cflags), '-MMD', '-MF', u.dep, '-c', u.src, '-o', u.obj])), jobs);

  const objs = cfg.units.map((u) => u.obj);
  if (todo.length || mtime(TARGET) < Math.max(...objs.map(mtime))) {
    const tmp = TARGET + '.tmp';
    await run(cfg.cxx, [...cfg.ldflags, '-o', tmp, ...objs, ...cfg.libs]);
    fs.renameSync(tmp, TARGET);
    console.log(`skv build: ${path.relative(process.cwd(), TARGET) || TARGET}`);
  }
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
