/**
 * Eight random hex digits for a probe's run id (`scale-1a2b3c4d`). `node:crypto` is imported
 * on the first probe, not at start: a daemon whose tasks have no probes never loads it (it
 * initialises OpenSSL, ~2 MB resident; issue 28).
 */
export async function probeRunSuffix(): Promise<string> {
  const { randomUUID } = await import('node:crypto');
  return randomUUID().slice(0, 8);
}
