import { hostname } from 'node:os';
import { defaultResource, detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';

/**
 * The resource every span and metric of this process carries: the SDK's
 * defaults, then tsfn's service name for this process, then what
 * OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES say (they win).
 */
export function telemetryResource(serviceName: string): Resource {
  return defaultResource()
    .merge(resourceFromAttributes({
      'service.name': serviceName, 'service.namespace': 'tsfn', 'host.name': hostname(), 'process.pid': process.pid,
    }))
    .merge(detectResources({ detectors: [envDetector] }));
}
