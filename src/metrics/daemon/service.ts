import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '../../shared/errors.js';
import type { HostSettings, MetricsSettings } from '../../shared/types.js';
import type { HostService } from '../../daemon/host-service.js';
import type { MetricsCollector, MetricsSource } from './collector.js';

export interface MetricsServiceOptions {
  source: MetricsSource;
  log: { info(message: string): void; error(message: string): void };
}

export interface MetricsServiceInfo {
  /** Where /metrics is served, e.g. `http://127.0.0.1:9464/metrics`. */
  url?: string;
  /** Why it is not served (address in use…). */
  error?: string;
}

/**
 * `metrics: {listen}` in jobctl.yaml: an HTTP server with Prometheus text format at
 * /metrics. Off while the section is absent; a changed address moves the server; an
 * address that cannot be bound is reported (log, status) and retried at the next apply,
 * and the daemon runs on.
 */
export class MetricsService implements HostService {
  readonly name = 'metrics';
  private collector: MetricsCollector | undefined;
  private server: http.Server | undefined;
  private listening: MetricsSettings | undefined;
  private error: string | undefined;
  private closed = false;

  constructor(private readonly opts: MetricsServiceOptions) {}

  async apply(settings: HostSettings): Promise<void> {
    if (this.closed) return;
    const want = settings.metrics;
    if (this.listening && want && want.listen === this.listening.listen && !this.error) return;
    await this.stopServer();
    this.error = undefined;
    if (!want) return;
    if (!this.collector) {
      // prom-client is loaded only now: a daemon without `metrics:` never pays its memory.
      const { MetricsCollector } = await import('./collector.js');
      if (this.closed) return;
      this.collector ??= new MetricsCollector(this.opts.source);
    }
    // node:http too: a daemon without `metrics:` does not load it (~1–3 MB resident, issue 28).
    const { createServer } = await import('node:http');
    if (this.closed) return;
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5000;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(want.port, want.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      server.close();
      const code = (e as NodeJS.ErrnoException).code;
      this.error = `cannot listen on ${want.listen}: ${code === 'EADDRINUSE' ? 'the address is in use' : code === 'EADDRNOTAVAIL' ? 'no such address on this host' : errorMessage(e)}; change metrics.listen in jobctl.yaml`;
      this.opts.log.error(`metrics: ${this.error}`);
      this.listening = want;
      return;
    }
    server.on('error', (e) => this.opts.log.error(`metrics: ${errorMessage(e)}`));
    this.server = server;
    this.listening = want;
    this.opts.log.info(`metrics: serving ${this.url()}`);
  }

  private url(): string | undefined {
    const addr = this.server?.address() as AddressInfo | null | undefined;
    if (!addr) return undefined;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return `http://${host}:${addr.port}/metrics`;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('use GET /metrics\n');
      return;
    }
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('jobctl metrics: GET /metrics\n');
      return;
    }
    if (path !== '/metrics' || !this.collector) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    try {
      const body = await this.collector.metrics();
      res.writeHead(200, { 'content-type': this.collector.contentType }).end(req.method === 'HEAD' ? undefined : body);
    } catch (e) {
      this.opts.log.error(`metrics: collecting failed: ${errorMessage(e)}`);
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting failed: ${errorMessage(e)}\n`);
    }
  }

  info(): MetricsServiceInfo | undefined {
    if (!this.listening) return undefined;
    const url = this.url();
    return { ...(url ? { url } : {}), ...(this.error ? { error: this.error } : {}) };
  }

  private async stopServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.listening = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }

  /** Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    await this.stopServer();
    this.collector?.close();
    this.collector = undefined;
  }
}
