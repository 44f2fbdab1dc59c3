'use strict';
// The TradeRunner pool's worker thread (see pool.ts). A worker thread starts as plain Node: neither the tsx
// CLI's loader nor jest's transform reaches it, so tsx's require hook is installed here. A worker has its own
// module registry, so the hook touches this thread only; it is the plain (global) hook rather than a
// namespaced one because that loads the engine in about half the time (namespaced: ~1.0 s, plain: ~0.5 s).
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS entry has nothing but require */
const { parentPort } = require('node:worker_threads');

if (require.extensions['.ts'] === undefined) require('tsx/cjs/api').register();
require('./poolWorker.ts').servePoolJobs(parentPort);
