import { createOtlpHttpExportDelegate, convertLegacyHttpOptions } from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { EncodedBatch } from './encoded-batch.js';
import type { BatchSender } from './encoding-span-processor.js';

/**
 * Sends encoded batches as the SDK's OTLP/HTTP protobuf trace exporter
 * (@opentelemetry/exporter-trace-otlp-proto) sends its requests: the same
 * transport, retries, concurrency limit and settings from the standard
 * variables (OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS, _TIMEOUT,
 * _COMPRESSION, the TLS files), built the way that exporter builds it, with
 * a serialiser that passes the bytes through.
 */
export function otlpHttpSender(): BatchSender {
  const delegate = createOtlpHttpExportDelegate<EncodedBatch, unknown>(
    convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' }),
    { serializeRequest: (batch) => batch.bytes, deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data) },
    'otlp_http_span_exporter',
    { name: 'span', countItems: (batch) => batch.spans },
    undefined,
  );
  return {
    send: (batch, done) => delegate.export(batch, done),
    shutdown: () => delegate.shutdown(),
  };
}
