// args.js — turns the package's option objects into what the addon takes: open options as
// skv_options_set text, transaction modes, durability and iteration flags as the constants
// of skv.h.
'use strict';

const { CONSTANTS: C } = require('./constants');

const MODES = {
  readWrite: C.SKV_TXN_READ_WRITE,
  read_write: C.SKV_TXN_READ_WRITE,
  readOnly: C.SKV_TXN_READ_ONLY,
  read_only: C.SKV_TXN_READ_ONLY,
  writeOnly: C.SKV_TXN_WRITE_ONLY,
  write_only: C.SKV_TXN_WRITE_ONLY,
};

const DURABILITIES = {
  eventual: C.SKV_DURABILITY_EVENTUAL,
  immediate: C.SKV_DURABILITY_IMMEDIATE,
};

function invalid(what, value, allowed) {
  const e = new TypeError(`skv: ${what} must be one of ${allowed.join(', ')} (got ${String(value)})`);
  e.code = 'ERR_INVALID_ARG_VALUE';
  return e;
}

function mode(value) {
  if (value === undefined) return C.SKV_TXN_READ_WRITE;
  const m = MODES[value];
  if (m === undefined) throw invalid('mode', value, ['readWrite', 'readOnly', 'writeOnly']);
  return m;
}

function durability(value) {
  if (value === undefined) return undefined;
  const d = DURABILITIES[value];
  if (d === undefined) throw invalid('durability', value, ['eventual', 'immediate']);
  return d;
}

// {reverse, keysOnly} -> SKV_ITER_* bits
function iterFlags(opts) {
  let flags = 0;
  if (opts) {
    if (opts.reverse) flags |= C.SKV_ITER_REVERSE;
    if (opts.keysOnly || opts.keys_only) flags |= C.SKV_ITER_KEYS_ONLY;
  }
  return flags;
}

// {reverse, keysOnly, tombstones} -> SKV_ITER_* | SKV_HISTORY_TOMBSTONES bits
function historyFlags(opts) {
  return iterFlags(opts) | (opts && opts.tombstones ? C.SKV_HISTORY_TOMBSTONES : 0);
}

// An optional timestamp: BigInt or a non-negative safe integer.
function timestamp(value, fallback, what) {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'bigint' || (Number.isSafeInteger(value) && value >= 0)) return value;
  const e = new RangeError(`skv: ${what} must be a BigInt or a non-negative safe integer`);
  e.code = 'ERR_OUT_OF_RANGE';
  throw e;
}

// An option name in camelCase or snake_case -> the snake_case name skv_options_set takes.
function optionName(name) {
  return name.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
}

// An option value -> its text: strings as they are, numbers, bigints and booleans printed.
function optionValue(name, value) {
  switch (typeof value) {
    case 'string': return value;
    case 'number':
    case 'bigint':
    case 'boolean': return String(value);
    default: {
      const e = new TypeError(`skv: option ${name} must be a string, number, bigint or boolean`);
      e.code = 'ERR_INVALID_ARG_TYPE';
      throw e;
    }
  }
}

module.exports = { mode, durability, iterFlags, historyFlags, timestamp, optionName, optionValue };
