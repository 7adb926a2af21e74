/**
 * @file Line-by-line replies from a child process's stdout, for the persistent PyTorch peers (bench/peer.ts,
 * bench/train.ts): `next()` resolves with the next line, or '' once the process has exited or failed to start.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';

export class ChildLines {
  private lines: string[] = [];
  private waiting: ((l: string) => void)[] = [];
  private buf = '';
  constructor(child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      this.buf += d;
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const l = this.buf.slice(0, i); this.buf = this.buf.slice(i + 1);
        const w = this.waiting.shift();
        if (w) w(l); else this.lines.push(l);
      }
    });
    const end = () => { for (const w of this.waiting.splice(0)) w(''); };
    child.on('error', end);
    child.on('exit', end);
  }
  next(): Promise<string> {
    const l = this.lines.shift();
    return l !== undefined ? Promise.resolve(l) : new Promise((r) => this.waiting.push(r));
  }
}
