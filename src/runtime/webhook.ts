/** POST JSON with a timeout and a few retries; never throws. */
export async function postJson(url: string, body: unknown, opts: { timeoutMs?: number; retries?: number; retryDelayMs?: number } = {}): Promise<{ status?: number; error?: string }> {
  const retries = opts.retries ?? 3;
  let last: { status?: number; error?: string } = {};
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, (opts.retryDelayMs ?? 1000) * 2 ** (attempt - 1)).unref());
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'jobctl' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { status: res.status };
      last = { status: res.status, error: `HTTP ${res.status}` };
      if (res.status < 500 && res.status !== 429) return last; // a client error will not fix itself
    } catch (e) {
      last = { error: (e as Error).message };
    }
  }
  return last;
}
