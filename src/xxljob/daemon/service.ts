import os from 'node:os';
import path from 'node:path';
import { expandEnv } from '../../shared/env-ref.js';
import { wireFor, type RegistryParam } from '../core/wire.js';
import { parseListen } from '../../config/host/listen.js';
import { AdminClient } from '../runtime/admin-client.js';
import { CallbackStore } from '../runtime/callback-store.js';
import { ExecutorServer } from '../runtime/executor-server.js';
import { errorMessage } from '../../shared/errors.js';
import { NotRegularFileError, readRegularFile } from '../../runtime/regular-file.js';
import type { XxlJobStatus } from '../../shared/protocol.js';
import type { HostSettings, XxlJobSettings } from '../../shared/types.js';
import type { HostService } from '../../daemon/host-service.js';
import { CallbackSender } from './callback-sender.js';
import { XxlExecutor } from './executor.js';
import { Registrar } from './registrar.js';
import type { XxlRunPort } from './run-port.js';

/** How often a listen address in use is tried again. */
const LISTEN_RETRY_MS = 5000;

type ErrorSource = 'settings' | 'server' | 'registry' | 'callback';

interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface XxlJobServiceOptions {
  /** The daemon's state/ directory: pending callbacks live under `xxljob/` in it. */
  stateDir: string;
  port: XxlRunPort;
  log: Log;
  /** Registration interval. @default 30000 */
  registryIntervalMs?: number;
  /** First callback retry delay. @default 1000 */
  callbackRetryBaseMs?: number;
  /** Longest callback retry delay. @default 30000 */
  callbackRetryMaxMs?: number;
  /** Environment for `${VAR}` in access_token. @default process.env */
  env?: Record<string, string | undefined>;
}

/**
 * Executor mode for an xxl-job admin (`xxljob:` in jobctl.yaml): the HTTP server, the
 * registration loop, the callback sender, and the executor behind them. Applied live: a
 * token or version change reconfigures the server in place; a new listen address moves it;
 * `xxljob:` removed stops serving and unregisters, while undelivered callbacks wait on disk.
 */
