/**
 * The SFTP server ISLET runs for `sftp`/`scp` (modern scp speaks SFTP),
 * backed by the trainee's container: every file operation runs inside the
 * container as its user through ContainerTools (busybox applets, argv only),
 * so permissions, ownership and confinement are the kernel's.
 *
 * - Paths: relative ones start at ctx.home; REALPATH only normalises.
 * - Files stream through one tool per open handle (file-handle.ts), and
 *   directory listings through one lister per handle, a page at a time
 *   (dir-lister.ts), so big files and directories never sit in ISLET's memory.
 * - Bounded work per session: MAX_IN_FLIGHT requests run at once, up to
 *   MAX_QUEUED wait (more are refused at once with FAILURE), and while
 *   requests wait the client's SSH window stays shut (request-window.ts).
 *   Handles (MAX_HANDLES) are counted when an OPEN starts, not when it ends.
 * - Errors: missing → NO_SUCH_FILE, EACCES/EPERM → PERMISSION_DENIED, other
 *   failures → FAILURE with the tool's message.
 * - Not supported: extensions (posix-rename@openssh.com, statvfs…): ssh2's
 *   server advertises none; SFTP v3 RENAME refuses to replace a target.
 */
import type { Attributes, FileEntry, SFTPWrapper } from 'ssh2';
import type { Logger } from '../logger.ts';
import type { ContainerTools } from '../runtime/container-tools.ts';
import { containerBox, LIST_SCRIPT, mustRun, RENAME_SCRIPT, SETSTAT_SCRIPT, shArgs, type Box } from './box.ts';
import { DirLister } from './dir-lister.ts';
import { holdWindow } from './request-window.ts';
import { FileHandle, newFileMode } from './file-handle.ts';
import { checkPath, resolvePath } from './sftp-paths.ts';
import { SftpStatusError, STATUS, toStatus } from './sftp-status.ts';
import { setstatArgs, toAttributes, type ClientAttrs } from './sftp-attrs.ts';
import { longName, parseStatRecords, STAT_FORMAT } from './stat-format.ts';

export interface SftpContext {
  readonly tools: ContainerTools;
  readonly containerId: string;
  /** The user's home (initial directory for relative paths). */
  readonly home: string;
  readonly log: Logger;
}

/** Most handles one SFTP session may hold open (each reader buffers up to 1 MiB). */
export const MAX_HANDLES = 32;
/** Largest READ answered in one DATA reply (clients ask for less; OpenSSH takes up to 256 KiB messages). */
export const MAX_READ = 255 * 1024;
/** Names per READDIR reply. */
const DIR_BATCH = 100;
/** Requests of one session running at once (each is a tool in the container, or waits for one). */
export const MAX_IN_FLIGHT = 16;
/** Requests of one session waiting to run; more are answered FAILURE at once. */
export const MAX_QUEUED = 1024;

interface DirHandle {
  readonly kind: 'dir';
  readonly path: string;
  readonly lister: DirLister;
}
interface Request {
  readonly id: number;
  readonly op: string;
  readonly fn: () => Promise<void>;
}
type Handle = { readonly kind: 'file'; readonly file: FileHandle } | DirHandle;

/**
 * Serves SFTP on an accepted channel. `ctx` may be a promise: the SSH server
 * must accept() the subsystem at once (ssh2 drops channel data that arrives
 * before accept(), and OpenSSH sends its INIT without waiting for the reply)
 * and may open the container meanwhile; requests wait until it is ready, and
 * fail with its error (then the channel closes) when it cannot be opened.
 */
export function serveSftp(sftp: SFTPWrapper, ctx: SftpContext | Promise<SftpContext>): void {
  const env = Promise.resolve(ctx).then((c) => ({ box: containerBox(c.tools, c.containerId), home: c.home, log: c.log }));
  new SftpSession(sftp, env).start();
}

export interface SessionEnv {
  readonly box: Box;
  readonly home: string;
  readonly log: Logger;
}

