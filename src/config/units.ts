/**
 * Parsers for the two micro-formats config files use: durations in
 * timeout(1) syntax ("90", "90s", "15m", "8h", "3d") and sizes in Docker
 * syntax ("256m", "1g", "512k", bytes when bare). Both return undefined on
 * anything else so the schema can report the option by name.
 */
const durationUnits: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };
const sizeUnits: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Seconds in a duration such as "8h" or "1.5m"; undefined when malformed. */
export function parseDurationSeconds(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/i.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * (durationUnits[m[2]!.toLowerCase()] ?? 1);
}

/** Bytes in a size such as "256m"; undefined when malformed. */
export function parseSizeBytes(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isInteger(text) && text >= 0 ? text : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)b?\s*$/i.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (sizeUnits[m[2]!.toLowerCase()] ?? 1));
}
