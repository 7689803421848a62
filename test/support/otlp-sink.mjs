#!/usr/bin/env node
// A stand-in OpenTelemetry collector for tests and benchmarks: an OTLP/HTTP
// receiver on 127.0.0.1 (a free port, printed on stdout) that answers every
// export with 200 and counts what it got. It runs as a process of its own so
// that exporters are answered even while the process that started it blocks
// (bench:http runs wrk synchronously).
//
//   POST /v1/traces, /v1/metrics   OTLP/JSON or OTLP/protobuf, kept with OTLP_SINK_KEEP=1 (protobuf as
//                                  {"protobuf": base64 of the body}); spans counted either way
//   GET  /stats                    {"requests":{"traces":n,"metrics":n},"bytes":n,"spans":n}
//   GET  /traces, /metrics         what was kept: the export requests' JSON bodies
import { createServer } from 'node:http';

const keep = process.env.OTLP_SINK_KEEP === '1';
const stats = { requests: { traces: 0, metrics: 0 }, bytes: 0, spans: 0 };
const kept = { traces: [], metrics: [] };

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const signal = req.url === '/v1/traces' ? 'traces' : req.url === '/v1/metrics' ? 'metrics' : undefined;
    if (req.method === 'POST' && signal) {
      const body = Buffer.concat(chunks);
      stats.requests[signal]++;
      stats.bytes += body.length;
      if ((req.headers['content-type'] ?? '').includes('json')) {
        const doc = JSON.parse(body.toString('utf8'));
        if (signal === 'traces') {
          for (const rs of doc.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) stats.spans += (ss.spans ?? []).length;
        }
        if (keep) kept[signal].push(doc);
      } else if (signal === 'traces') {
        // ExportTraceServiceRequest.resource_spans(1) > ResourceSpans.scope_spans(2) > ScopeSpans.spans(2)
        for (const rs of fields(body, 1)) for (const ss of fields(rs, 2)) stats.spans += fields(ss, 2).length;
      }
      if (keep && !(req.headers['content-type'] ?? '').includes('json')) kept[signal].push({ protobuf: body.toString('base64') });
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/json' });
      res.end((req.headers['content-type'] ?? '').includes('json') ? '{}' : '');
      return;
    }
    if (req.method === 'GET' && req.url === '/stats') return void res.end(JSON.stringify(stats));
    if (req.method === 'GET' && (req.url === '/traces' || req.url === '/metrics')) return void res.end(JSON.stringify(kept[req.url.slice(1)]));
    res.writeHead(404).end();
  });
});

/** The length-delimited fields numbered `wanted` of a protobuf message (others skipped unread). */
function fields(buf, wanted) {
  const out = [];
  let i = 0;
  const varint = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = buf[i++];
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const type = key % 8;
    if (type === 0) varint();
    else if (type === 1) i += 8;
    else if (type === 5) i += 4;
    else if (type === 2) {
      const len = varint();
      if (Math.floor(key / 8) === wanted) out.push(buf.subarray(i, i + len));
      i += len;
    } else throw new Error(`protobuf wire type ${type} not expected in OTLP`);
  }
  return out;
}

server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
