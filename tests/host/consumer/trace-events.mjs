// SPDX-License-Identifier: GPL-2.0
// node trace-events.mjs FILE: load a trace-event file (pvfbt --format=chrome)
// with Chrome DevTools' trace engine (the Performance panel's parser, from
// the npm registry: scripts/deps.sh puts it in .cache/npm/) and print what
// it built, one line per thread and per slice name:
//   thread PID TID NAME ENTRIES
//   slices PID TID FUNCTION COUNT DUR_MIN_US DUR_MAX_US
// Exits 1 if the file does not load.
import fs from 'node:fs';
import path from 'node:path';
import url from 'node:url';

const here = path.dirname(url.fileURLToPath(import.meta.url));
const engine = process.env.TRACE_ENGINE ||
  path.join(here, '../../../.cache/npm/node_modules/@paulirish/trace_engine/models/trace/trace.js');
// The engine measures layout with DOMRect, which node does not have.
globalThis.DOMRect ??= class { constructor(x = 0, y = 0, w = 0, h = 0) { Object.assign(this, {x, y, width: w, height: h}); } };
const Trace = await import(url.pathToFileURL(engine).href);

const json = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const model = Trace.TraceModel.Model.createWithAllHandlers();
await model.parse(json.traceEvents);
const parsed = model.parsedTrace();
if (!parsed) { console.error('no parsed trace'); process.exit(1); }
for (const [pid, proc] of parsed.data.Renderer.processes) {
  for (const [tid, thread] of proc.threads) {
    console.log(`thread ${pid} ${tid} ${thread.name} ${thread.entries.length}`);
    const by = new Map();
    for (const e of thread.entries) {
      const s = by.get(e.name) || {n: 0, min: Infinity, max: 0};
      s.n++; s.min = Math.min(s.min, e.dur); s.max = Math.max(s.max, e.dur);
      by.set(e.name, s);
    }
    for (const [name, s] of [...by].sort())
      console.log(`slices ${pid} ${tid} ${name} ${s.n} ${s.min} ${s.max}`);
  }
}
