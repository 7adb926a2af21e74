/**
 * @file The `torchlet` command line: train (the digits job; `npm start`), inspect, convert, summary (of a checkpoint or a
 * torchlet/vision model), explore.
 * Node only. Bad flags or paths print a clear message and exit non-zero.
 */
import { Command, InvalidArgumentError } from 'commander';
import { inspectFile, summarizeFile } from './inspect.js';
import { convertFile } from './convert.js';
import { setup } from '../setup.js';

function positiveInt(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer, got '${v}'`);
    return n;
  };
}
function positiveFloat(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got '${v}'`);
    return n;
  };
}
function nonNegInt(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer, got '${v}'`);
    return n;
  };
}

export function buildProgram(): Command {
  const program = new Command('torchlet')
    .description("torchlet: PyTorch's neural-network model for TypeScript")
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program.command('train')
    .description('train a digits classifier on the MNIST digits of the `mnist` package, save a checkpoint every epoch, verify it')
    .option('--model <kind>', "'mlp' or 'cnn' (a small CNN with BatchNorm)", 'mlp')
    .option('--epochs <n>', 'number of epochs', positiveInt('--epochs'))
    .option('--batch-size <n>', 'batch size', positiveInt('--batch-size'))
    .option('--lr <x>', 'peak learning rate of AdamW (cosine schedule)', positiveFloat('--lr'))
    .option('--seed <n>', 'random seed (torch.manualSeed)', nonNegInt('--seed'), 0)
    .option('--device <name>', "'cpu' or 'webgpu'", 'cpu')
    .option('--out <dir>', 'folder for checkpoints', 'checkpoints')
    .option('--resume <path>', 'continue from a checkpoint written by an earlier run')
    .option('--train-samples <n>', 'use only the first n training digits (quick runs; default: all 8,000)', positiveInt('--train-samples'))
    .option('--stop-after <n>', 'stop after this many epochs of this run (for interruption tests)', positiveInt('--stop-after'))
    .option('--quiet', 'no progress bar; one line per epoch')
    .action(async (opts: import('./train.js').TrainOptions) => {
      const { train } = await import('./train.js');
      await train(opts);
    });

  program.command('inspect <file>')
    .description('list every tensor of a checkpoint (.safetensors or torch.save .pt): key, dtype, shape, elements, bytes')
    .option('--json', 'machine-readable output')
    .action((file: string, opts: { json?: boolean }) => { console.log(inspectFile(file, opts.json)); });

  program.command('convert <input> <output>')
    .description('convert between .safetensors and .pt (torch.save) files; the format comes from the extension')
    .option('--key <path>', "take a nested entry first (e.g. 'model' of a training checkpoint)")
    .action(async (input: string, output: string, opts: { key?: string }) => { console.log(await convertFile(input, output, opts.key)); });

  program.command('summary <fileOrModel>')
    .description("a checkpoint's parameter table by module, without building the model; or, for a torchlet/vision model " +
      '(resnet18, mobilenet_v3_small, vit_b_16, ...; or FILE --model NAME), the model summary with the graph memory of one batch')
    .option('--model <name>', 'build this torchlet/vision model and load FILE into it (strict)')
    .option('--input <shape>', 'batch shape for the forward pass, N,C,H,W (default 1,3,224,224)')
    .option('--num-classes <n>', 'classes of the model built by name (default 1000)', positiveInt('--num-classes'))
    .option('--no-forward', 'skip the forward pass (parameters and buffers only)')
    .action(async (arg: string, opts: { model?: string; input?: string; numClasses?: number; forward?: boolean }) => {
      const { isModelName, summarizeModel } = await import('./summary-model.js');
      if (opts.model || isModelName(arg)) console.log(await summarizeModel(arg, opts));
      else console.log(summarizeFile(arg));
    });

  program.command('env')
    .description("what runs here and why (like PyTorch's collect_env): CPU kernels, threads, WebGPU adapter, versions")
    .option('--json', 'machine-readable output')
    .option('--no-webgpu', 'do not try to bring up the WebGPU device')
    .action(async (opts: { json?: boolean; webgpu: boolean }) => {
      const { envReport } = await import('./env.js');
      console.log(await envReport(opts));
    });

  program.command('explore')
    .description('serve the initialization explorer page on localhost')
    .option('--port <n>', 'port (0 = any free port)', nonNegInt('--port'), 5173)
    .option('--host <h>', 'address to listen on', '127.0.0.1')
    .action(async (opts: { port: number; host: string }) => {
      const { explore } = await import('./explore.js');
      await explore(opts);
    });
  return program;
}

export async function main(argv = process.argv): Promise<number> {
  setup(); // the CLI is an entry point: devices, Tensor methods, WebAssembly kernels (as `import 'torchlet'`)
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message?: string };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    if (err.code && err.code.startsWith('commander.')) return err.exitCode || 2;
    console.error(`torchlet: ${err.message ?? String(e)}`);
    return 1;
  }
}

const isEntry = process.argv[1] && /cli[\\/]main\.(ts|js)$/.test(process.argv[1]);
if (isEntry) main().then((code) => { process.exitCode = code; }, (e: unknown) => { console.error(e); process.exitCode = 1; });
