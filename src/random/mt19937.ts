/**
 * @file MT19937 engine as in PyTorch's ATen/core/MT19937RNGEngine.h: standard init_genrand
 * seeding of the low 32 bits of the seed, lazy refill ("left"/"next") and tempering.
 */

export const MT_N = 624;
const MT_M = 397;
// As int32 (`| 0`): a literal above 2^31 - 1 is a double in V8, and a bitwise op with it ran 3-4x slower.
const MATRIX_A = 0x9908b0df | 0;
const UPPER = 0x80000000 | 0;
const LOWER = 0x7fffffff;
/** Tempering masks (as int32, see above). */
export const TEMPER_B = 0x9d2c5680 | 0;
export const TEMPER_C = 0xefc60000 | 0;

export class MT19937 {
  /** The 624 state words. */
  readonly state = new Uint32Array(MT_N);
  /** Words left before the next twist, plus one (PyTorch's `left_`); 1 right after seeding. */
  left = 1;
  /** Index of the next state word to temper (PyTorch's `next_`). */
  next = 0;

  constructor(seed32 = 5489) {
    this.seed(seed32);
  }

  /** init_genrand with a 32-bit seed (caller passes seed mod 2^32). */
  seed(seed32: number): void {
    const st = this.state;
    st[0] = seed32 >>> 0;
    for (let j = 1; j < MT_N; j++) {
      const p = st[j - 1] ^ (st[j - 1] >>> 30);
      st[j] = (Math.imul(1812433253, p) + j) >>> 0;
    }
    this.left = 1;
    this.next = 0;
  }

  /** Regenerate all 624 words in place (k ascending). Words are read as int32 (`| 0`), `-(b & 1) & MATRIX_A` is
   * the conditional xor without a branch. */
  twist(): void {
    const st = this.state;
    let k = 0;
    for (; k < MT_N - MT_M; k++) {
      const b = st[k + 1] | 0;
      const y = (st[k] & UPPER) | (b & LOWER);
      st[k] = (st[k + MT_M] | 0) ^ (y >>> 1) ^ (-(b & 1) & MATRIX_A);
    }
    for (; k < MT_N - 1; k++) {
      const b = st[k + 1] | 0;
      const y = (st[k] & UPPER) | (b & LOWER);
      st[k] = (st[k + MT_M - MT_N] | 0) ^ (y >>> 1) ^ (-(b & 1) & MATRIX_A);
    }
    const b = st[0] | 0;
    const y = (st[MT_N - 1] & UPPER) | (b & LOWER);
    st[MT_N - 1] = (st[MT_M - 1] | 0) ^ (y >>> 1) ^ (-(b & 1) & MATRIX_A);
    this.left = MT_N;
    this.next = 0;
  }

  /** One tempered 32-bit word (as a non-negative number). */
  nextU32(): number {
    if (--this.left === 0) this.twist();
    let y = this.state[this.next++] | 0;
    y ^= y >>> 11;
    y ^= (y << 7) & TEMPER_B;
    y ^= (y << 15) & TEMPER_C;
    y ^= y >>> 18;
    return y >>> 0;
  }
}
