import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Injectable, SetMetadata, applyDecorators } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiConsumes } from '@nestjs/swagger';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './error.filter.js';

const ACCEPTS_XML = 'wfnet:accepts-xml';

/** `application/json` and `+json` types such as `application/merge-patch+json`. */
export const isJsonBody = (request: IncomingMessage): boolean =>
  /^\s*application\/([\w.-]+\+)?json\s*(;|$)/i.test(request.headers['content-type'] ?? '');

/** `application/xml`, `text/xml` and `+xml` types such as `application/pnml+xml`. */
export const isXmlBody = (request: IncomingMessage): boolean =>
  /^\s*(application|text)\/([\w.-]+\+)?xml\s*(;|$)/i.test(request.headers['content-type'] ?? '');

export const XML_TYPES = ['application/xml', 'text/xml', 'application/pnml+xml'];

/** The route takes PNML (an XML body) as well as JSON. */
export const AcceptsXml = () =>
  applyDecorators(SetMetadata(ACCEPTS_XML, true), ApiConsumes('application/json', ...XML_TYPES));

const hasBody = (request: IncomingMessage): boolean =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

/**
 * `415 unsupported_media_type` for a body that is not JSON (nor XML where a route takes PNML). A form or a
 * `text/plain` body is what a page of another site can make a browser send without asking first: it is
 * never read as JSON.
 */
@Injectable()
export class ContentTypeGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<IncomingMessage>();
    if (!hasBody(request) || isJsonBody(request)) return true;
    const xml = this.reflector.getAllAndOverride<boolean>(ACCEPTS_XML, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (xml && isXmlBody(request)) return true;
    const given = request.headers['content-type'];
    throw new HttpError(
      415,
      'unsupported_media_type',
      `${given === undefined ? 'a body without Content-Type' : `Content-Type ${given}`} is not accepted here: send application/json${xml ? ' or PNML as application/xml' : ''}`,
    );
  }
}
