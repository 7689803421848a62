/**
 * `import()` for the shim's own use (the function's entry, the warm-up).
 * Started by shim-boot.ts, the shim runs from a V8 code cache through
 * vm.Script, and on Node 20 a script whose code comes from a cache has lost
 * its dynamic-import callback (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING). The
 * boot therefore hands in an importer compiled by Node's own CommonJS loader,
 * as the wrapper parameter `__tsfn_import`; run directly (`node shim.cjs`, as
 * the tests do), the shim's own `import()` serves. Function code never sees
 * either: it is a parameter of the shim's wrapper, not a global.
 */
declare const __tsfn_import: ((specifier: string) => Promise<unknown>) | undefined;

type Importer = (specifier: string) => Promise<Record<string, unknown>>;

export const dynamicImport: Importer = typeof __tsfn_import === 'function'
  ? (__tsfn_import as Importer)
  : (specifier) => import(specifier) as Promise<Record<string, unknown>>;
