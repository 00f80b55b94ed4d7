// A wallet gateway simulator in the test process, as the real gateway is outside the
// store: its keys written where the daemon's config points, and the config lines.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newRsaKeyPair } from '../../device-drivers/payment/wallet/signing.js';
import { WalletGatewaySimulator } from '../../device-drivers/payment/wallet/simulator.js';

export const WALLET_APP_ID = 'wxpagetest0000001';
export const WALLET_MCH_ID = '1900000109';
export const WALLET_API_V3_KEY = 'page-api-v3-key-0123456789abcdef';

export interface WalletRig {
  sim: WalletGatewaySimulator;
  /** the daemon's config lines for this gateway (under payments:) */
  yaml: string;
}

/** Starts the simulator; `retryScale` shrinks its 24 h notification retry schedule. */
export async function startWalletGateway(
  o: { retryScale?: number; simulatedWallet?: boolean } = {},
): Promise<WalletRig> {
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-wallet-'));
  const merchant = newRsaKeyPair();
  const sim = new WalletGatewaySimulator({
    appId: WALLET_APP_ID,
    merchantId: WALLET_MCH_ID,
    merchantPublicKey: merchant.publicKey,
    apiV3Key: WALLET_API_V3_KEY,
    retryScale: o.retryScale ?? 0.01,
  });
  const url = await sim.listen();
  const merchantKeyFile = join(dir, 'merchant-key.pem');
  const platformKeyFile = join(dir, 'gateway-public.pem');
  writeFileSync(merchantKeyFile, merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
  });
  writeFileSync(platformKeyFile, sim.platform.publicKey.export({ type: 'spki', format: 'pem' }));
  const yaml = `payments:
  wallet:
    enabled: true
    url: ${url}
    appId: ${WALLET_APP_ID}
    merchantId: "${WALLET_MCH_ID}"
    merchantKeyFile: ${merchantKeyFile}
    platformKeyFile: ${platformKeyFile}
    apiV3Key: ${WALLET_API_V3_KEY}
    simulatedWallet: ${o.simulatedWallet ?? true}
`;
  return { sim, yaml };
}
