import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TuiBackend } from '../tui/backend.js';
import { WebApi } from './api.js';
import type { Asset } from './assets.js';
import type { WebAuth } from './auth.js';
import type { HostLinks } from './host-links.js';
import { BASE_HEADERS, sendError, sendThrown } from './http-util.js';
import type { WebHub } from './hub.js';
import type { WebListen } from './listen.js';
import { JobctlError } from '../shared/errors.js';

export interface WebServerOptions {
  listen: WebListen;
  auth: WebAuth;
  hub: WebHub;
  backend: TuiBackend;
  links: HostLinks;
  assets: Map<string, Asset>;
}

export interface RunningWebServer {
  server: http.Server;
  port: number;
  close(): Promise<void>;
}

/** The page may load only its own files and talk only to this server. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const LOGIN_PAGE = `<!doctype html><meta charset="utf-8"><title>jobctl web</title>
<body style="font:16px system-ui;margin:3em auto;max-width:40em">
<h1>jobctl web</h1><p>This page needs the address that <code>jobctl web</code> printed when it started
(it carries a one-time token, as Jupyter's does). Open that address again, or restart <code>jobctl web</code>.</p>`;

/**
 * The HTTP(S) server of `jobctl web`: the page's files, its API under /api, the token-to-cookie
 * exchange at `/?token=`. Nothing is served to a request whose Host is not this server; nothing
 * under /api without the cookie (or bearer token); no state change but by a POST from this
 * server's own origin.
 */
export async function startWebServer(o: WebServerOptions): Promise<RunningWebServer> {
  const api = new WebApi({ hub: o.hub, backend: o.backend, links: o.links });
  o.backend.setMaxListeners(0);
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    route(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendThrown(res, e);
      else res.end();
    });
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!o.auth.hostOk(req)) return sendError(res, 421, 'BAD_HOST', `this server answers to ${o.auth.origin} only`);
    const url = new URL(req.url ?? '/', o.auth.origin);
    const p = url.pathname;
    if (p === '/' || p === '/index.html') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'BAD_REQUEST', 'GET only');
      if (o.auth.tokenInUrl(url)) {
        // The token leaves the address bar (and the history) at once.
        res.writeHead(303, { ...BASE_HEADERS, location: '/', 'set-cookie': o.auth.cookie(), 'cache-control': 'no-store' });
        return void res.end();
      }
      if (!o.auth.authenticated(req)) {
        res.writeHead(401, { ...BASE_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        return void res.end(LOGIN_PAGE);
      }
      return serveAsset(res, 'index.html');
    }
    if (p.startsWith('/assets/')) return serveAsset(res, p.slice('/assets/'.length));
    if (!p.startsWith('/api/')) return sendError(res, 404, 'NOT_FOUND', `no page ${p}`);
    if (!o.auth.authenticated(req)) return sendError(res, 401, 'UNAUTHORIZED', 'open the address jobctl web printed (it carries the token)');
    if (req.method === 'POST') {
      if (!o.auth.originOk(req)) return sendError(res, 403, 'BAD_ORIGIN', 'a state-changing request must come from this server\'s own page');
      if (p === '/api/action') return api.action(req, res);
      return sendError(res, 404, 'NOT_FOUND', `no action ${p}`);
    }
    if (req.method !== 'GET') return sendError(res, 405, 'BAD_REQUEST', `${req.method} is not allowed here: reads are GET, actions POST /api/action`);
    switch (p) {
      case '/api/stream': return api.stream(res);
      case '/api/state': return sendJsonSnapshot(res);
      case '/api/task': return api.task(res, url);
      case '/api/log': return api.log(res, url);
      case '/api/log/stream': return api.logStream(res, url);
      default: return sendError(res, 404, 'NOT_FOUND', `no API ${p}`);
    }
  };

  const sendJsonSnapshot = (res: ServerResponse) => {
    const text = JSON.stringify(o.hub.snapshot());
    res.writeHead(200, { ...BASE_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(text);
  };

  const serveAsset = (res: ServerResponse, name: string) => {
    const a = o.assets.get(name);
    if (!a) return sendError(res, 404, 'NOT_FOUND', `no file ${name}`);
    res.writeHead(200, {
      ...BASE_HEADERS,
      'content-type': a.type,
      'content-length': a.body.length,
      'cache-control': name === 'index.html' ? 'no-store' : 'no-cache',
      ...(name === 'index.html' ? { 'content-security-policy': CSP } : {}),
    });
    res.end(a.body);
  };

  const server = o.listen.tls ? https.createServer({ cert: o.listen.tls.cert, key: o.listen.tls.key }, handler) : http.createServer(handler);
  // Server-sent streams stay open for as long as a page is.
  server.requestTimeout = 0;
  server.headersTimeout = 20_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(listenError(e, o.listen)));
    server.listen(o.listen.port, o.listen.host.replace(/^\[|\]$/g, ''), () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** Why the server could not listen, in a line that says what to do. */
function listenError(e: NodeJS.ErrnoException, l: WebListen): JobctlError {
  const where = `--listen ${l.host}:${l.port}`;
  if (e.code === 'EADDRINUSE') return new JobctlError('IO_ERROR', `${where}: the address is in use (another jobctl web?); choose another port, e.g. --listen ${l.host}:${l.port + 1}`);
  if (e.code === 'EACCES') return new JobctlError('PERMISSION_DENIED', `${where}: not allowed to listen there (ports below 1024 need root); choose a port above 1024`);
  if (e.code === 'EADDRNOTAVAIL') return new JobctlError('BAD_REQUEST', `${where}: this machine has no such address`);
  return new JobctlError('IO_ERROR', `${where}: ${e.message}`);
}
