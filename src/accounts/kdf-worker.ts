/**
 * Child-process entry of BackgroundHasher: hashes the passwords it is sent
 * over IPC and answers with the encoded hash. It runs at idle priority (the
 * parent lowers it), so sealing new accounts soaks up spare CPU and never
 * competes with trainees' logins and shells. Never logs a password.
 */
import { hashPassword } from './password.ts';

interface Job {
  readonly id: number;
  readonly password: string;
}

process.on('message', (m: Job) => {
  hashPassword(m.password).then(
    (hash) => process.send?.({ id: m.id, hash }),
    (err: unknown) => process.send?.({ id: m.id, error: String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
