// What every driver shares: an id, a state, and a 'state' event on each change that the
// supervisor listens to.
import { EventEmitter } from 'node:events';
import type { DeviceState } from './device.js';

export abstract class DeviceBase extends EventEmitter {
  private _state: DeviceState = 'closed';

  constructor(readonly id: string) {
    super();
  }

  get state(): DeviceState {
    return this._state;
  }

  protected setState(state: DeviceState, error?: string): void {
    this._state = state;
    this.emit('state', state, error);
  }

  /** closed without telling anyone (nothing was open) */
  protected markClosed(): void {
    this._state = 'closed';
  }
}
