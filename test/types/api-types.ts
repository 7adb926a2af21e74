/**
 * @file Typecheck-only: compiled by test/types/types.test.ts with `tsc -p test/types/tsconfig.json`, never run.
 * Each line states a type the public API promises; `@ts-expect-error` lines must fail to compile.
 */
import * as torch from '../../src/index.js';
import { nn, optim } from '../../src/index.js';

// `nn` (and `optim`) are type namespaces after `import { nn } from 'torchlet'`, as `torch.nn` is after `import * as torch`.
export let l: nn.Linear = new nn.Linear(2, 3);
export const l2: torch.nn.Linear = l;
export const enc: nn.TransformerEncoder | null = null;
export const sched: optim.lrScheduler.CosineAnnealingWarmRestarts | null = null;
export const opts: nn.TransformerOpts = { dModel: 16, nhead: 2 };

// nn.Sequential is typed by its children.
const seq = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2));
l = seq.at(0);
l = seq.at(2);
export const relu: nn.ReLU = seq.at(1);
// @ts-expect-error: child 1 is a ReLU, not a Linear
l = seq.at(1);
export const anyChild: nn.Linear | nn.ReLU = seq.at(-1);
for (const m of seq) { const k: nn.Linear | nn.ReLU = m; void k; }
export const w: torch.Tensor = seq.at(0).weight;
// the record form is a Sequential of Modules
export const named: nn.Module = new nn.Sequential({ fc: new nn.Linear(2, 2) }).at(0);

// isclose gives a Tensor, allclose/equal a boolean
export const b1: boolean = torch.allclose(torch.ones([2]), torch.ones([2]));
export const b2: boolean = torch.ones([2]).equal(torch.ones([2]));
export const c: torch.Tensor = torch.isclose(torch.ones([2]), torch.ones([2]), { equalNan: true });
