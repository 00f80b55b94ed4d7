// Talking to the store's own API from its pages: JSON with the caller's credentials,
// and a server-sent-events reader over fetch (EventSource cannot send headers).

export const API = '/api/v1';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
  }
}

export async function call(method, path, { body, headers = {}, idempotent = method !== 'GET' } = {}) {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(idempotent ? { 'idempotency-key': crypto.randomUUID() } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const type = res.headers.get('content-type') ?? '';
  const data = type.includes('json') ? await res.json() : await res.blob();
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** Reads an SSE stream; calls onEvent(name, data) until aborted, reconnecting after a drop. */
export async function subscribe(path, headers, onEvent, signal, onState = () => {}) {
  while (!signal.aborted) {
    try {
      const res = await fetch(`${API}${path}`, {
        headers: { accept: 'text/event-stream', ...headers },
        signal,
      });
      if (!res.ok || !res.body) throw new ApiError(res.status, null);
      onState(true);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let cut = buf.indexOf('\n\n');
        while (cut >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          const name = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          if (data) onEvent(name, JSON.parse(data));
          cut = buf.indexOf('\n\n');
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && err.status === 401) throw err;
    }
    onState(false);
    await new Promise((r) => setTimeout(r, 2000));
  }
}
