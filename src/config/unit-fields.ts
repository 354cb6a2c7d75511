/**
 * zod fields for the two units the configuration is written in, sizes and
 * durations (parsed by units.ts): each accepts a string or a number and
 * yields bytes or seconds, or one issue naming the option and the form expected.
 * Shared by the environment and global sections of the schema.
 */
import { z } from 'zod';
import { parseDurationSeconds, parseSizeBytes } from './units.ts';

export const duration = (what: string) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const s = parseDurationSeconds(v);
    if (s === undefined) {
      ctx.addIssue({ code: 'custom', message: `${what}: expected a duration such as 90, 90s, 15m, 8h or 3d, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return s;
  });

export const size = (what: string) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const b = parseSizeBytes(v);
    if (b === undefined) {
      ctx.addIssue({ code: 'custom', message: `${what}: expected a size such as 256m or 1g, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return b;
  });
