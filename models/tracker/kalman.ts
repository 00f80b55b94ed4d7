// A constant-velocity Kalman filter for one coordinate (position, velocity). A box is
// four of them (centre x, centre y, width, height): with independent axes the 8×8
// SORT/ByteTrack filter reduces to these 2×2 ones, and time steps may vary (frames
// skipped by motion gating, cameras at uneven rates).

export class Kalman1D {
  x: number;
  v = 0;
  // covariance [[p00, p01], [p01, p11]]
  private p00: number;
  private p01 = 0;
  private p11: number;

  constructor(
    x0: number,
    private readonly posNoise: number,
    private readonly velNoise: number,
    private readonly measNoise: number,
  ) {
    this.x = x0;
    this.p00 = measNoise * 4;
    this.p11 = velNoise * 100;
  }

  predict(dt: number): void {
    this.x += this.v * dt;
    // P = F P Fᵀ + Q with F = [[1, dt], [0, 1]]
    const p00 = this.p00 + 2 * dt * this.p01 + dt * dt * this.p11 + this.posNoise * dt;
    const p01 = this.p01 + dt * this.p11;
    const p11 = this.p11 + this.velNoise * dt;
    this.p00 = p00;
    this.p01 = p01;
    this.p11 = p11;
  }

  update(z: number): void {
    const s = this.p00 + this.measNoise;
    const k0 = this.p00 / s;
    const k1 = this.p01 / s;
    const y = z - this.x;
    this.x += k0 * y;
    this.v += k1 * y;
    const p00 = (1 - k0) * this.p00;
    const p01 = (1 - k0) * this.p01;
    const p11 = this.p11 - k1 * this.p01;
    this.p00 = p00;
    this.p01 = p01;
    this.p11 = p11;
  }
}
