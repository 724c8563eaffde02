// Reference implementation of the WORKLOADS.md generators in JavaScript (the peers' language), used once to produce
// the hard-coded values of the bench unit tests:  node bench/src/test/js/reference.js
const crypto = require('crypto');
function mulberry32(a) {
  return function () {
    a = (a + 0x6D2B79F5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const stream = (seed, id) => mulberry32((seed * 1000 + id) | 0);
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const randInt = (r, n) => Math.floor(r() * n);
const randText = (r, len) => { let s = ''; for (let i = 0; i < len; i++) s += ALNUM[randInt(r, 62)]; return s; };
function payload(r, runId, seq) {
  const tokens = randInt(r, 4096);
  const score = Math.round(r() * 1000) / 1000;
  const empty = JSON.stringify({ seq, runId, tokens, score, text: '' });
  return JSON.stringify({ seq, runId, tokens, score, text: randText(r, 300 - Buffer.byteLength(empty)) });
}
function unitVector(r, dim) {
  const v = new Array(dim);
  let norm = 0;
  for (let i = 0; i < dim; i++) {
    const u1 = 1 - r(), u2 = r();
    v[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    norm += v[i] * v[i];
  }
  norm = Math.sqrt(norm);
  return Float32Array.from(v.map(x => x / norm));
}
const pad6 = i => String(i).padStart(6, '0');
const out = {};
{ const r = stream(42, 1); out.stream42_1 = [r(), r(), r()]; }
{ const r = stream(7, 3); out.stream7_3 = [r(), r(), r()]; }
{ // all W1 payloads at scale 1, in append order
  const r = stream(42, 1); const h = crypto.createHash('sha256'); const first = []; let last; let lengths = new Set();
  for (let run = 0; run < 200; run++) for (let e = 0; e < 100; e++) {
    const p = payload(r, 'run-' + pad6(run), e); h.update(p); lengths.add(Buffer.byteLength(p));
    if (first.length < 3) first.push(p); last = p;
  }
  out.w1_first = first; out.w1_last = last; out.w1_sha256 = h.digest('hex'); out.w1_lengths = [...lengths];
}
{ const r = stream(42, 5); out.w5_first = Array.from({ length: 5 }, () => randInt(r, 200)); }
{ const r = stream(42, 6); out.w6_first = Array.from({ length: 5 }, () => randInt(r, 10000)); }
{ const r = stream(42, 7); out.w7_text0 = randText(r, 280); }
{ const r = stream(42, 8); const h = crypto.createHash('sha256'); let v0, v1;
  for (let i = 0; i < 100; i++) { const v = unitVector(r, 384); if (i === 0) v0 = v; if (i === 1) v1 = v;
    h.update(Buffer.from(v.buffer)); }
  out.v0_first4 = Array.from(v0.slice(0, 4)); out.v1_first4 = Array.from(v1.slice(0, 4)); out.v0_99_f32le_sha256 = h.digest('hex'); }
{ const r = stream(42, 10); const k = randInt(r, 100); out.w8f_first_k = k; out.w8f_first_v_first2 = Array.from(unitVector(r, 384).slice(0, 2)); }
{ // W9: all traces at scale 1 (stream 11), one canonical line per span; stream 12's first picks
  const r = stream(42, 11); const h = crypto.createHash('sha256'); const types = ['model_generation', 'tool_call', 'workflow_step'];
  const hex = (n) => { let s = ''; for (let i = 0; i < n; i++) s += randInt(r, 2 ** 32).toString(16).padStart(8, '0'); return s; };
  const base = Date.parse('2024-01-01T00:00:00Z'); let first;
  for (let t = 0; t < 2000; t++) {
    const traceId = hex(4); const ids = [];
    for (let i = 0; i < 25; i++) {
      ids.push(hex(2)); const type = i === 0 ? 'agent_run' : types[i % 3]; const name = i === 0 ? 'agent.run' : type + '.' + i;
      const startedAt = base + t * 60000 + i * 10; const endedAt = startedAt + randInt(r, 1000);
      const attributes = { 'gen_ai.request.model': 'model-' + (i % 4), 'gen_ai.usage.input_tokens': randInt(r, 4096),
        'gen_ai.usage.output_tokens': randInt(r, 1024), note: randText(r, 120) };
      const input = { text: randText(r, 200) }; const output = { text: randText(r, 200) };
      const line = [traceId, ids[i], i === 0 ? '' : ids[Math.floor((i - 1) / 4)], type, name, 'agent-' + (t % 20),
        new Date(startedAt).toISOString(), new Date(endedAt).toISOString(), JSON.stringify(attributes),
        JSON.stringify(input), JSON.stringify(output)].join('|') + '\n';
      h.update(line); if (!first) first = line;
    }
  }
  out.w9_first_line = first; out.w9_sha256 = h.digest('hex');
  const q = stream(42, 12); out.w9_first_picks = Array.from({ length: 3 }, () => randInt(q, 2000)); }
console.log(JSON.stringify(out, null, 1));
