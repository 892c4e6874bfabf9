import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { waitFor } from './wait.js';

/**
 * A small xxl-job admin for tests, written from shared/xxl-job.md: it serves
 * `/xxl-job-admin/api/{registry,registryRemove,callback}` (token checked, always HTTP 200 with
 * `code` in the body, `content` for wire version 2 and `data` for 3) and calls executors'
 * `/beat`, `/idleBeat`, `/run`, `/kill`, `/log` as the real admin does.
 */

export interface CallbackItem {
  logId: number;
  logDateTim: number;
  handleCode: number;
  handleMsg: string;
}

export interface ReturnT {
  code: number;
  msg: string | null;
  payload: unknown;
  /** The body as received. */
  raw: Record<string, unknown>;
}

export interface TriggerInput {
  jobId: number;
  logId: number;
  handler?: string;
  params?: string;
  block?: 'SERIAL_EXECUTION' | 'DISCARD_LATER' | 'COVER_EARLY';
  timeout?: number;
  glueType?: string;
  glueSource?: string;
  shardIndex?: number;
  shardTotal?: number;
}

export class TestAdmin {
  readonly registrations = new Map<string, Set<string>>();
  readonly removed: Array<{ key: string; value: string }> = [];
  readonly callbacks: CallbackItem[] = [];
  /** Requests refused for a wrong token. */
  refused = 0;
  private server: http.Server | undefined;
  port = 0;

  /** Requests that came without an XXL-JOB-ACCESS-TOKEN header (answered HTTP 400 with requireTokenHeader). */
  missingHeader = 0;

  /**
   * requireTokenHeader: as admins 3.3.0/3.3.1 (OpenApiController's `@RequestHeader` XXL-JOB-ACCESS-TOKEN,
   * required): a request without the header gets HTTP 400. tls: serve https with this key and certificate.
   */
  constructor(private readonly opts: { token?: string; version?: 2 | 3; requireTokenHeader?: boolean; tls?: { key: string; cert: string } } = {}) {}

  get base(): string {
    return `${this.opts.tls ? 'https' : 'http'}://127.0.0.1:${this.port}/xxl-job-admin`;
  }

  private get key(): 'content' | 'data' {
    return (this.opts.version ?? 2) === 2 ? 'content' : 'data';
  }

