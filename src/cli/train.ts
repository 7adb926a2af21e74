/**
 * @file `torchlet train` (`npm start`): trains a digits classifier on real MNIST digits with AdamW and a
 * one-cycle schedule, saves an atomic checkpoint (model, optimizer, scheduler, epoch, generator state) after
 * every epoch, reloads the saved model into a fresh one and checks that its test predictions are identical.
 * `--resume PATH` continues a run so that an interrupted run ends with exactly the weights of an
 * uninterrupted one.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import * as torch from '../index.js';
import { loadDigits } from './digits.js';
import { buildModel, DEFAULTS, type ModelKind } from './models.js';

const { nn, optim, data } = torch;

export interface TrainOptions {
  model?: string; epochs?: number; batchSize?: number; lr?: number; seed?: number; device?: string;
  out?: string; resume?: string; stopAfter?: number; quiet?: boolean; trainSamples?: number;
}

interface Config { model: ModelKind; epochs: number; batchSize: number; lr: number; seed: number; trainSamples: number }

function checkDevice(device: string): torch.DeviceType {
  if (device !== 'cpu' && device !== 'webgpu') throw new Error(`--device must be 'cpu' or 'webgpu', got '${device}'`);
  return device;
}

/** fn inside torch.webgpu.tidy on webgpu (its intermediates freed at once), plainly on the CPU. */
function scoped<T>(device: torch.DeviceType, fn: () => T): T { return device === 'webgpu' ? torch.webgpu.tidy(fn) : fn(); }

async function accuracy(model: torch.nn.Module & { forward(x: torch.Tensor): torch.Tensor }, x: torch.Tensor, y: torch.Tensor): Promise<{ acc: number; preds: Float64Array }> {
  model.eval();
  const device = model.parameters()[0].device; // x and y stay on the CPU; chunks go to the model's device
  const preds = new Float64Array(x.shape[0]);
  for (let s = 0; s < x.shape[0]; s += 500) {
    const n = Math.min(500, x.shape[0] - s);
    const p = scoped(device, () => torch.noGrad(() => model.call(x.narrow(0, s, n).to(device)).argmax(1)));
    preds.set(await p.data(), s); // asynchronous read (webgpu); immediate on the CPU
    p.dispose();
  }
  const labels = y.dataSync();
  let ok = 0;
  for (let i = 0; i < preds.length; i++) if (preds[i] === labels[i]) ok++;
  return { acc: ok / preds.length, preds };
}

