import { JobctlError, errorMessage, type ErrorCode } from '../shared/errors.js';
import type { JobctlClient } from './client.js';

/** One host of a fleet as the client reaches it. */
export interface FleetMember {
  name: string;
  labels: readonly string[];
  dial: () => Promise<JobctlClient>;
}

export type HostAnswer<T> =
  | { host: string; ok: true; value: T; ms: number }
  /** `code`: DAEMON_UNREACHABLE or TIMEOUT when the host did not answer; another code when it refused. */
  | { host: string; ok: false; error: string; code: ErrorCode; ms: number };

/** Whether a failed answer means the host was not reached (rather than a refusal). */
export function unreachableAnswer(a: HostAnswer<unknown>): boolean {
  return !a.ok && (a.code === 'DAEMON_UNREACHABLE' || a.code === 'TIMEOUT');
}

/**
 * The fleet's one timeout rule, for `fleet status` and the other fleet commands (askFleet)
 * as for the live fleet views (`tui --fleet`, `web`, through ClientBackend): a host has
 * `timeoutMs` to be reached and answer, else it is a TIMEOUT that says so. `onLate` runs
 * when the deadline passes first (the caller then closes what arrives late).
 */
export function answerWithin<T>(work: Promise<T>, timeoutMs: number, onLate: () => void = () => undefined): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onLate();
      reject(new JobctlError('TIMEOUT', `no answer within ${timeoutMs}ms`));
    }, timeoutMs);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Ask every host at once; each has `timeoutMs` to connect and answer. A host that does not
 * answer in time, or cannot be reached, is an answer that says why — never a hang. The
 * connection is closed after `fn` (a late one is closed when it arrives).
 *
 * `workMs`, for work that may take longer than the timeout (a start that waits until the task
 * runs): the host still has `timeoutMs` to be reached and answer (a `hello`), then `fn` has
 * `workMs`; a hung host is down within the fleet's timeout either way.
 */
export async function askFleet<T>(
  hosts: readonly FleetMember[],
  fn: (c: JobctlClient, host: FleetMember) => Promise<T>,
  timeoutMs: number,
  /** Leave the connection of a host that answered open (the caller keeps it, e.g. to follow logs). @default false */
  keepOpen = false,
  workMs?: number,
): Promise<Array<HostAnswer<T>>> {
  return Promise.all(hosts.map(async (h): Promise<HostAnswer<T>> => {
    const t0 = Date.now();
    let client: JobctlClient | undefined;
    let timedOut = false;
    const reached = (async () => {
      const c = await h.dial();
      if (timedOut) {
        c.close();
        throw new Error('late');
      }
      client = c;
      if (workMs !== undefined) await c.call('hello', { client: 'jobctl (fleet)' });
      return c;
    })();
    let work: Promise<T> | undefined;
    try {
      const value = workMs === undefined
        ? await answerWithin(work = reached.then((c) => fn(c, h)), timeoutMs, () => (timedOut = true))
        : await answerWithin(work = fn(await answerWithin(reached, timeoutMs, () => (timedOut = true)), h), workMs);
      if (!keepOpen) client?.close();
      return { host: h.name, ok: true, value, ms: Date.now() - t0 };
    } catch (e) {
      reached.catch(() => undefined);
      work?.catch(() => undefined);
      client?.close();
      return { host: h.name, ok: false, error: errorMessage(e), code: e instanceof JobctlError ? e.code : 'INTERNAL', ms: Date.now() - t0 };
    }
  }));
}
