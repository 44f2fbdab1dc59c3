'use strict';
// A sweep pool's worker thread (see pool.ts). A worker thread starts as plain Node: neither the tsx CLI's loader
// nor jest's transform reaches it, so tsx's require hook is installed here for the thread (see
// src/runner/poolWorker.cjs), unless the engine runs compiled.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS entry has nothing but require */
const { workerData } = require('piscina');

if (require.extensions['.ts'] === undefined) require('tsx/cjs/api').register();
const { servePassTask } = require('./sweepWorker.ts');

module.exports = (task) => servePassTask(task, workerData);
