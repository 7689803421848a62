/** Left-aligned columns for human output; numbers right-aligned. */
export function table(rows: (string | number)[][], header: string[]): string {
  const all = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...all.map((r) => String(r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  return all.map((r) => r.map((cell, i) => {
    const s = String(cell ?? '');
    return numeric[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!);
  }).join('  ').trimEnd()).join('\n');
}
