import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { CLI } from '../helpers/cli.js';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

export interface WebProcess {
  child: ChildProcess;
  /** The address printed at start, with the token. */
  url: string;
  origin: string;
  token: string;
  output(): string;
  /** SIGTERM and wait; SIGKILL by pid after 10 s. Safe to call twice. */
  stop(): Promise<void>;
}

/** `jobctl web ARGS` as a real process on a free loopback port; resolves once it printed its address. */
export async function startWeb(args: string[], env: Record<string, string>): Promise<WebProcess> {
  const port = await freePort();
  let out = '';
  const child = spawn(process.execPath, [CLI, 'web', '--listen', `127.0.0.1:${port}`, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
  };
  const found = await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`jobctl web exited ${child.exitCode}: ${out}`);
    return /(https?:\/\/\S+\?token=\S+)/.exec(out)?.[1] ?? '';
  }, 20_000, 'jobctl web to print its address').catch(async (e: unknown) => {
    await stop();
    throw e;
  });
  const url = String(found);
  const u = new URL(url);
  return { child, url, origin: u.origin, token: u.searchParams.get('token')!, output: () => out, stop };
}

/** A plain HTTP request (node:http: any header, Host included, as a forger would send it). */
export function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
