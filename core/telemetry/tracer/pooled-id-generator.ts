import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace-base';

const POOL_BYTES = 4096;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * W3C trace and span ids cut from a pool of random hex: 4 KiB of random
 * bytes (crypto.randomFillSync) turned into hex once, then handed out as
 * substrings, which V8 makes without copying. The SDK's RandomIdGenerator
 * calls Math.random and Buffer.toString for every id. An all-zero id, which
 * W3C forbids, is drawn again.
 */
export class PooledIdGenerator implements IdGenerator {
  private pool = '';
  private at = 0;

  generateTraceId(): string {
    let id: string;
    do id = this.take(32); while (id === ZERO_TRACE);
    return id;
  }

  generateSpanId(): string {
    let id: string;
    do id = this.take(16); while (id === ZERO_SPAN);
    return id;
  }

  private take(chars: number): string {
    if (this.at + chars > this.pool.length) {
      this.pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES)).toString('hex');
      this.at = 0;
    }
    const id = this.pool.substring(this.at, this.at + chars);
    this.at += chars;
    return id;
  }
}
