/**
 * Small value helpers for the legacy mapping: clipped quoting for messages,
 * Docker size formatting, and the SWAP conversion.
 */
import { parseSizeBytes } from '../units.ts';

/** A value shortened to one line for a message. */
export function clip(s: string, max = 40): string {
  const oneLine = s.replace(/\n/g, '\\n');
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

/** Bytes as the shortest exact Docker size ("266m", "1g", "1536"). */
export function formatSize(bytes: number): string {
  for (const [unit, n] of [
    ['g', 1024 ** 3],
    ['m', 1024 ** 2],
    ['k', 1024],
  ] as const) {
    if (bytes > 0 && bytes % n === 0) return `${bytes / n}${unit}`;
  }
  return String(bytes);
}

export interface SwapConversion {
  /** The `swap` option to set, when there is one. */
  readonly swap?: string;
  readonly problem?: { readonly severity: 'critical' | 'warning'; readonly message: string };
}

/**
 * The original passed SWAP as Docker's --memory-swap, the memory+swap total;
 * ISLET's `swap` is the extra swap on top of `memory`. A total below the memory
 * limit (the samples' MEMORY=256m SWAP=10m, which current Docker rejects) is
 * taken as the extra swap itself, with a warning.
 */
export function convertSwap(label: string, total: string, memory: string | undefined): SwapConversion {
  if (total === '-1') return { problem: { severity: 'warning', message: `${label}="-1" (unlimited swap) is not offered; swap stays at its default` } };
  const totalBytes = parseSizeBytes(total);
  if (totalBytes === undefined) return { problem: { severity: 'critical', message: `${label}="${clip(total)}" is not a size such as 10m or 1g` } };
  const memBytes = memory === undefined ? undefined : parseSizeBytes(memory);
  if (memory !== undefined && memBytes === undefined) return {}; // the schema reports the bad memory value
  if (memBytes === undefined || memBytes === 0) {
    return {
      swap: total,
      problem: {
        severity: 'warning',
        message: `${label}=${clip(total)} is Docker's memory+swap total, but no memory limit is set; taken as ${clip(total)} of swap`,
      },
    };
  }
  if (totalBytes >= memBytes) return { swap: formatSize(totalBytes - memBytes) };
  return {
    swap: total,
    problem: {
      severity: 'warning',
      message: `${label}=${clip(total)} is smaller than the memory limit ${clip(memory!)}. The original passed it as Docker's memory+swap total, which current Docker rejects; ISLET takes it as ${clip(total)} of swap on top of memory (write ${formatSize(memBytes + totalBytes)} to say so explicitly, or ${clip(memory!)} for no swap)`,
    },
  };
}
