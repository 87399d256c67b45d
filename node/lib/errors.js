// errors.js — SkvError: every failure of the engine, with `code` = the error name skv_errname
// gives ('SKV_ECONFLICT'...) and `errno` = its number (lib/constants.js).
'use strict';

const { ERRORS, ERROR_TEXTS } = require('./constants');

class SkvError extends Error {
  /**
   * @param {string} code an error name, e.g. 'SKV_ECONFLICT'
   * @param {number} [errno] its number (looked up from the name when omitted)
   * @param {string} [detail] what went wrong (the engine's message; the code's text when omitted)
   */
  constructor(code, errno, detail) {
    super(`${code}: ${detail || ERROR_TEXTS[code] || 'unknown error'}`);
    this.name = 'SkvError';
    this.code = code;
    this.errno = errno ?? ERRORS[code];
  }
}

module.exports = { SkvError };
