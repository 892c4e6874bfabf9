import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import { JobctlError, errorMessage } from '../../shared/errors.js';
import {
  FAIL_CODE, MESSAGES, TOKEN_HEADER, describeBodyError, jobIdParamSchema, logParamSchema, triggerParamSchema,
  type LogParam, type LogResult, type TriggerParam, type Wire,
} from '../core/wire.js';

/** The Java executor's bound on a request body (EmbedServer: HttpObjectAggregator(5 * 1024 * 1024)). */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** What an endpoint answers: a ReturnT before the wire version shapes it. */
export interface Answer<T = unknown> {
  code: number;
  msg: string | null;
  payload?: T;
}

/** The executor's behaviour behind the HTTP endpoints (xxljob/daemon/executor.ts). */
export interface ExecutorEndpoints {
  beat(): Answer;
  idleBeat(jobId: number): Answer;
  run(param: TriggerParam): Answer | Promise<Answer>;
  kill(jobId: number): Answer | Promise<Answer>;
  log(param: LogParam): Answer<LogResult> | Promise<Answer<LogResult>>;
}

export interface ExecutorServerOptions {
  host: string;
  port: number;
  endpoints: ExecutorEndpoints;
  /** The wire version's body shape; can change while serving. */
  wire: Wire;
  /** Required token (already resolved); undefined or empty: no check, as in xxl-job. */
  token?: string;
  /** Largest request body read. @default 5 MiB, as the Java executor's HttpObjectAggregator (EmbedServer) */
  maxBodyBytes?: number;
  /** A fault worth a line in the daemon log (never thrown). */
  onError?: (message: string) => void;
}

/**
 * The executor's HTTP server (node:http): POST only, JSON bodies up to a bound, the token in
 * XXL-JOB-ACCESS-TOKEN, and always HTTP 200 with the outcome as `code` in the body, as the
 * Java executor answers. Bad input gets a protocol answer; nothing a client sends can throw
 * out of a handler.
 */
export class ExecutorServer {
  private readonly server: http.Server;
  private wire: Wire;
  private token: string | undefined;
  private readonly maxBody: number;
  private closing: Promise<void> | undefined;

  private constructor(private readonly opts: ExecutorServerOptions) {
    this.wire = opts.wire;
    this.token = opts.token || undefined;
    this.maxBody = opts.maxBodyBytes ?? MAX_BODY_BYTES;
    this.server = http.createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => this.onRequest(req, res));
    this.server.on('clientError', (_e, socket) => socket.destroy());
  }

  /** Listen; rejects with a coded error when the address cannot be bound. */
  static async start(opts: ExecutorServerOptions): Promise<ExecutorServer> {
    const s = new ExecutorServer(opts);
    await new Promise<void>((resolve, reject) => {
      const fail = (e: NodeJS.ErrnoException) => reject(new JobctlError('IO_ERROR', `xxljob: cannot listen on ${opts.host}:${opts.port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}; change listen in jobctl.yaml`, { cause: e }));
      s.server.once('error', fail);
      s.server.listen(opts.port, opts.host, () => {
        s.server.off('error', fail);
        s.server.on('error', (e) => opts.onError?.(`xxljob server: ${e.message}`));
        resolve();
      });
    });
    return s;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Change the wire version or token without a restart. */
  configure(wire: Wire, token: string | undefined): void {
    this.wire = wire;
    this.token = token || undefined;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.on('error', () => undefined);
    // What the head alone decides (method, token, declared size) is answered before any body is
    // read, and the body is then dropped: a peer without the token never makes us buffer.
    const early = this.refuseByHead(req);
    if (early && early.msg === this.tooLargeMsg) {
      // A body over the bound (an admin's huge GLUE source) gets the protocol's answer at once,
      // and the connection stays open while the rest is drained (not kept), so the sender reads
      // that answer instead of a broken pipe; a flood is cut off.
      let drained = 0;
      req.on('data', (c: Buffer) => {
        drained += c.length;
        if (drained > this.maxBody * 16) req.destroy();
      });
      this.reply(res, early);
      return;
    }
    if (early) {
      req.resume();
      this.reply(res, early, true);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > this.maxBody) {
        tooLarge = true;
        chunks.length = 0;
        // Keep draining so the client reads the answer; give up on a flood.
        if (size > this.maxBody * 16) req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      void this.answer(req, tooLarge ? undefined : Buffer.concat(chunks).toString('utf8'))
        .catch((e: unknown) => {
          this.opts.onError?.(`xxljob ${req.url}: ${errorMessage(e)}`);
          return { code: FAIL_CODE, msg: `request error: ${errorMessage(e)}` } satisfies Answer;
        })
        .then((a) => this.reply(res, a));
    });
  }

  private reply(res: http.ServerResponse, a: Answer, close = false): void {
    if (res.destroyed) return;
    const body = JSON.stringify(this.wire.result(a.code, a.msg, a.payload));
    res.writeHead(200, {
      'Content-Type': 'text/html;charset=UTF-8', 'Content-Length': Buffer.byteLength(body),
      ...(close ? { Connection: 'close' } : {}),
    });
    res.end(body);
  }

  /** The answer a request gets from its head alone, or undefined when its body must be read. */
  private refuseByHead(req: http.IncomingMessage): Answer | undefined {
    if (req.method !== 'POST') return { code: FAIL_CODE, msg: MESSAGES.methodNotSupported };
    const uri = (req.url ?? '').split('?')[0] ?? '';
    if (uri.trim() === '' || uri === '/') return { code: FAIL_CODE, msg: MESSAGES.uriEmpty };
    if (this.token !== undefined && !sameToken(this.token, req.headers[TOKEN_HEADER.toLowerCase()])) {
      return { code: FAIL_CODE, msg: MESSAGES.wrongToken };
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.maxBody) return { code: FAIL_CODE, msg: this.tooLargeMsg };
    return undefined;
  }

  private get tooLargeMsg(): string {
    return `invalid request, body larger than ${this.maxBody} bytes`;
  }

  private async answer(req: http.IncomingMessage, text: string | undefined): Promise<Answer> {
    const early = this.refuseByHead(req);
    if (early) return early;
    const uri = (req.url ?? '').split('?')[0] ?? '';
    if (text === undefined) return { code: FAIL_CODE, msg: this.tooLargeMsg };
    const p = this.wire.paths;
    const e = this.opts.endpoints;
    switch (uri) {
      case p.beat:
        return e.beat();
      case p.idleBeat:
        return withBody(text, jobIdParamSchema, (b) => e.idleBeat(b.jobId));
      case p.run:
        return withBody(text, triggerParamSchema, (b) => e.run(b));
      case p.kill:
        return withBody(text, jobIdParamSchema, (b) => e.kill(b.jobId));
      case p.log:
        return withBody(text, logParamSchema, (b) => e.log(b));
      default:
        return { code: FAIL_CODE, msg: MESSAGES.notFound(uri) };
    }
  }

  /** Stop listening and end open connections. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }
}

async function withBody<S extends z.ZodType>(text: string, schema: S, fn: (body: z.output<S>) => Answer | Promise<Answer>): Promise<Answer> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { code: FAIL_CODE, msg: `invalid request, body is not JSON: ${errorMessage(e)}` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { code: FAIL_CODE, msg: describeBodyError(parsed.error) };
  return fn(parsed.data);
}

function sameToken(want: string, got: string | string[] | undefined): boolean {
  if (typeof got !== 'string') return false;
  const a = Buffer.from(want);
  const b = Buffer.from(got);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
