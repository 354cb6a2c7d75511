/**
 * asciicast v3 → v2 (https://docs.asciinema.org/manual/asciicast/v2/), for players older than v3:
 * header `{"version":2,"width","height","timestamp","title","env":{"TERM"}}`; event times become absolute
 * (seconds since the start, summed from v3's intervals); "o", "i", "m" and "r" are kept (v2 has them);
 * "x" (exit) has no v2 code and is dropped, its time kept as the header's `duration`; comment lines are dropped.
 * Lines that do not parse (a live recording's unfinished last line, a crash's cut one) end the conversion.
 */
const V2_CODES = new Set(['o', 'i', 'm', 'r']);

export function castV3ToV2(v3: string): string {
  const lines = v3.split('\n');
  const header = JSON.parse(lines[0] ?? '') as {
    version?: number;
    term?: { cols?: number; rows?: number; type?: string };
    timestamp?: number;
    title?: string;
    idle_time_limit?: number;
  };
  if (header.version !== 3) throw new Error(`not an asciicast v3 file (version ${String(header.version)})`);
  const out: string[] = [];
  let t = 0;
  let ms = 0;
  for (const line of lines.slice(1)) {
    if (line === '' || line.startsWith('#')) continue;
    let e: [number, string, string];
    try {
      e = JSON.parse(line) as [number, string, string];
    } catch {
      break;
    }
    // Summed in whole microseconds, so long recordings do not pick up floating-point drift.
    ms += Math.round(Number(e[0]) * 1e6);
    t = ms / 1e6;
    if (V2_CODES.has(e[1])) out.push(JSON.stringify([Number(t.toFixed(6)), e[1], e[2]]));
  }
  const h2 = {
    version: 2,
    width: header.term?.cols ?? 80,
    height: header.term?.rows ?? 24,
    ...(header.timestamp !== undefined ? { timestamp: header.timestamp } : {}),
    duration: Number(t.toFixed(6)),
    ...(header.idle_time_limit !== undefined ? { idle_time_limit: header.idle_time_limit } : {}),
    ...(header.title !== undefined ? { title: header.title } : {}),
    env: { TERM: header.term?.type ?? 'xterm' },
  };
  return `${[JSON.stringify(h2), ...out].join('\n')}\n`;
}
