import type { Frame } from '../detector/letterbox.js';

export interface TimedFrame {
  frame: Frame;
  /** Capture time in ms: wall clock for cameras, position in the file for recordings. */
  t: number;
}

/** 'unauthorized': the camera refused the credentials in its URL (RTSP or HTTP 401/403);
 * retried on the reconnect schedule, as the password may be put right at the camera. */
export type SourceState = 'connecting' | 'streaming' | 'reconnecting' | 'unauthorized' | 'ended';

/** Where a camera's frames come from. Frames stay in memory; nothing is written. */
export interface FrameSource {
  readonly label: string;
  /** Frames until the source ends or `signal` aborts; reconnects on its own. */
  frames(signal: AbortSignal): AsyncIterable<TimedFrame>;
  state(): SourceState;
  /** Frames the consumer was too slow for and that were skipped (live sources only). */
  dropped(): number;
}
