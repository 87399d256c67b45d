// index.js — `require('skv')`.
'use strict';

module.exports = require('./lib/skv');