  /** Listen (again, on the same port after down()). */
  async up(): Promise<void> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const reply = (code: number, msg: string | null) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ code, msg, [this.key]: null }));
        };
        if (req.method !== 'POST') return reply(500, 'invalid request, HttpMethod not support.');
        if (req.headers['xxl-job-access-token'] === undefined) {
          this.missingHeader++;
          if (this.opts.requireTokenHeader) {
            res.writeHead(400, { 'content-type': 'application/json' });
            res.end('{"status":400,"error":"Bad Request","message":"Required request header \'XXL-JOB-ACCESS-TOKEN\' is not present"}');
            return;
          }
        }
        if (this.opts.token && req.headers['xxl-job-access-token'] !== this.opts.token) {
          this.refused++;
          return reply(500, 'The access token is wrong.');
        }
        const m = /^\/xxl-job-admin\/api\/(\w+)$/.exec(req.url ?? '');
        let data: unknown;
        try {
          data = JSON.parse(body);
        } catch {
          return reply(500, 'bad json');
        }
        switch (m?.[1]) {
          case 'registry': {
            const p = data as { registryGroup: string; registryKey: string; registryValue: string };
            if (p.registryGroup !== 'EXECUTOR') return reply(500, 'bad group');
            if (!this.registrations.has(p.registryKey)) this.registrations.set(p.registryKey, new Set());
            this.registrations.get(p.registryKey)!.add(p.registryValue);
            return reply(200, null);
          }
          case 'registryRemove': {
            const p = data as { registryKey: string; registryValue: string };
            this.registrations.get(p.registryKey)?.delete(p.registryValue);
            this.removed.push({ key: p.registryKey, value: p.registryValue });
            return reply(200, null);
          }
          case 'callback': {
            if (!Array.isArray(data)) return reply(500, 'callback must be an array');
            this.callbacks.push(...(data as CallbackItem[]));
            return reply(200, null);
          }
          default:
            return reply(500, `invalid request, uri-mapping(${m?.[1]}) not found.`);
        }
      });
    };
    const server = this.opts.tls ? https.createServer(this.opts.tls, handler) : http.createServer(handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stop answering (connections refused) until up(). */
  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }

  /** The one executor address registered for an app. */
  async executor(appname: string, timeoutMs = 15_000): Promise<string> {
    return (await waitFor(() => [...(this.registrations.get(appname) ?? [])][0], timeoutMs, `registration of ${appname}`))!;
  }

  async waitCallback(logId: number, timeoutMs = 20_000): Promise<CallbackItem> {
    return (await waitFor(() => this.callbacks.find((c) => c.logId === logId), timeoutMs, `callback for logId ${logId}`))!;
  }

  /** POST to an executor, as the admin's ExecutorBizClient does. */
  async call(address: string, path: string, body: unknown, opts: { token?: string | null; method?: string; raw?: string } = {}): Promise<ReturnT> {
    const token = opts.token === undefined ? this.opts.token : opts.token;
    const res = await fetch(new URL(path.replace(/^\//, ''), address), {
      method: opts.method ?? 'POST',
      headers: { 'content-type': 'application/json;charset=UTF-8', ...(token ? { 'XXL-JOB-ACCESS-TOKEN': token } : {}) },
      ...((opts.method ?? 'POST') === 'GET' ? {} : { body: opts.raw ?? JSON.stringify(body) }),
      signal: AbortSignal.timeout(60_000),
    });
    if (res.status !== 200) throw new Error(`executor answered HTTP ${res.status}`);
    const raw = (await res.json()) as Record<string, unknown>;
    return { code: raw.code as number, msg: (raw.msg as string | null) ?? null, payload: raw[this.key], raw };
  }

  trigger(address: string, t: TriggerInput): Promise<ReturnT> {
    return this.call(address, '/run', {
      jobId: t.jobId, executorHandler: t.handler ?? '', executorParams: t.params ?? '',
      executorBlockStrategy: t.block ?? 'SERIAL_EXECUTION', executorTimeout: t.timeout ?? 0,
      logId: t.logId, logDateTime: 1_700_000_000_000 + t.logId, glueType: t.glueType ?? 'BEAN',
      glueSource: t.glueSource ?? '', glueUpdatetime: 0, broadcastIndex: t.shardIndex ?? 0, broadcastTotal: t.shardTotal ?? 1,
    });
  }

  beat(address: string): Promise<ReturnT> {
    return this.call(address, '/beat', {});
  }

  idleBeat(address: string, jobId: number): Promise<ReturnT> {
    return this.call(address, '/idleBeat', { jobId });
  }

  kill(address: string, jobId: number): Promise<ReturnT> {
    return this.call(address, '/kill', { jobId });
  }

  log(address: string, logId: number, fromLineNum: number): Promise<ReturnT> {
    return this.call(address, '/log', { logDateTim: 1_700_000_000_000 + logId, logId, fromLineNum });
  }

  /** Page the whole log as the admin's UI does: from line 1 until isEnd. */
  async fullLog(address: string, logId: number, timeoutMs = 20_000): Promise<string> {
    let from = 1;
    let text = '';
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.log(address, logId, from);
      const page = r.payload as { fromLineNum: number; toLineNum: number; logContent: string; isEnd: boolean };
      text += page.logContent;
      if (page.toLineNum >= from) from = page.toLineNum + 1;
      if (page.isEnd) return text;
      if (Date.now() > deadline) throw new Error(`log of ${logId} did not end: ${text}`);
      await new Promise((r2) => setTimeout(r2, 100));
    }
  }

  async close(): Promise<void> {
    await this.down();
  }
}
