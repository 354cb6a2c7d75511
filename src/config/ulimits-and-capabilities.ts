/**
 * The Linux resource limits (`ulimits`) and capabilities (`cap_add`, `cap_drop`)
 * an environment may name, and the zod fields that read them. The name lists
 * are exported apart because legacy `.conf` mapping (src/config/legacy/) checks
 * the same names as the schema.
 */
import { z } from 'zod';

export const ulimitNames = [
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
] as const;

export const capabilityNames = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'SETFCAP',
  'SETUID',
  'SETGID',
  'AUDIT_CONTROL',
  'BLOCK_SUSPEND',
  'DAC_READ_SEARCH',
  'IPC_LOCK',
  'IPC_OWNER',
  'LEASE',
  'LINUX_IMMUTABLE',
  'MAC_ADMIN',
  'MAC_OVERRIDE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'SYSLOG',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_MODULE',
  'SYS_PACCT',
  'SYS_PTRACE',
  'SYS_NICE',
  'SYS_RAWIO',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'WAKE_ALARM',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
  'ALL',
] as const;

/** One limit as `"soft:hard"` or a single number for both; `unlimited` reads as -1. */
export const ulimitValue = z.union([z.number().int(), z.string()]).transform((v, ctx) => {
  const m = /^\s*(-?\d+|unlimited)\s*(?::\s*(-?\d+|unlimited)\s*)?$/.exec(String(v));
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `expected "soft:hard" or a single number, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  const n = (s: string) => (s === 'unlimited' ? -1 : Number(s));
  const soft = n(m[1]!);
  const hard = m[2] === undefined ? soft : n(m[2]);
  return { soft, hard };
});

/** A capability name in any case, with or without `CAP_`, read as the bare upper-case name. */
export const capability = z
  .string()
  .transform((v) => v.toUpperCase().replace(/^CAP_/, ''))
  .pipe(z.enum(capabilityNames));
