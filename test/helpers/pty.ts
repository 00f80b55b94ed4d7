// Pty pairs for tests come from the same helper the demo store's simulators use.
export { openPtyPair, type PtyPair } from '../../device-drivers/core/pty-pair.js';
