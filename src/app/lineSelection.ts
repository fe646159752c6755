/** Chooses the user's TAPI line from the configured value. Pure. */
import type { LineInfo } from '../telephony/port';

/**
 * `wanted` may be a permanent line id, a line name, an address (extension) or a part of a name
 * (case-insensitive). Empty: the only line, else the first line whose name or provider says Wildix.
 */
export function selectLine(lines: LineInfo[], wanted: string): LineInfo | undefined {
  const usable = lines.filter((l) => l.apiVersion >= 0x00020000);
  const w = wanted.trim().toLowerCase();
  if (w === '') {
    if (usable.length === 1) return usable[0];
    return usable.find((l) => /wildix/i.test(l.provider) || /wildix/i.test(l.name));
  }
  if (/^\d+$/.test(w)) {
    const byId = usable.find((l) => String(l.permanentId) === w);
    if (byId) return byId;
  }
  return (
    usable.find((l) => l.name.toLowerCase() === w) ??
    usable.find((l) => l.addresses.some((a) => a.address.toLowerCase() === w)) ??
    usable.find((l) => l.name.toLowerCase().includes(w))
  );
}

export function describeLine(l: LineInfo): string {
  return `"${l.name}" (permanent id ${l.permanentId}, ${l.provider || 'unknown provider'})`;
}
