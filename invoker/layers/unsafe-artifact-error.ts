/**
 * An artifact refused before anything of it reaches a layer: unreadable (not
 * gzip, corrupt, truncated, wrong digest), escaping its layer, or over its
 * limits. The message names the offending entry; callers turn it into their
 * own answer (the gateway's 400), so it carries no HTTP status itself.
 */
export class UnsafeArtifactError extends Error {
  override readonly name = 'UnsafeArtifactError';
}
