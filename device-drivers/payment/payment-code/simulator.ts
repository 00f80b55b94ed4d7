// The acquirer's payment-code gateway on a loopback HTTP port: verifies request
// signatures, charges wallets (codes ending 0000 need the shopper to confirm on the
// phone for a few polls; codes ending 9999 have no funds), answers order queries and
// reversals, and fails on request: answer lost after charging, a 500, a bad signature.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenLoopback } from '../../core/sim-io.js';
import { sign, verify } from './gateway.js';

export type GatewayFault = 'lose-answer' | 'server-error' | 'bad-signature';

interface Order {
  reference: string;
  code: string;
  amountFen: number;
  state: 'USERPAYING' | 'SUCCESS' | 'PAYERROR' | 'REVOKED';
  txId: string;
  pollsLeft: number;
}

export class GatewaySimulator {
  private server: Server | null = null;
  private readonly orders = new Map<string, Order>();
  private faults: GatewayFault[] = [];
  private seq = 0;
  /** polls before a USERPAYING order completes */
  confirmPolls = 2;
  rejectedSignatures = 0;
  port = 0;

  constructor(private readonly key: string) {}

  async listen(port = 0): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.port = await listenLoopback(this.server, port);
    return `http://127.0.0.1:${this.port}/`;
  }

  inject(...faults: GatewayFault[]): void {
    this.faults.push(...faults);
  }

  /** What each shopper's wallet was charged, per payment reference. */
  charges(): Map<string, number> {
    const out = new Map<string, number>();
    for (const o of this.orders.values()) if (o.state === 'SUCCESS') out.set(o.reference, o.amountFen);
    return out;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const reply = (status: number, payload: Record<string, unknown>, badSig = false) => {
      const text = JSON.stringify(payload);
      res.writeHead(status, {
        'content-type': 'application/json',
        'x-signature': badSig ? sign('wrong-key', text) : sign(this.key, text),
      });
      res.end(text);
    };
    if (!verify(this.key, body, req.headers['x-signature'] as string | undefined)) {
      this.rejectedSignatures++;
      return reply(400, { err_code: 'SIGNERROR' });
    }
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return reply(400, { err_code: 'PARAM_ERROR' });
    }
    const fault = req.url === '/micropay' ? this.faults.shift() : undefined;
    if (fault === 'server-error') return reply(500, { err_code: 'SYSTEMERROR' });
    const answer = this.route(req.url ?? '', m);
    if (fault === 'lose-answer') {
      req.socket.destroy(); // charged, but the answer never leaves
      return;
    }
    reply(200, answer, fault === 'bad-signature');
  }

  private route(url: string, m: Record<string, unknown>): Record<string, unknown> {
    const ref = String(m.out_trade_no ?? '');
    if (url === '/micropay') {
      const code = String(m.auth_code ?? '');
      const amount = Number(m.total_fee);
      if (this.orders.has(ref)) return { result: 'FAIL', err_code: 'OUT_TRADE_NO_USED' };
      if (!Number.isInteger(amount) || amount <= 0) return { result: 'FAIL', err_code: 'PARAM_ERROR' };
      if (code.endsWith('9999')) {
        this.orders.set(ref, this.order(ref, code, amount, 'PAYERROR'));
        return { result: 'FAIL', err_code: 'NOTENOUGH' };
      }
      const o = this.order(ref, code, amount, code.endsWith('0000') ? 'USERPAYING' : 'SUCCESS');
      this.orders.set(ref, o);
      return o.state === 'SUCCESS'
        ? { result: 'SUCCESS', transaction_id: o.txId, total_fee: amount }
        : { result: 'USERPAYING' };
    }
    const o = this.orders.get(ref);
    if (url === '/orderquery') {
      if (!o) return { err_code: 'ORDERNOTEXIST' };
      if (o.state === 'USERPAYING' && --o.pollsLeft <= 0) o.state = 'SUCCESS';
      return { trade_state: o.state, transaction_id: o.txId, total_fee: o.amountFen };
    }
    if (url === '/reverse') {
      if (!o) return { result: 'FAIL', err_code: 'ORDERNOTEXIST' };
      o.state = 'REVOKED';
      return { result: 'SUCCESS' };
    }
    return { err_code: 'NOT_FOUND' };
  }

  private order(reference: string, code: string, amountFen: number, state: Order['state']): Order {
    return { reference, code, amountFen, state, txId: `42000${++this.seq}`, pollsLeft: this.confirmPolls };
  }
}
