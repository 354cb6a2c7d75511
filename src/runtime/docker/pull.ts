/**
 * Image pulls: splitting a reference into the Engine API's fromImage/tag, and
 * reading the JSON-lines progress stream (phase changes only, never byte
 * counters, so a trainee's screen is not flooded; an error line throws).
 */
/** Reads the JSON-lines pull stream; reports phase changes (not byte counters); throws on an error line. */
export async function readPullProgress(res: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, onProgress: (line: string) => void): Promise<void> {
  const utf8 = new TextDecoder();
  let buf = '';
  let last = '';
  const handle = (line: string): void => {
    if (!line.trim()) return;
    let j: { status?: string; id?: string; error?: string; errorDetail?: { message?: string } };
    try {
      j = JSON.parse(line) as typeof j;
    } catch {
      return;
    }
    if (j.error || j.errorDetail) throw new Error(j.errorDetail?.message ?? j.error ?? 'pull failed');
    if (!j.status || /^(Downloading|Extracting|Waiting|Verifying Checksum)$/.test(j.status)) return;
    const text = j.id ? `${j.id}: ${j.status}` : j.status;
    if (text !== last) {
      last = text;
      onProgress(text);
    }
  };
  for await (const chunk of res) {
    buf += typeof chunk === 'string' ? chunk : utf8.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      handle(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  }
  handle(buf);
}

/** `repo[:tag]` or `repo@digest` → fromImage and tag (default `latest`, never "all tags"). */
export function splitReference(ref: string): { repo: string; tag: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repo: ref.slice(0, at), tag: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: 'latest' };
}
