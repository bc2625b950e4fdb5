/** An answer of the service: the status, the parsed JSON body (or the text when it is not JSON) and headers. */
export interface Reply<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly text: string;
  readonly headers: Headers;
}

/** The contract's error body. */
export interface ErrorBody {
  readonly statusCode: number;
  readonly code: string;
  readonly message: string;
  readonly details?: readonly { readonly path: string; readonly message: string; readonly rule?: string }[];
}

export interface RequestOptions {
  /** Sent as is, instead of the JSON of a body. */
  readonly rawBody?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A tiny fetch client of one running service; `key` is sent as `Authorization: Bearer <key>`. */
export interface Client {
  readonly baseUrl: string;
  get<T = unknown>(path: string, options?: RequestOptions): Promise<Reply<T>>;
  post<T = unknown>(path: string, body?: unknown, options?: RequestOptions): Promise<Reply<T>>;
  request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    options?: RequestOptions,
  ): Promise<Reply<T>>;
  withKey(key: string | undefined): Client;
}

export function createClient(baseUrl: string, key?: string): Client {
  const request = async <T>(
    method: string,
    path: string,
    body?: unknown,
    options: RequestOptions = {},
  ): Promise<Reply<T>> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (key !== undefined) headers['authorization'] = `Bearer ${key}`;
    let payload: string | undefined;
    if (options.rawBody !== undefined) payload = options.rawBody;
    else if (body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...headers, ...options.headers },
      ...(payload !== undefined && { body: payload }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (HTML, SVG, text): the text is the body.
    }
    return { status: response.status, body: parsed as T, text, headers: response.headers };
  };
  return {
    baseUrl,
    get: (path, options) => request('GET', path, undefined, options),
    post: (path, body, options) => request('POST', path, body, options),
    request,
    withKey: (other) => createClient(baseUrl, other),
  };
}