export class SftpSession {
  readonly #sftp: SFTPWrapper;
  readonly #ready: Promise<void>;
  #box!: Box;
  #home = '/';
  #log: Logger | undefined;
  readonly #handles = new Map<number, Handle>();
  /** OPEN/OPENDIR requests under way: they count against MAX_HANDLES already. */
  #opening = 0;
  #nextHandle = 1;
  #ended = false;
  readonly #queue: Request[] = [];
  #running = 0;
  #window: { release(): void } = { release: () => undefined };

  constructor(sftp: SFTPWrapper, env: SessionEnv | Promise<SessionEnv>) {
    this.#sftp = sftp;
    this.#ready = Promise.resolve(env).then((e) => {
      this.#box = e.box;
      this.#home = e.home;
      this.#log = e.log;
    });
    // Cannot serve without the container: answer what was asked, then close the channel.
    this.#ready.catch(() => setTimeout(() => closeChannel(sftp, 1), 100));
  }

  start(): void {
    const s = this.#sftp;
    const p = (path: string) => resolvePath(this.#home, path);
    this.#window = holdWindow(s, () => this.#queue.length >= MAX_IN_FLIGHT);
    s.on('OPEN', (id: number, filename: string, flags: number, attrs: ClientAttrs) =>
      this.#do(id, 'open', () =>
        this.#opened(async () => {
          const f = new FileHandle(this.#box, p(filename), flags);
          await f.open(attrs.mode);
          if (this.#ended) {
            f.abort();
            return;
          }
          s.handle(id, this.#add({ kind: 'file', file: f }));
        }),
      ),
    );
    s.on('READ', (id: number, handle: Buffer, offset: number, len: number) =>
      this.#do(id, 'read', async () => {
        const data = await this.#file(handle).read(offset, Math.min(len, MAX_READ));
        if (data === null) s.status(id, STATUS.EOF);
        else s.data(id, data);
      }),
    );
    s.on('WRITE', (id: number, handle: Buffer, offset: number, data: Buffer) =>
      this.#do(id, 'write', async () => {
        await this.#file(handle).write(offset, data);
        s.status(id, STATUS.OK);
      }),
    );
    s.on('FSTAT', (id: number, handle: Buffer) =>
      this.#do(id, 'fstat', async () => {
        const f = this.#file(handle);
        if (f.writable) await f.flush();
        s.attrs(id, await this.#stat(f.path, true));
      }),
    );
    s.on('FSETSTAT', (id: number, handle: Buffer, attrs: ClientAttrs) =>
      this.#do(id, 'fsetstat', async () => {
        const f = this.#file(handle);
        if (f.writable) await f.flush();
        await this.#setstat(f.path, attrs);
        s.status(id, STATUS.OK);
      }),
    );
    s.on('CLOSE', (id: number, handle: Buffer) =>
      this.#do(id, 'close', async () => {
        const h = this.#get(handle);
        this.#handles.delete(handle.readUInt32BE(0));
        if (h.kind === 'file') await h.file.close();
        else h.lister.close();
        s.status(id, STATUS.OK);
      }),
    );
    s.on('OPENDIR', (id: number, path: string) =>
      this.#do(id, 'opendir', () =>
        this.#opened(async () => {
          const dir = p(path);
          const lister = new DirLister(await this.#box.run('sh', shArgs(LIST_SCRIPT, [dir, STAT_FORMAT])));
          try {
            await lister.ready;
          } catch (err) {
            lister.close();
            throw err;
          }
          if (this.#ended) {
            lister.close();
            return;
          }
          s.handle(id, this.#add({ kind: 'dir', path: dir, lister }));
        }),
      ),
    );
    s.on('READDIR', (id: number, handle: Buffer) =>
      this.#do(id, 'readdir', async () => {
        const h = this.#get(handle);
        if (h.kind !== 'dir') throw new SftpStatusError(STATUS.FAILURE, 'Not a directory handle.');
        const page = await h.lister.next(DIR_BATCH);
        if (!page) {
          s.status(id, STATUS.EOF);
          return;
        }
        const now = Date.now() / 1000;
        s.name(
          id,
          page.map((rec): FileEntry => ({ filename: rec.name, longname: longName(rec, now), attrs: toAttributes(rec.attrs) })),
        );
      }),
    );
    s.on('STAT', (id: number, path: string) =>
      this.#do(id, 'stat', async () => {
        s.attrs(id, await this.#stat(p(path), true));
      }),
    );
    s.on('LSTAT', (id: number, path: string) =>
      this.#do(id, 'lstat', async () => {
        s.attrs(id, await this.#stat(p(path), false));
      }),
    );
    s.on('REMOVE', (id: number, path: string) =>
      this.#do(id, 'remove', async () => {
        await mustRun(this.#box, 'unlink', [p(path)], 'remove');
        s.status(id, STATUS.OK);
      }),
    );
    s.on('RMDIR', (id: number, path: string) =>
      this.#do(id, 'rmdir', async () => {
        await mustRun(this.#box, 'rmdir', [p(path)], 'rmdir');
        s.status(id, STATUS.OK);
      }),
    );
    s.on('MKDIR', (id: number, path: string, attrs: ClientAttrs) =>
      this.#do(id, 'mkdir', async () => {
        const mode = attrs.mode === undefined ? [] : ['-m', newFileMode(attrs.mode)];
        await mustRun(this.#box, 'mkdir', [...mode, p(path)], 'mkdir');
        s.status(id, STATUS.OK);
      }),
    );
    s.on('RENAME', (id: number, from: string, to: string) =>
      this.#do(id, 'rename', async () => {
        await mustRun(this.#box, 'sh', shArgs(RENAME_SCRIPT, [p(from), p(to)]), 'rename');
        s.status(id, STATUS.OK);
      }),
    );
    s.on('READLINK', (id: number, path: string) =>
      this.#do(id, 'readlink', async () => {
        const target = (await mustRun(this.#box, 'readlink', ['-n', '-v', p(path)], 'readlink')).toString('utf8');
        s.name(id, [{ filename: target, longname: target, attrs: {} as Attributes }]);
      }),
    );
    // ssh2 hands over (link path, target) whichever order the client used on the wire (OpenSSH swaps them).
    s.on('SYMLINK', (id: number, linkPath: string, target: string) =>
      this.#do(id, 'symlink', async () => {
        checkPath(target);
        await mustRun(this.#box, 'ln', ['-s', '-T', '--', target, p(linkPath)], 'symlink');
        s.status(id, STATUS.OK);
      }),
    );
    s.on('REALPATH', (id: number, path: string) =>
      this.#do(id, 'realpath', async () => {
        const abs = p(path);
        s.name(id, [{ filename: abs, longname: abs, attrs: {} as Attributes }]);
      }),
    );
    s.on('SETSTAT', (id: number, path: string, attrs: ClientAttrs) =>
      this.#do(id, 'setstat', async () => {
        await this.#setstat(p(path), attrs);
        s.status(id, STATUS.OK);
      }),
    );
    const end = () => this.#end();
    s.on('end', end);
    s.on('close', end);
    s.on('error', (err: Error) => {
      this.#log?.debug({ event: 'sftp_error', err: err.message }, 'sftp channel error');
      end();
    });
  }

  /**
   * Queues one request (in arrival order; MAX_IN_FLIGHT run at once) and answers it with the mapped status
   * when it fails. A full queue answers FAILURE at once, costing nothing.
   */
  #do(id: number, op: string, fn: () => Promise<void>): void {
    if (this.#ended) return;
    if (this.#queue.length >= MAX_QUEUED) {
      this.#fail(id, op, new SftpStatusError(STATUS.FAILURE, 'Too many requests at once.'));
      return;
    }
    this.#queue.push({ id, op, fn });
    this.#pump();
  }

  #pump(): void {
    while (this.#running < MAX_IN_FLIGHT && this.#queue.length > 0) {
      const r = this.#queue.shift()!;
      this.#running++;
      this.#ready
        .then(() => (this.#ended ? undefined : r.fn()))
        .catch((err: unknown) => this.#fail(r.id, r.op, err))
        .finally(() => {
          this.#running--;
          this.#pump();
          this.#window.release();
        });
    }
  }

  #fail(id: number, op: string, err: unknown): void {
    const st = toStatus(err);
    if (err instanceof SftpStatusError) this.#log?.debug({ event: 'sftp_op_failed', op, code: st.code, reason: st.message }, 'sftp operation failed');
    else this.#log?.warn({ event: 'sftp_op_error', op, err }, 'sftp operation error');
    if (this.#ended) return;
    try {
      this.#sftp.status(id, st.code, st.message);
    } catch {
      /* channel gone */
    }
  }

  /** Runs an OPEN/OPENDIR holding a handle place from the start, so concurrent opens cannot pass MAX_HANDLES. */
  async #opened(fn: () => Promise<void>): Promise<void> {
    if (this.#handles.size + this.#opening >= MAX_HANDLES) throw new SftpStatusError(STATUS.FAILURE, 'Too many open files.');
    this.#opening++;
    try {
      await fn();
    } finally {
      this.#opening--;
    }
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const h of this.#handles.values())
      if (h.kind === 'file') h.file.abort();
      else h.lister.close();
    this.#handles.clear();
    this.#queue.length = 0;
    closeChannel(this.#sftp, 0);
  }

  #add(h: Handle): Buffer {
    const n = this.#nextHandle++ >>> 0;
    this.#handles.set(n, h);
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n, 0);
    return b;
  }

  #get(handle: Buffer): Handle {
    const h = handle.length === 4 ? this.#handles.get(handle.readUInt32BE(0)) : undefined;
    if (!h) throw new SftpStatusError(STATUS.FAILURE, 'Invalid handle.');
    return h;
  }

  #file(handle: Buffer): FileHandle {
    const h = this.#get(handle);
    if (h.kind !== 'file') throw new SftpStatusError(STATUS.FAILURE, 'Not a file handle.');
    return h.file;
  }

  async #stat(path: string, follow: boolean): Promise<Attributes> {
    const out = await mustRun(this.#box, 'stat', [...(follow ? ['-L'] : []), '-c', STAT_FORMAT, path], 'stat');
    const rec = parseStatRecords(out.toString('utf8'))[0];
    if (!rec) throw new SftpStatusError(STATUS.FAILURE, 'The file attributes could not be read.');
    return toAttributes(rec.attrs);
  }

  async #setstat(path: string, a: ClientAttrs): Promise<void> {
    const args = setstatArgs(path, a);
    if (!args) {
      await this.#stat(path, true);
      return;
    }
    await mustRun(this.#box, 'sh', shArgs(SETSTAT_SCRIPT, args), 'setstat');
  }
}

/**
 * Closes the channel as sshd does when sftp-server exits: exit-status, EOF,
 * close. scp treats a channel closed without an exit status as a failure,
 * and ssh2's SFTP object has no exit(): its protocol object sends them.
 */
function closeChannel(sftp: SFTPWrapper, status: number): void {
  const ch = sftp as unknown as {
    outgoing?: { id: number; state: string };
    _protocol?: { exitStatus?(id: number, s: number): void; channelEOF?(id: number): void };
  };
  try {
    if (ch.outgoing?.state === 'open' && ch._protocol) {
      ch._protocol.exitStatus?.(ch.outgoing.id, status);
      ch._protocol.channelEOF?.(ch.outgoing.id);
      ch.outgoing.state = 'eof';
    }
  } catch {
    /* gone */
  }
  try {
    sftp.end();
  } catch {
    /* gone */
  }
}
