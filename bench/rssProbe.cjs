'use strict';
// Preloaded (NODE_OPTIONS=--require) into every Node process of a whole-process benchmark (npm, the tsx CLI,
// the replay itself): at exit each appends "<pid> <peak RSS kB> <CPU ms> <argv>" to $BENCH_RSS_FILE, so the benchmark
// reads the peak RSS of a process tree it did not write. The peak is VmHWM (Linux), else maxRSS.
/* eslint-disable @typescript-eslint/no-require-imports -- a --require preload is CommonJS */
const { appendFileSync, readFileSync } = require('node:fs');

const target = process.env.BENCH_RSS_FILE;
if (target) {
  process.on('exit', () => {
    let kb = process.resourceUsage().maxRSS;
    try {
      const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
      if (match) kb = Number(match[1]);
    } catch {
      // not Linux: maxRSS it is
    }
    const cpu = process.cpuUsage();
    appendFileSync(target, `${process.pid} ${kb} ${Math.round((cpu.user + cpu.system) / 1000)} ${process.argv.slice(1).join(' ')}\n`);
  });
}
