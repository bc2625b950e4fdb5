import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Public } from '../http/auth.guard.js';
import { HttpError } from '../http/error.filter.js';

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml; charset=utf-8',
};

/**
 * The static files live beside the sources and are not compiled: from `src/ui/` and from
 * `dist/ui/` alike, `../../src/ui/public` is the same folder.
 */
const PUBLIC = fileURLToPath(new URL('../../src/ui/public/', import.meta.url));

/** The browser modules the UI imports by bare name, mapped to files in node_modules. */
function vendorFiles(): Record<string, string> {
  const require = createRequire(import.meta.url);
  return {
    'preact.mjs': require.resolve('preact'),
    'hooks.mjs': require.resolve('preact/hooks'),
    'htm.mjs': join(dirname(require.resolve('htm')), 'htm.mjs'),
  };
}

function asset(path: string): Asset {
  const body = readFileSync(path);
  return {
    body,
    type: TYPES[extname(path)] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
  };
}

/** The CSP allows exactly the inline import map of index.html and nothing else inline but styles. */
function contentSecurityPolicy(html: string): string {
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
  const hash = createHash('sha256').update(importMap).digest('base64');
  return [
    "default-src 'self'",
    `script-src 'self' 'sha256-${hash}'`,
    // Diagrams are inline SVG that carry their own <style>.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

let loaded: { files: Map<string, Asset>; vendor: Map<string, Asset>; csp: string } | undefined;

function assets(): NonNullable<typeof loaded> {
  if (loaded) return loaded;
  const files = new Map(readdirSync(PUBLIC).map((name) => [name, asset(join(PUBLIC, name))]));
  const vendor = new Map(Object.entries(vendorFiles()).map(([name, path]) => [name, asset(path)]));
  const csp = contentSecurityPolicy(files.get('index.html')?.body.toString('utf8') ?? '');
  loaded = { files, vendor, csp };
  return loaded;
}

/** The web UI: `GET /` and its static files, open without a key (the UI asks for one). */
@ApiExcludeController()
@Public()
@Controller()
export class UiController {
  @Get()
  index(@Req() request: Request, @Res() response: Response): void {
    const { files, csp } = assets();
    response.setHeader('content-security-policy', csp);
    send(request, response, files.get('index.html'), 'index.html');
  }

  @Get('ui/vendor/:file')
  vendor(@Param('file') file: string, @Req() request: Request, @Res() response: Response): void {
    send(request, response, assets().vendor.get(file), `ui/vendor/${file}`);
  }

  @Get('ui/:file')
  file(@Param('file') file: string, @Req() request: Request, @Res() response: Response): void {
    send(request, response, file === 'index.html' ? undefined : assets().files.get(file), `ui/${file}`);
  }
}

function send(request: Request, response: Response, found: Asset | undefined, path: string): void {
  if (!found) throw new HttpError(404, 'not_found', `${path} not found`);
  response.setHeader('content-type', found.type);
  response.setHeader('cache-control', 'no-cache');
  response.setHeader('etag', found.etag);
  response.setHeader('x-content-type-options', 'nosniff');
  if (request.headers['if-none-match'] === found.etag) {
    response.status(304).end();
    return;
  }
  response.status(200).send(found.body);
}