export class XxlJobService implements HostService {
  readonly name = 'xxljob';
  private settings: XxlJobSettings | undefined;
  private server: ExecutorServer | undefined;
  /** Where the server was asked to listen (its port may differ when 0 was asked). */
  private serverAt: { host: string; port: number } | undefined;
  private registrar: Registrar | undefined;
  private regKey = '';
  private executor: XxlExecutor | undefined;
  private sender: CallbackSender | undefined;
  private error: { message: string; at: number; source: ErrorSource } | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: XxlJobServiceOptions) {}

  async apply(all: HostSettings): Promise<void> {
    if (this.closed) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const s = all.xxljob;
    this.settings = s;
    this.error = undefined;
    if (!s) {
      await this.stopServing();
      return;
    }
    // Blanks around it are no part of a token (HTTP drops them from the header; a literal one is trimmed
    // when the file is read): a variable holding "sesame\n" means "sesame".
    const { text: expanded, missing } = expandEnv(s.accessToken ?? '', this.opts.env ?? process.env);
    const token = expanded.trim();
    if (missing.length) {
      await this.stopServing();
      this.fail(`xxljob.access_token: environment variable ${missing.join(', ')} is not set; the executor is not serving until it is`, 'settings');
      return;
    }
    if (s.accessToken !== undefined && token === '') {
      // An empty token would switch the token check off (xxl-job checks only a non-blank one): as unset, not as "no token".
      await this.stopServing();
      this.fail(`xxljob.access_token: "${s.accessToken}" is empty once expanded; the executor is not serving until it has a token (or access_token is removed)`, 'settings');
      return;
    }
    const ca = readCaFile(s.caFile);
    if (typeof ca === 'object') {
      await this.stopServing();
      this.fail(ca.error, 'settings');
      return;
    }
    const wire = wireFor(s.version);
    this.ensureExecutor();
    const listen = parseListen(s.listen)!;
    if (this.server && (this.serverAt?.host !== listen.host || (listen.port !== 0 && this.serverAt?.port !== listen.port))) {
      await this.server.close();
      this.server = undefined;
    }
    if (this.server) this.server.configure(wire, token || undefined);
    else {
      try {
        this.server = await ExecutorServer.start({
          host: listen.host, port: listen.port, wire, ...(token ? { token } : {}),
          endpoints: this.executor!, onError: (m) => this.opts.log.error(m),
        });
        this.serverAt = listen;
        this.opts.log.info(`xxljob: executor "${s.appname}" listening on ${listen.host}:${this.server.port} (wire version ${s.version})`);
        if (!token && !isLoopback(listen.host)) {
          this.opts.log.warn(`xxljob: no access_token while listening on ${listen.host}: whoever reaches this port can trigger the tasks with an xxljob handler; set access_token (the admin's xxl.job.accessToken)`);
        }
      } catch (e) {
        await this.stopRegistrar(true);
        this.fail(`${errorMessage(e)} (trying again every ${LISTEN_RETRY_MS / 1000} s)`, 'server');
        // The address may free up: try again with the same settings until it does or they change.
        this.retryTimer = setTimeout(() => void this.apply(all), LISTEN_RETRY_MS);
        this.retryTimer.unref();
        return;
      }
    }
    const client = new AdminClient({ admins: s.admin, wire, ...(token ? { token } : {}), ...(ca !== undefined ? { ca } : {}) });
    this.sender!.setClient(client);
    const param: RegistryParam = { registryGroup: 'EXECUTOR', registryKey: s.appname, registryValue: s.address ?? defaultAddress(listen.host, this.server.port) };
    const key = JSON.stringify([param, s.admin, token, s.version, ca]);
    if (key !== this.regKey) {
      await this.stopRegistrar(true);
      this.regKey = key;
      this.registrar = new Registrar({
        client, param, intervalMs: this.opts.registryIntervalMs ?? 30_000,
        onError: (m) => this.fail(m, 'registry'),
        onRegistered: (admin) => {
          this.clear('registry');
          this.opts.log.info(`xxljob: registered ${param.registryValue} as "${s.appname}" at ${admin}`);
          this.sender?.kick();
        },
      });
      this.registrar.start();
    }
  }

  private ensureExecutor(): void {
    if (this.executor) return;
    const dir = path.join(this.opts.stateDir, 'xxljob');
    const store = new CallbackStore(path.join(dir, 'callbacks'), (w) => this.opts.log.warn(w));
    this.sender = new CallbackSender({
      store,
      retryBaseMs: this.opts.callbackRetryBaseMs ?? 1000,
      retryMaxMs: this.opts.callbackRetryMaxMs ?? 30_000,
      onError: (m) => this.fail(m, 'callback'),
      onDelivered: () => this.clear('callback'),
    });
    this.executor = new XxlExecutor({ port: this.opts.port, report: (item) => this.sender!.enqueue(item), outstandingFile: path.join(dir, 'outstanding.jsonl'), glueDir: path.join(dir, 'glue') });
  }

  private fail(message: string, source: ErrorSource): void {
    if (this.error?.message !== message) this.opts.log.warn(message);
    this.error = { message, at: Date.now(), source };
  }

  /** A problem of this source is over (registered again, callbacks delivered). */
  private clear(source: ErrorSource): void {
    if (this.error?.source === source) this.error = undefined;
  }

  private async stopRegistrar(remove: boolean): Promise<void> {
    const r = this.registrar;
    this.registrar = undefined;
    this.regKey = '';
    await r?.close(remove);
  }

  private async stopServing(): Promise<void> {
    await this.stopRegistrar(true);
    await this.server?.close();
    this.server = undefined;
    this.serverAt = undefined;
    this.sender?.setClient(undefined);
  }

  info(): XxlJobStatus | undefined {
    if (!this.settings && !this.sender?.pending) return undefined;
    const s = this.settings;
    const reg = this.registrar?.status;
    const err = this.error ?? (reg?.lastError && !reg.registered ? { message: reg.lastError, at: reg.lastErrorAt ?? 0 } : undefined);
    return {
      enabled: s !== undefined,
      ...(s ? { appname: s.appname, admin: s.admin, version: s.version } : {}),
      ...(this.server && this.serverAt ? { listen: `${this.serverAt.host}:${this.server.port}` } : {}),
      ...(this.registrar ? { address: this.registrar.address } : {}),
      registered: reg?.registered ?? false,
      ...(reg?.lastRegisteredAt !== undefined ? { lastRegisteredAt: reg.lastRegisteredAt } : {}),
      ...(err ? { lastError: err.message, lastErrorAt: err.at } : {}),
      pendingCallbacks: this.sender?.pending ?? 0,
      activeRuns: this.executor?.waiting ?? 0,
      delivered: this.sender?.delivered ?? 0,
    };
  }

  /** Unregister, stop serving, stop retrying (pending callbacks stay on disk). Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.stopServing();
    await this.sender?.close();
    this.executor?.close();
  }
}

/** A CA bundle (/etc/ssl/certs/ca-certificates.crt) is a few hundred KB. */
const MAX_CA_FILE = 4 * 1024 * 1024;

/**
 * The PEM text of `ca_file`, undefined without one, or why it cannot be used. Read on the
 * daemon's loop at each settings change: a FIFO at its path is refused, never waited on.
 */
function readCaFile(file: string | undefined): string | undefined | { error: string } {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readRegularFile(file, { max: MAX_CA_FILE });
  } catch (e) {
    return { error: `xxljob.ca_file: cannot read ${file}: ${errorMessage(e)}${e instanceof NotRegularFileError ? '; point ca_file at a PEM file' : ''}; the executor is not serving until it can` };
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) return { error: `xxljob.ca_file: ${file} holds no PEM certificate ("-----BEGIN CERTIFICATE-----"); the executor is not serving until it does` };
  return text;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** `http://ip:port/`: a wildcard listen host becomes this host's first non-loopback IPv4. */
export function defaultAddress(host: string, port: number): string {
  let ip = host;
  if (host === '0.0.0.0' || host === '::' || host === '') {
    ip = '127.0.0.1';
    for (const list of Object.values(os.networkInterfaces())) {
      const found = list?.find((a) => a.family === 'IPv4' && !a.internal);
      if (found) {
        ip = found.address;
        break;
      }
    }
  }
  return `http://${ip.includes(':') ? `[${ip}]` : ip}:${port}/`;
}
