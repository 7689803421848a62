/** Container tests need root: fail loudly with the reason, never skip. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('this test makes real containers (namespaces, mounts, cgroups) and must run as root');
  }
}
