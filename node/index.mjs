// index.mjs — `import skv from 'skv'` and `import { open } from 'skv'`: the CommonJS exports.
import skv from './lib/skv.js';

export default skv;
export const {
  open, openSync, checkDir, checkDirSync, Options, DB, Txn, Cursor, Range, History, SkvError,
  Error, errors, constants,
  errname, strerror, versionNumber, versionString, abiVersion,
} = skv;
