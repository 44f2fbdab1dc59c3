'use strict';
// A sweep pool's worker thread (see pool.ts). A worker thread starts as plain Node: neither tsx's loader nor
// jest's transform reaches it, so it runs the compiled bundle of sweepWorker.ts, rebuilt first if a source
// changed (scripts/launch.cjs): ~0.1 s to start instead of ~0.5 s through tsx.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS entry has nothing but require */
const { workerData } = require('piscina');
const { serveTask } = require('../../scripts/launch.cjs').load('src/research/sweepWorker.ts');

module.exports = (task) => serveTask(task, workerData);
