// One HTTP exchange with a payment gateway. No answer (timeout, refused, reset) and a
// 5xx are both a PaymentLinkError: the request may or may not have taken effect, so the
// caller asks about it by its reference rather than guess.
import { PaymentLinkError } from './provider.js';

export async function gatewayExchange(
  id: string,
  url: URL,
  init: RequestInit,
  timeoutMs: number,
  what: string,
): Promise<{ res: Response; text: string }> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    text = await res.text();
  } catch (e) {
    const timeout = (e as Error).name === 'TimeoutError';
    throw new PaymentLinkError(`${id}: ${what}: ${(e as Error).message}`, timeout ? 'TIMEOUT' : 'OFFLINE');
  }
  if (res.status >= 500) throw new PaymentLinkError(`${id}: ${what}: HTTP ${res.status}`, 'OFFLINE');
  return { res, text };
}
