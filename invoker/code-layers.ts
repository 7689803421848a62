import type { Db } from '../infra/db.js';
import type { FunctionSpec } from '../core/schemas/invocation.js';
import { NO_TRACE, type Within } from '../core/telemetry/trace-context.js';
import { renderCommonJs } from './layers/commonjs-entry.js';
import type { LayerStore } from './layers/layer-store.js';

/** Most bytes and files a function's extracted artifact may take. */
export const ARTIFACT_LIMITS = { maxBytes: 512 * 1048576, maxFiles: 20_000 };

/**
 * Function code on this host: each artifact fetched from PostgreSQL once,
 * verified against its digest and extracted into the layer store, with a
 * CommonJS rendering of its entry where that means the same
 * (layers/commonjs-entry.ts); the directory is then bind-mounted (or
 * attached) read-only at /var/task.
 */
export class CodeLayers {
  private paths = new Map<string, Promise<string>>();

  constructor(private readonly store: LayerStore, private readonly db: Db) {}

  /** `within` runs the query that fetches the artifact (an invocation's trace scope). */
  dir(spec: FunctionSpec, within: Within = NO_TRACE.within): Promise<string> {
    let p = this.paths.get(spec.digest);
    if (!p) {
      const fetch = () => within(() => this.fetch(spec.digest));
      p = this.store.ensureArtifact(spec.digest, fetch, ARTIFACT_LIMITS, async (dir) => {
        await renderCommonJs(dir, spec.entry);
      });
      p.then(() => this.store.markUsed(spec.digest), () => this.paths.delete(spec.digest));
      this.paths.set(spec.digest, p);
    }
    return p;
  }

  /**
   * Lets the store evict the code of versions no container holds any more
   * (`inUse`: the pool's codeInUse()); it is fetched again if needed.
   */
  sweep(inUse: ReadonlySet<string>): void {
    for (const [digest, p] of this.paths) {
      if (inUse.has(digest)) continue;
      this.paths.delete(digest);
      p.then(() => this.store.release(digest), () => {});
    }
  }

  private async fetch(digest: string): Promise<Buffer> {
    const row = (await this.db.query('select data from artifacts where digest = $1', [digest])).rows[0];
    if (!row) throw new Error(`artifact ${digest} is not in the database`);
    return row.data;
  }
}
