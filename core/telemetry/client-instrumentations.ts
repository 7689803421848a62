import { createRequire } from 'node:module';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';

/**
 * Redis and PostgreSQL client spans from the standard instrumentations.
 *
 * They patch through require-in-the-middle, which sees only `require` calls
 * made after it is installed. tsfn's code is ESM (the CLI bundle imports
 * ioredis and pg at its top, before any command runs), so the modules are
 * already loaded here: requiring them once more through the hook hands their
 * (shared, CommonJS) exports to the instrumentations, which patch the client
 * prototypes in place, and every client, even one made earlier, is traced.
 *
 * Only commands sent inside a trace get spans (requireParentSpan): those
 * tsfn sends synchronously within a TraceScope (trace-context.ts), such as
 * admission, the reply and the metering record, the function lookups and the
 * code fetch. BullMQ's own commands are sent later, after its awaits, and
 * have none; its polling and the meter's would otherwise make a root trace
 * per command. Redis statements are the command alone: arguments are job
 * data, replies and metering records (function payloads), and every byte is
 * paid per span.
 */
export function instrumentClients(): () => void {
  const off = registerInstrumentations({
    instrumentations: [
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: redisStatement }),
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  const require = createRequire(import.meta.url);
  for (const m of ['ioredis', 'pg', 'pg-pool']) {
    try {
      require(m);
    } catch {
      // Not installed beside this file: nothing of it to trace.
    }
  }
  return off;
}

const redisStatement = (cmd: string): string => cmd;
