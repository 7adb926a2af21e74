/**
 * @file Child process for file.test.ts: atomicWrite()s `size` bytes, all equal to the iteration number (1..255),
 * to `target` forever, printing the iteration after each complete write, until killed.
 */
import { atomicWrite } from '../../src/io/file.js';

const [target, sizeArg] = process.argv.slice(2);
const size = Number(sizeArg);
const buf = new Uint8Array(size);
for (let i = 1; ; i++) {
  buf.fill((i % 255) + 1);
  atomicWrite(target, buf);
  process.stdout.write(`${i}\n`);
}