function fmtTime(ms: number): string { return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${((ms % 60_000) / 1000).toFixed(0)} s`; }

export async function train(opts: TrainOptions): Promise<{ testAccuracy: number; checkpoint: string }> {
  const started = performance.now();
  const device = checkDevice(opts.device ?? 'cpu');
  if (device === 'webgpu') await torch.webgpu.init();
  const quiet = opts.quiet || !process.stdout.isTTY;
  const outDir = opts.out ?? 'checkpoints';
  mkdirSync(outDir, { recursive: true });

  let resumeState: Map<string, unknown> | null = null;
  let cfg: Config;
  if (opts.resume) {
    const ck = await torch.load(opts.resume);
    if (!(ck instanceof Map) || !ck.has('model') || !ck.has('config')) {
      throw new Error(`--resume: ${opts.resume} is not a checkpoint written by torchlet train (no 'model'/'config' entries)`);
    }
    resumeState = ck as Map<string, unknown>;
    const c = ck.get('config') as Map<string, unknown>;
    cfg = { model: c.get('model') as ModelKind, epochs: c.get('epochs') as number, batchSize: c.get('batchSize') as number, lr: c.get('lr') as number, seed: c.get('seed') as number, trainSamples: c.get('trainSamples') as number };
  } else {
    const kind = (opts.model ?? 'mlp') as ModelKind;
    if (kind !== 'mlp' && kind !== 'cnn') throw new Error(`--model must be 'mlp' or 'cnn', got '${opts.model}'`);
    const d = DEFAULTS[kind];
    cfg = { model: kind, epochs: opts.epochs ?? d.epochs, batchSize: opts.batchSize ?? d.batchSize, lr: opts.lr ?? d.lr, seed: opts.seed ?? 0, trainSamples: opts.trainSamples ?? 0 };
  }

  const digits = loadDigits();
  let { xTrain, yTrain } = digits;
  if (cfg.trainSamples > 0) { xTrain = xTrain.narrow(0, 0, cfg.trainSamples); yTrain = yTrain.narrow(0, 0, cfg.trainSamples); }
  const { xTest, yTest } = digits;

  torch.manualSeed(cfg.seed);
  const model = buildModel(cfg.model).to(device);
  const opt = new optim.AdamW(model.parameters(), { lr: cfg.lr, weightDecay: 0.01 });
  const loader = new data.DataLoader(new data.TensorDataset(xTrain, yTrain), { batchSize: cfg.batchSize, shuffle: true });
  const stepsPerEpoch = loader.len();
  const sched = new optim.lrScheduler.OneCycleLR(opt, { maxLr: cfg.lr, epochs: cfg.epochs, stepsPerEpoch });
  const lossFn = new nn.CrossEntropyLoss();
  let startEpoch = 0;
  if (resumeState) {
    model.loadStateDict(resumeState.get('model') as Map<string, torch.Tensor>);
    opt.loadStateDict(resumeState.get('optimizer') as Map<string, unknown>);
    sched.loadStateDict(resumeState.get('scheduler') as Map<string, unknown>);
    startEpoch = resumeState.get('epoch') as number;
    torch.setRngState(resumeState.get('rng') as torch.Tensor);
    console.log(`resumed ${opts.resume}: ${cfg.model}, epoch ${startEpoch} of ${cfg.epochs} done`);
  }

  console.log(`torchlet train: ${cfg.model} on ${xTrain.shape[0]} MNIST digits (test ${xTest.shape[0]}), ${cfg.epochs} epochs, batch ${cfg.batchSize}, AdamW lr ${cfg.lr} (one-cycle), seed ${cfg.seed}, device ${device}`);
  const ckptPath = join(outDir, `${cfg.model}-checkpoint.pt`);
  let lastEpochLine = '';
  const runEpochs = opts.stopAfter ? Math.min(cfg.epochs, startEpoch + opts.stopAfter) : cfg.epochs;
  for (let epoch = startEpoch; epoch < runEpochs; epoch++) {
    model.train();
    const bar = quiet ? null : new cliProgress.SingleBar({
      format: `epoch ${epoch + 1}/${cfg.epochs} {bar} {value}/{total} | loss {loss} | acc {acc} | {speed} samples/s`,
      hideCursor: true, clearOnComplete: false,
    }, cliProgress.Presets.shades_classic);
    bar?.start(stepsPerEpoch, 0, { loss: '-', acc: '-', speed: '-' });
    const t0 = performance.now();
    let seen = 0, lossSum = 0, correct = 0;
    for (const [xb, yb] of loader as Iterable<[torch.Tensor, torch.Tensor]>) {
      const x = xb.to(device), y = yb.to(device);
      const [loss, hits] = scoped(device, () => {
        opt.zeroGrad();
        const logits = model.call(x);
        const loss = lossFn.call(logits, y);
        loss.backward();
        opt.step();
        sched.step();
        return [loss.detach(), torch.noGrad(() => logits.argmax(1).eq(y).sum())];
      });
      const n = x.shape[0];
      seen += n;
      lossSum += (await loss.itemAsync()) * n; // asynchronous reads (webgpu); immediate on the CPU
      correct += await hits.itemAsync();
      if (device === 'webgpu') { for (const t of [x, y, loss, hits]) t.dispose(); opt.zeroGrad(); } // the step's gradients went with its scope
      bar?.increment(1, { loss: (lossSum / seen).toFixed(4), acc: (correct / seen).toFixed(3), speed: Math.round(seen / ((performance.now() - t0) / 1000)) });
    }
    bar?.stop();
    const test = await accuracy(model, xTest, yTest);
    const ck = new Map<string, unknown>([
      ['model', model.stateDict()],
      ['optimizer', opt.stateDict()],
      ['scheduler', new Map(Object.entries(sched.stateDict()))],
      ['epoch', epoch + 1],
      ['rng', torch.getRngState()],
      ['config', new Map<string, unknown>(Object.entries(cfg))],
    ]);
    await torch.save(ck, ckptPath);
    lastEpochLine = `epoch ${epoch + 1}/${cfg.epochs}: train loss ${(lossSum / seen).toFixed(4)}, train acc ${(correct / seen).toFixed(4)}, test acc ${test.acc.toFixed(4)}, ${Math.round(seen / ((performance.now() - t0) / 1000))} samples/s; saved ${ckptPath}`;
    console.log(lastEpochLine);
  }
  if (runEpochs < cfg.epochs) {
    console.log(`stopped after epoch ${runEpochs} (--stop-after); continue with --resume ${ckptPath}`);
    return { testAccuracy: (await accuracy(model, xTest, yTest)).acc, checkpoint: ckptPath };
  }

  // Prove the checkpoint: a fresh model loaded from the saved file predicts exactly the same.
  const final = await accuracy(model, xTest, yTest);
  const weightsPath = join(outDir, `${cfg.model}.safetensors`);
  await torch.save(model.stateDict(), weightsPath);
  const fresh = buildModel(cfg.model);
  fresh.loadStateDict((await torch.load(weightsPath)) as Map<string, torch.Tensor>);
  const again = await accuracy(fresh, xTest, yTest);
  let agree = 0;
  for (let i = 0; i < final.preds.length; i++) if (again.preds[i] === final.preds[i]) agree++;
  const same = agree === final.preds.length;
  // webgpu -> CPU reload: the same weights, but float32 sums in another order may flip a near-tie argmax
  if (!same && (device === 'cpu' || agree < 0.999 * final.preds.length)) {
    throw new Error(`the model reloaded from ${weightsPath} predicts differently from the trained model (${agree}/${final.preds.length} test digits agree)`);
  }

  const example = xTrain.narrow(0, 0, cfg.batchSize).clone().to(device); // its own storage: the graph measure counts storages
  const report = nn.utils.summary(model.train(), example);
  console.log('');
  console.log(String(report));
  console.log('');
  console.log(`test accuracy: ${(final.acc * 100).toFixed(2)}% on ${xTest.shape[0]} held-out digits`);
  console.log(`time: ${fmtTime(performance.now() - started)}`);
  console.log(`checkpoint: ${ckptPath} (model, optimizer, scheduler, epoch, generator state); weights: ${weightsPath}`);
  if (device === 'cpu') console.log(`verified: a fresh ${cfg.model} loaded from ${weightsPath} gives identical predictions on all ${xTest.shape[0]} test digits`);
  else console.log(`verified: a fresh ${cfg.model} loaded on the CPU from ${weightsPath} agrees with the ${device} model's predictions (argmax) on ${agree}/${xTest.shape[0]} test digits${same ? ' (all identical)' : ''}`);
  return { testAccuracy: final.acc, checkpoint: ckptPath };
}
