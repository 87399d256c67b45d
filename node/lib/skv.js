// skv.js — the package's exports (index.js and index.mjs re-export them).
'use strict';

const native = require('./native');
const constants = require('./constants');
const { SkvError } = require('./errors');
const { Options, nativeOptions } = require('./options');
const { DB } = require('./db');
const { Txn } = require('./txn');
const { Cursor } = require('./cursor');
const { Range, History } = require('./range');

function checkPath(path) {
  if (path instanceof URL) path = require('node:url').fileURLToPath(path);
  if (typeof path !== 'string') {
    const e = new TypeError('skv: path must be a string or a file: URL');
    e.code = 'ERR_INVALID_ARG_TYPE';
    throw e;
  }
  return path;
}

/**
 * Opens (creating it if allowed) the database in directory path, off the event loop
 * (recovery reads the log). options: every engine option by its C name or in camelCase.
 * @returns {Promise<DB>}
 */
async function open(path, options) {
  path = checkPath(path);
  return new DB(await native.openAsync(path, nativeOptions(options)), path);
}

/** open on this thread. */
function openSync(path, options) {
  path = checkPath(path);
  return new DB(native.open(path, nativeOptions(options)), path);
}

/**
 * The integrity check of a closed database directory (nothing is written): resolves to the
 * report when intact, rejects with SkvError (with `report`) otherwise. options as for open
 * (level_count and wal_recovery_mode matter).
 */
async function checkDir(path, options) {
  path = checkPath(path);
  return native.checkDirAsync(path, nativeOptions(options));
}

function checkDirSync(path, options) {
  path = checkPath(path);
  return native.checkDir(path, nativeOptions(options));
}

module.exports = {
  open,
  openSync,
  checkDir,
  checkDirSync,
  Options,
  DB,
  Txn,
  Cursor,
  Range,
  History,
  SkvError,
  Error: SkvError,
  /** error name -> code, as skv.h defines them */
  errors: constants.ERRORS,
  /** every constant of skv.h (modes, durability, flags, limits) */
  constants: constants.CONSTANTS,
  /** the name of a code ('SKV_ECONFLICT'; 'SKV_UNKNOWN' for other integers) */
  errname: (code) => native.errname(code),
  /** a static English text for any code */
  strerror: (code) => native.strerror(code),
  versionNumber: () => native.versionNumber(),
  versionString: () => native.versionString(),
  abiVersion: () => native.abiVersion(),
};
