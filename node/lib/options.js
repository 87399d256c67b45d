// options.js — skv.Options: an option set (skv_options_new / skv_options_set), checked as
// it is built. Every option of the engine by its C name (DESIGN §2, README "Options"), or in
// camelCase; values are strings, numbers, bigints or booleans.
'use strict';

const native = require('./native');
const { optionName, optionValue } = require('./args');

const NATIVE = Symbol('skv.native');

class Options {
  /** @param {Record<string, string|number|bigint|boolean>} [options] */
  constructor(options) {
    this[NATIVE] = new native.Options();
    if (options) {
      for (const [name, value] of Object.entries(options)) this.set(name, value);
    }
  }

  /** Sets one option; throws SkvError SKV_EINVAL for an unknown name or a bad value. */
  set(name, value) {
    this[NATIVE].set(optionName(name), optionValue(name, value));
    return this;
  }
}

// The native option set for open: from an Options, a plain object, or nothing (defaults).
function nativeOptions(options) {
  if (options === undefined || options === null) return undefined;
  if (options instanceof Options) return options[NATIVE];
  if (typeof options !== 'object') {
    const e = new TypeError('skv: options must be an object or an skv.Options');
    e.code = 'ERR_INVALID_ARG_TYPE';
    throw e;
  }
  return new Options(options)[NATIVE];
}

module.exports = { Options, nativeOptions };
