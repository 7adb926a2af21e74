/**
 * @file Every public constructor and function that takes an options object rejects a misspelt key, naming the
 * key and the intended one; wrong types name the function, the argument and what was expected.
 *
 * The tables below must cover every public export: a new export of torch, nn, nn.functional, nn.init,
 * nn.utils, optim or data without a row (or an exemption with its reason) fails the last tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/index.js';
import * as peft from '../../src/peft/index.js';
import { OPS } from '../../src/ops/registry.js';

const { nn, optim, data } = torch;
const F = nn.functional;
type Opts = Record<string, unknown>;
/** A row: a call that passes `o` as its options object, and one real option key (to be misspelt). */
type Row = [call: (o: Opts) => unknown, key: string];

const x = () => torch.randn([2, 3, 4]);
const img = () => torch.randn([1, 2, 6, 6]);
const ps = () => [new nn.Parameter(torch.zeros([2]))];
const w = () => torch.empty([4, 3]);
const ds = () => new data.TensorDataset(torch.zeros([4, 2]));
const cls = torch.tensor([0n, 1n]);

const NN: Record<string, Row | string> = {
  Linear: [(o) => new nn.Linear(2, 3, o), 'bias'],
  Bilinear: [(o) => new nn.Bilinear(2, 2, 3, o), 'bias'],
  NonDynamicallyQuantizableLinear: [(o) => new nn.NonDynamicallyQuantizableLinear(2, 3, o), 'bias'],
  Conv1d: [(o) => new nn.Conv1d(2, 2, 3, o), 'padding'],
  Conv2d: [(o) => new nn.Conv2d(2, 2, 3, o), 'paddingMode'],
  ConvTranspose1d: [(o) => new nn.ConvTranspose1d(2, 2, 3, o), 'outputPadding'],
  ConvTranspose2d: [(o) => new nn.ConvTranspose2d(2, 2, 3, o), 'stride'],
  BatchNorm1d: [(o) => new nn.BatchNorm1d(3, o), 'trackRunningStats'],
  BatchNorm2d: [(o) => new nn.BatchNorm2d(3, o), 'momentum'],
  LayerNorm: [(o) => new nn.LayerNorm(3, o), 'elementwiseAffine'],
  GroupNorm: [(o) => new nn.GroupNorm(1, 3, o), 'affine'],
  Embedding: [(o) => new nn.Embedding(4, 2, o), 'paddingIdx'],
  RNN: [(o) => new nn.RNN(2, 3, o), 'nonlinearity'],
  LSTM: [(o) => new nn.LSTM(2, 3, o), 'batchFirst'],
  GRU: [(o) => new nn.GRU(2, 3, o), 'numLayers'],
  MultiheadAttention: [(o) => new nn.MultiheadAttention(4, 2, o), 'batchFirst'],
  TransformerEncoderLayer: [(o) => new nn.TransformerEncoderLayer(4, 2, o), 'dimFeedforward'],
  Dropout: [(o) => new nn.Dropout(0.1, o), 'inplace'],
  Dropout1d: [(o) => new nn.Dropout1d(0.1, o), 'inplace'],
  Dropout2d: [(o) => new nn.Dropout2d(o), 'p'],
  ReLU: [(o) => new nn.ReLU(o), 'inplace'],
  LeakyReLU: [(o) => new nn.LeakyReLU(o), 'negativeSlope'],
  GELU: [(o) => new nn.GELU(o), 'approximate'],
  SiLU: [(o) => new nn.SiLU(o), 'inplace'],
  ELU: [(o) => new nn.ELU(o), 'alpha'],
  Softplus: [(o) => new nn.Softplus(o), 'threshold'],
  Hardswish: [(o) => new nn.Hardswish(o), 'inplace'],
  Softmax: [(o) => new nn.Softmax(o), 'dim'],
  LogSoftmax: [(o) => new nn.LogSoftmax(o), 'dim'],
  Tanh: [(o) => new (nn.Tanh as unknown as new (o: Opts) => unknown)(o), ''],
  Sigmoid: [(o) => new (nn.Sigmoid as unknown as new (o: Opts) => unknown)(o), ''],
  MaxPool1d: [(o) => new nn.MaxPool1d(2, o), 'ceilMode'],
  MaxPool2d: [(o) => new nn.MaxPool2d(2, o), 'returnIndices'],
  AvgPool1d: [(o) => new nn.AvgPool1d(2, o), 'countIncludePad'],
  AvgPool2d: [(o) => new nn.AvgPool2d(2, o), 'divisorOverride'],
  Flatten: [(o) => new nn.Flatten(o), 'startDim'],
  MSELoss: [(o) => new nn.MSELoss(o), 'reduction'],
  L1Loss: [(o) => new nn.L1Loss(o), 'reduction'],
  SmoothL1Loss: [(o) => new nn.SmoothL1Loss(o), 'beta'],
  HuberLoss: [(o) => new nn.HuberLoss(o), 'delta'],
  CrossEntropyLoss: [(o) => new nn.CrossEntropyLoss(o), 'labelSmoothing'],
  NLLLoss: [(o) => new nn.NLLLoss(o), 'ignoreIndex'],
  BCELoss: [(o) => new nn.BCELoss(o), 'weight'],
  BCEWithLogitsLoss: [(o) => new nn.BCEWithLogitsLoss(o), 'posWeight'],
  KLDivLoss: [(o) => new nn.KLDivLoss(o), 'logTarget'],
  Parameter: [(o) => new nn.Parameter(torch.zeros([1]), o), 'requiresGrad'],
  Buffer: [(o) => new nn.Buffer(torch.zeros([1]), o), 'persistent'],
  Module: [(o) => new nn.Linear(1, 1).stateDict(o), 'keepVars'],
  Hardsigmoid: [(o) => new nn.Hardsigmoid(o), 'inplace'],
  LazyLinear: [(o) => new nn.LazyLinear(3, o), 'bias'],
  LazyConv1d: [(o) => new nn.LazyConv1d(2, 3, o), 'padding'],
  LazyConv2d: [(o) => new nn.LazyConv2d(2, 3, o), 'stride'],
  LazyBatchNorm1d: [(o) => new nn.LazyBatchNorm1d(o), 'momentum'],
  LazyBatchNorm2d: [(o) => new nn.LazyBatchNorm2d(o), 'eps'],
  Transformer: [(o) => new nn.Transformer({ dModel: 4, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 8, ...o }), 'dropout'],
  TransformerEncoder: [(o) => new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 }), 1, o), 'norm'],
  TransformerDecoderLayer: [(o) => new nn.TransformerDecoderLayer(4, 2, o), 'dimFeedforward'],
  TransformerDecoder: [(o) => new nn.TransformerDecoder(new nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 8 }), 1, o), 'norm'],
  generateSquareSubsequentMask: [(o) => nn.generateSquareSubsequentMask(3, o), 'dtype'],
  UninitializedParameter: 'made by the Lazy* modules; positional dtype and device',
  UninitializedBuffer: 'made by the Lazy* modules; positional dtype and device',
  hasUninitializedParams: 'takes a module only',
  optionalBuffer: [(o) => nn.optionalBuffer(o), 'persistent'],
  optionalParameter: 'takes no arguments (any argument is an error)',
  optionalModule: 'takes no arguments (any argument is an error)',
  Identity: 'accepts and ignores any arguments, as PyTorch',
  Unflatten: 'positional only (dim, unflattenedSize), both checked',
  AdaptiveAvgPool1d: 'positional only (outputSize), checked',
  AdaptiveAvgPool2d: 'positional only (outputSize), checked',
  Sequential: 'takes modules, not options',
  ModuleList: 'takes modules, not options',
  ModuleDict: 'takes modules, not options',
  ParameterList: 'takes parameters, not options',
  ParameterDict: 'takes parameters, not options',
  IncompatibleKeys: 'a result type (what loadStateDict returns)',
};

const FUNCTIONAL: Record<string, Row | string> = {
  relu: [(o) => F.relu(x(), o), 'inplace'],
  leakyRelu: [(o) => F.leakyRelu(x(), o), 'negativeSlope'],
  gelu: [(o) => F.gelu(x(), o), 'approximate'],
  silu: [(o) => F.silu(x(), o), 'inplace'],
  elu: [(o) => F.elu(x(), o), 'alpha'],
  softplus: [(o) => F.softplus(x(), o), 'beta'],
  hardswish: [(o) => F.hardswish(x(), o), 'inplace'],
  hardsigmoid: [(o) => F.hardsigmoid(x(), o), 'inplace'],
  softmax: [(o) => F.softmax(x(), 1, o), 'dtype'],
  logSoftmax: [(o) => F.logSoftmax(x(), 1, o), 'dtype'],
  softmin: [(o) => F.softmin(x(), 1, o), 'dtype'],
  dropout: [(o) => F.dropout(x(), o), 'training'],
  dropout1d: [(o) => F.dropout1d(x(), o), 'training'],
  dropout2d: [(o) => F.dropout2d(img(), o), 'training'],
  mseLoss: [(o) => F.mseLoss(x(), x(), o), 'reduction'],
  l1Loss: [(o) => F.l1Loss(x(), x(), o), 'reduction'],
  smoothL1Loss: [(o) => F.smoothL1Loss(x(), x(), o), 'beta'],
  huberLoss: [(o) => F.huberLoss(x(), x(), o), 'delta'],
  nllLoss: [(o) => F.nllLoss(torch.randn([2, 3]), cls, o), 'ignoreIndex'],
  crossEntropy: [(o) => F.crossEntropy(torch.randn([2, 3]), cls, o), 'labelSmoothing'],
  binaryCrossEntropy: [(o) => F.binaryCrossEntropy(torch.rand([2]), torch.rand([2]), o), 'weight'],
  binaryCrossEntropyWithLogits: [(o) => F.binaryCrossEntropyWithLogits(torch.rand([2]), torch.rand([2]), o), 'posWeight'],
  klDiv: [(o) => F.klDiv(x(), x(), o), 'logTarget'],
  batchNorm: [(o) => F.batchNorm(x(), null, null, { training: true, ...o }), 'momentum'],
  layerNorm: [(o) => F.layerNorm(x(), 4, o), 'eps'],
  groupNorm: [(o) => F.groupNorm(x(), 1, o), 'eps'],
  embedding: [(o) => F.embedding(cls, torch.randn([3, 2]), o), 'maxNorm'],
  conv1d: [(o) => F.conv1d(x(), torch.randn([2, 3, 2]), null, o), 'dilation'],
  conv2d: [(o) => F.conv2d(img(), torch.randn([2, 2, 3, 3]), null, o), 'groups'],
  convTranspose1d: [(o) => F.convTranspose1d(x(), torch.randn([3, 2, 2]), null, o), 'outputPadding'],
  convTranspose2d: [(o) => F.convTranspose2d(img(), torch.randn([2, 2, 3, 3]), null, o), 'stride'],
  unfold: [(o) => F.unfold(img(), 2, o), 'padding'],
  fold: [(o) => F.fold(torch.randn([1, 8, 25]), 6, 2, o), 'stride'],
  maxPool1d: [(o) => F.maxPool1d(x(), 2, o), 'ceilMode'],
  maxPool2d: [(o) => F.maxPool2d(img(), 2, o), 'padding'],
  avgPool1d: [(o) => F.avgPool1d(x(), 2, o), 'countIncludePad'],
  avgPool2d: [(o) => F.avgPool2d(img(), 2, o), 'divisorOverride'],
  scaledDotProductAttention: [(o) => F.scaledDotProductAttention(x(), x(), x(), o), 'dropoutP'],
  multiHeadAttentionForward: [(o) => F.multiHeadAttentionForward(torch.randn([2, 1, 4]), torch.randn([2, 1, 4]), torch.randn([2, 1, 4]),
    { numHeads: 2, inProjWeight: torch.randn([12, 4]), outProjWeight: torch.randn([4, 4]), ...o }), 'needWeights'],
  linear: 'tensors only (input, weight, bias)',
  bilinear: 'tensors only',
  tanh: 'a tensor only', sigmoid: 'a tensor only', logSigmoid: 'a tensor only', relu6: 'a tensor only',
  adaptiveAvgPool1d: 'positional outputSize only', adaptiveAvgPool2d: 'positional outputSize only',
};

const INIT: Record<string, Row | string> = {
  uniform_: [(o) => nn.init.uniform_(w(), o), 'b'],
  normal_: [(o) => nn.init.normal_(w(), o), 'std'],
  truncNormal_: [(o) => nn.init.truncNormal_(w(), o), 'mean'],
  constant_: [(o) => nn.init.constant_(w(), o as never), 'val'],
  dirac_: [(o) => nn.init.dirac_(torch.empty([2, 2, 3]), o), 'groups'],
  xavierUniform_: [(o) => nn.init.xavierUniform_(w(), o), 'gain'],
  xavierNormal_: [(o) => nn.init.xavierNormal_(w(), o), 'generator'],
  kaimingUniform_: [(o) => nn.init.kaimingUniform_(w(), o), 'nonlinearity'],
  kaimingNormal_: [(o) => nn.init.kaimingNormal_(w(), o), 'mode'],
  orthogonal_: [(o) => nn.init.orthogonal_(w(), o), 'gain'],
  sparse_: [(o) => nn.init.sparse_(w(), 0.5, o), 'std'],
  calculateGain: [(o) => nn.init.calculateGain('leaky_relu', o), 'param'],
  report: [(o) => nn.init.report(new nn.Linear(2, 2), o), 'tolerance'],
  ones_: [(o) => nn.init.ones_(w(), o as never), ''],
  zeros_: [(o) => nn.init.zeros_(w(), o as never), ''],
  eye_: [(o) => nn.init.eye_(w(), o as never), ''],
  calculateFanInAndFanOut: 'a tensor only',
  initRecord: 'a tensor only (reads a record)',
  householderQ: 'internal numeric helper (typed arrays), exported for tests',
  InitError: 'an error class', InitReport: 'a result type',
};

const UTILS: Record<string, Row | string> = {
  clipGradNorm_: [(o) => nn.utils.clipGradNorm_(ps(), 1, o), 'normType'],
  clipGradNormAsync_: 'the same options as clipGradNorm_ (async variant)',
  clipGradValue_: 'positional (parameters, clipValue)',
  consumePrefixInStateDict: 'positional (stateDict, prefix)',
  formatBytes: 'a number only', graphMemory: [(o) => nn.utils.graphMemory(torch.ones([1]), o), 'parameters'], parametersToVector: 'parameters only',
  vectorToParameters: 'positional only', summary: 'a model and example inputs', ModelSummary: 'a result type',
  remapStateDictKeys: 'a state dict and a rules list/record of prefix pairs (checked: not an options object)',
  weightNorm: [(o) => nn.utils.weightNorm(new nn.Linear(2, 2), 'weight', o), 'dim'],
  spectralNorm: [(o) => nn.utils.spectralNorm(new nn.Linear(2, 2), 'weight', o), 'nPowerIterations'],
  removeWeightNorm: 'positional (module, name), checked', removeSpectralNorm: 'positional (module, name), checked',
};

const PARAMETRIZE: Record<string, Row | string> = {
  registerParametrization: [(o) => nn.utils.parametrize.registerParametrization(new nn.Linear(2, 2), 'weight', new nn.Identity(), o), 'unsafe'],
  removeParametrizations: [(o) => nn.utils.parametrize.removeParametrizations(
    nn.utils.parametrize.registerParametrization(new nn.Linear(2, 2), 'weight', new nn.Identity()), 'weight', o), 'leaveParametrized'],
  isParametrized: 'positional (module, tensorName?), checked', cached: 'a function only (checked)',
  parametrizedTensors: 'a module only (introspection for summaries)', originalRoles: 'a module only (introspection for summaries)',
  peekParametrized: 'a module and a dotted name (introspection for summaries)',
  ParametrizationList: 'built by registerParametrization', NotImplementedError: 'an error class',
};

const PARAMETRIZATIONS: Record<string, Row | string> = {
  weightNorm: [(o) => nn.utils.parametrizations.weightNorm(new nn.Linear(2, 2), o), 'dim'],
  spectralNorm: [(o) => nn.utils.parametrizations.spectralNorm(new nn.Linear(2, 2), 'weight', o), 'nPowerIterations'],
  orthogonal: [(o) => nn.utils.parametrizations.orthogonal(new nn.Linear(2, 2), o), 'orthogonalMap'],
  _Orthogonal: [(o) => new nn.utils.parametrizations._Orthogonal(torch.eye(2), 'cayley', o), 'useTrivialization'],
  normExceptDim: 'positional (tensor, dim)',
  _WeightNorm: 'a parametrization module (PyTorch\'s private class) made by weightNorm; positional dim',
  _SpectralNorm: 'a parametrization module (PyTorch\'s private class) made by spectralNorm; positional, checked',
};

/** torch.linalg: tensors only, checked (dtype, shapes, devices) by each op. */
const LINALG: Record<string, Row | string> = {
  matrixExp: 'a tensor only', solve: 'two tensors only', householderProduct: 'two tensors only', geqrf: 'a tensor only',
  qr: 'a tensor only (mode \'reduced\')',
};

const OPTIM: Record<string, Row | string> = {
  SGD: [(o) => new optim.SGD(ps(), { lr: 0.1, ...o }), 'momentum'],
  Adam: [(o) => new optim.Adam(ps(), o), 'weightDecay'],
  AdamW: [(o) => new optim.AdamW(ps(), o), 'amsgrad'],
  RMSprop: [(o) => new optim.RMSprop(ps(), o), 'centered'],
  Adagrad: [(o) => new optim.Adagrad(ps(), o), 'lrDecay'],
  'param group': [(o) => new optim.AdamW([{ params: ps(), ...o }]), 'weightDecay'],
  zeroGrad: [(o) => new optim.SGD(ps(), { lr: 0.1 }).zeroGrad(o), 'setToNone'],
  Optimizer: 'the abstract base (its subclasses have rows)', OptimizerError: 'an error class',
};

const DATA: Record<string, Row | string> = {
  DataLoader: [(o) => new data.DataLoader(ds(), o), 'batchSize'],
  randomSplit: [(o) => data.randomSplit(ds(), [2, 2], o), 'generator'],
  TensorDataset: 'tensors only', Subset: 'positional (dataset, indices)', ConcatDataset: 'datasets only',
  Dataset: 'the abstract base', RandomSampler: 'positional (source, generator, numSamples)',
  SequentialSampler: 'a dataset only', defaultCollate: 'a batch only', DataError: 'an error class',
};

const TORCH: Record<string, Row | string> = {
  tensor: [(o) => torch.tensor([1], o), 'requiresGrad'],
  zeros: [(o) => torch.zeros([2], o), 'dtype'],
  ones: [(o) => torch.ones([2], o), 'device'],
  full: [(o) => torch.full([2], 1, o), 'requiresGrad'],
  empty: [(o) => torch.empty([2], o), 'dtype'],
  zerosLike: [(o) => torch.zerosLike(torch.ones([1]), o), 'dtype'],
  onesLike: [(o) => torch.onesLike(torch.ones([1]), o), 'dtype'],
  fullLike: [(o) => torch.fullLike(torch.ones([1]), 2, o), 'dtype'],
  emptyLike: [(o) => torch.emptyLike(torch.ones([1]), o), 'dtype'],
  arange: [(o) => torch.arange(3, o), 'dtype'],
  linspace: [(o) => torch.linspace(0, 1, 3, o), 'dtype'],
  eye: [(o) => torch.eye(2, o), 'dtype'],
  rand: [(o) => torch.rand([2], o), 'generator'],
  randn: [(o) => torch.randn([2], o), 'generator'],
  randint: [(o) => torch.randint(0, 3, [2], o), 'generator'],
  randperm: [(o) => torch.randperm(3, o), 'generator'],
  bernoulli: [(o) => torch.bernoulli(torch.rand([2]), o), 'generator'],
  sum: [(o) => torch.sum(x(), 1, o), 'keepdim'],
  mean: [(o) => torch.mean(x(), 1, o), 'keepdim'],
  prod: [(o) => torch.prod(x(), 1, o), 'keepdim'],
  amax: [(o) => torch.amax(x(), 1, o), 'keepdim'],
  amin: [(o) => torch.amin(x(), 1, o), 'keepdim'],
  max: [(o) => torch.max(x(), 1, o), 'keepdim'],
  min: [(o) => torch.min(x(), 1, o), 'keepdim'],
  argmax: [(o) => torch.argmax(x(), 1, o), 'keepdim'],
  argmin: [(o) => torch.argmin(x(), 1, o), 'keepdim'],
  var: [(o) => torch.var(x(), 1, o), 'correction'],
  variance: [(o) => torch.variance(x(), 1, o), 'unbiased'],
  std: [(o) => torch.std(x(), 1, o), 'correction'],
  logsumexp: [(o) => torch.logsumexp(x(), 1, o), 'keepdim'],
  norm: [(o) => torch.norm(x(), 2, 1, o), 'keepdim'],
  all: [(o) => torch.all(x().gt(0), 1, o), 'keepdim'],
  any: [(o) => torch.any(x().gt(0), 1, o), 'keepdim'],
  sort: [(o) => torch.sort(x(), 1, o), 'descending'],
  topk: [(o) => torch.topk(x(), 1, 1, o), 'largest'],
  gelu: [(o) => torch.gelu(x(), o), 'approximate'],
  add: [(o) => torch.add(x(), x(), o), 'alpha'],
  sub: [(o) => torch.sub(x(), 1, o), 'alpha'],
  addcmul: [(o) => torch.addcmul(x(), x(), x(), o), 'value'],
  addcdiv: [(o) => torch.addcdiv(x(), x(), x(), o), 'value'],
  to: [(o) => torch.to(x(), o), 'dtype'],
  saveBytes: [(o) => torch.saveBytes(new Map([['a', torch.ones([1])]]), o), 'format'],
  loadBytes: [(o) => torch.loadBytes(torch.saveBytes(new Map([['a', torch.ones([1])]])), o), 'name'],
  save: 'async; checked with its options in the test below', load: 'async; checked in the test below',
  setDefaultDtype: 'a dtype only (checked)', getDefaultDtype: 'no arguments',
  getRngState: 'no arguments', setRngState: 'a state tensor only (checked)',
  multinomial: [(o) => torch.multinomial(torch.ones([3]), 1, o), 'replacement'],
  isclose: [(o) => torch.isclose(torch.ones([2]), torch.ones([2]), o), 'rtol'],
  allclose: [(o) => torch.allclose(torch.ones([2]), torch.ones([2]), o), 'equalNan'],
  indexPut: [(o) => torch.indexPut(torch.zeros([3]), [torch.tensor([0n])], torch.ones([1]), o), 'accumulate'],
  indexPut_: [(o) => torch.indexPut_(torch.zeros([3]), [torch.tensor([0n])], torch.ones([1]), o), 'accumulate'],
  equal: 'two tensors only',
  getDefaultDevice: 'no arguments', setDefaultDevice: 'a device name only (checked)', withDevice: 'a device name and a function (checked)',
  setRandomProfile: 'a profile name only (checked)',
  loadBlob: 'async; a Blob and { name }: checked in the test below',
};
/** torchlet/peft (a subpath export). */
const PEFT: Record<string, Row | string> = {
  LoraConfig: [(o) => new peft.LoraConfig(o), 'loraAlpha'],
  PeftModel: [(o) => peft.PeftModel.fromAdapterFiles(new nn.Linear(2, 2), {} as never, o), 'adapterName'],
  getPeftModel: 'positional (model, config, adapterName): the config is a checked LoraConfig; wrong arguments in test/peft/api.test.ts',
  getPeftModelStateDict: 'positional (peftModel, adapterName): the adapter name is checked (test/peft/api.test.ts)',
  setPeftModelStateDict: 'positional (peftModel, Map, adapterName): keys and shapes checked against the model (test/peft/api.test.ts)',
  LoraLayer: 'abstract; built by getPeftModel from a checked LoraConfig',
  LoraLinear: 'built by getPeftModel from a checked LoraConfig',
  LoraConv2d: 'built by getPeftModel from a checked LoraConfig',
  LoraEmbedding: 'built by getPeftModel from a checked LoraConfig',
  LoraModel: 'built by getPeftModel (the PeftModel\'s base_model)',
  ModulesToSaveWrapper: 'built by getPeftModel for LoraConfig.modulesToSave',
};
const PEFT_METHODS: Row[] = [
  [(o) => peft.getPeftModel(new nn.Sequential(new nn.Linear(2, 2)), new peft.LoraConfig({ targetModules: ['0'] })).merge(o), 'adapterNames'],
  [(o) => new peft.LoraConfig().with(o), 'useRslora'],
];
/** Functions of torch.* that take tensors, scalars, dims or sizes only (no options object): checked by their ops. */
const TORCH_NO_OPTIONS = `abs atan2 bmm broadcastTo cat ceil chunk clamp clone contiguous cos cumsum detach div dot eq erf erfinv
  exp expand expm1 flatten floor floorDivide fromHost gather ge gt index indexSelect isnan le log log1p logSoftmax logicalAnd logicalNot
  logicalOr logicalXor lt maskedFill matmul maximum minimum mm mul mv narrow ne neg oneHot permute pow reciprocal relu remainder reshape lerp
  round rsqrt scatter scatterAdd select sigmoid sign silu sin slice softmax softplus split sqrt square squeeze stack t tan tanh tril
  triu trunc unflatten unsqueeze view where transpose rsub enableGrad noGrad inferenceMode isGradEnabled setGradEnabled manualSeed seed
  initialSeed getNumThreads setNumThreads tidy keep matrixExp geqrf`.split(/\s+/);
const TORCH_CLASSES = 'Tensor Generator ArgumentError AutogradError DTypeError DeviceError IndexError ModuleError SerializationError ShapeError StateDictError TorchletError UnsupportedOpError'.split(' ');

function typo(key: string): string {
  return /[A-Z]/.test(key) ? key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : `${key}x`;
}

function checkTable(area: string, table: Record<string, Row | string>) {
  for (const [name, row] of Object.entries(table)) {
    if (typeof row === 'string') continue;
    const [call, key] = row;
    const bad = key ? typo(key) : 'bogus';
    assert.throws(() => call({ [bad]: 1 }), (e: Error) => {
      assert.ok(e.message.includes(`'${bad}'`) || e.message.includes('takes no') || e.message.includes('takes only'),
        `${area}.${name}: the message should name '${bad}': ${e.message}`);
      if (key) assert.ok(e.message.includes(`did you mean '${key}'`), `${area}.${name}: the message should suggest '${key}': ${e.message}`);
      return true;
    }, `${area}.${name} accepted a misspelt option '${bad}'`);
  }
}

test('nn layers, losses and containers reject a misspelt option with did-you-mean', () => checkTable('nn', NN));
test('nn.functional rejects a misspelt option', () => checkTable('F', FUNCTIONAL));
test('nn.init rejects a misspelt option', () => checkTable('nn.init', INIT));
test('nn.utils, optim (and param groups) and data reject a misspelt option', () => {
  checkTable('nn.utils', UTILS);
  checkTable('nn.utils.parametrize', PARAMETRIZE);
  checkTable('nn.utils.parametrizations', PARAMETRIZATIONS);
  checkTable('optim', OPTIM);
  checkTable('data', DATA);
});
test('torch.* creation ops and reductions reject a misspelt option', () => checkTable('torch', TORCH));
test('torchlet/peft rejects a misspelt option', async () => {
  checkTable('peft', PEFT);
  checkTable('peft (methods)', Object.fromEntries(PEFT_METHODS.map((r, i) => [String(i), r])));
  const m = peft.getPeftModel(new nn.Sequential(new nn.Linear(2, 2)), new peft.LoraConfig({ targetModules: ['0'] }));
  await assert.rejects(m.savePretrained('/tmp/x', { adapter_name: 'a' } as never), /did you mean 'adapterName'/);
  await assert.rejects(peft.PeftModel.fromPretrained(new nn.Linear(2, 2), '/tmp/x', { is_trainable: true } as never), /did you mean 'isTrainable'/);
});

test('save/load check their arguments', async () => {
  await assert.rejects(torch.save(new Map([['a', torch.ones([1])]]), '/tmp/torchlet-args-x.safetensors', { metdata: {} } as never), /did you mean 'metadata'/);
  await assert.rejects(torch.load(42 as never), /load: path must be a string/);
  await assert.rejects(torch.load('/tmp/x.pt', { mmpa: true } as never), /did you mean 'mmap'/);
  await assert.rejects(torch.loadBlob(new Blob([torch.saveBytes(new Map([['a', torch.ones([1])]])) as BlobPart]), { nmae: 'x' } as never), /did you mean 'name'/);
});

test('wrong types name the function, the argument and the expectation', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => new nn.Linear(2, '3' as never), /nn\.Linear: outFeatures must be a non-negative integer, got "3"/],
    [() => new nn.Conv2d(2, 2, 3, { padding: 'full' as never }), /nn\.Conv2d: padding must be an integer or an array of integers, got "full"/],
    [() => new nn.Dropout(2), /dropout probability has to be between 0 and 1, but got 2/],
    [() => new nn.LSTM(2, 3, { bidirectional: 1 as never }), /nn\.LSTM: bidirectional must be true or false, got 1/],
    [() => new nn.CrossEntropyLoss({ reduction: 'avg' as never }), /reduction/],
    [() => new nn.GELU({ approximate: 'tanhh' as never }), /nn\.GELU: approximate must be one of 'none', 'tanh', got "tanhh" \(did you mean 'tanh'\?\)/],
    [() => torch.zeros(3 as never), /zeros: the shape must be an array/],
    [() => torch.tensor([1], { requiresGrad: 'yes' as never }), /tensor: requiresGrad must be true or false/],
    [() => torch.full([2], '1' as never), /full: fill_value must be a number, got "1"/],
    [() => new data.DataLoader(new data.TensorDataset(torch.zeros([2])), { shuffle: 1 as never }), /DataLoader: shuffle must be true or false/],
    [() => F.relu(x(), { inplace: 'no' as never }), /F\.relu: inplace must be true or false/],
    [() => torch.sum(x(), 1, { keepdim: 1 as never }), /sum: keepdim must be true or false/],
    [() => torch.zeros([2], 'float64' as never), /zeros: options must be an object/],
    [() => new nn.Linear(2, 2).parameters({ recursive: false } as never), /unknown option 'recursive' \(did you mean 'recurse'\?\)/],
    [() => torch.ones([2]).add(1, { alpah: 2 } as never), /add: unknown option 'alpah' \(did you mean 'alpha'\?\)/],
    [() => torch.ones([2]).normal_({ sdt: 1 } as never), /normal_: unknown option 'sdt' \(did you mean 'std'\?\)/],
    [() => torch.ones([2]).uniform_('0' as never), /uniform_: from must be a number/],
    [() => torch.ones([1], { requiresGrad: true }).sum().backward({ retain_graph: true } as never), /did you mean 'retainGraph'/],
    [() => torch.ones([1], { requiresGrad: true }).sum().backward(undefined, { inputs: [] }), /inputs is not supported/],
  ];
  for (const [fn, re] of cases) assert.throws(fn, re);
});

test('Tensor methods take PyTorch\'s call forms too', () => {
  torch.manualSeed(0);
  const a = torch.empty([64]).normal_(0, 0.02);
  torch.manualSeed(0);
  assert.deepEqual(torch.empty([64]).normal_({ std: 0.02 }).tolist(), a.tolist());
  const x = torch.ones([2], { requiresGrad: true });
  const y = x.mul(2).sum();
  y.backward({ retainGraph: true });
  y.backward();
  assert.deepEqual(x.grad!.tolist(), [4, 4]);
});

test('positional or keyword, as PyTorch: layers with number arguments and clipGradNorm_', () => {
  assert.equal(new nn.LeakyReLU(0.2).negativeSlope, 0.2);
  assert.equal(new nn.LeakyReLU({ negativeSlope: 0.2 }).negativeSlope, 0.2);
  assert.equal(new nn.LeakyReLU(0.2, { inplace: true }).inplace, true);
  assert.equal(new nn.Softmax(1).dim, 1);
  assert.equal(new nn.ELU(0.5).alpha, 0.5);
  assert.equal(new nn.ReLU(true).inplace, true);
  assert.equal(new nn.Dropout({ p: 0.3 }).p, 0.3);
  const emb = nn.Embedding.fromPretrained(torch.ones([3, 2]), { freeze: false, paddingIdx: 0 });
  assert.equal(emb.weight.requiresGrad, true);
  assert.equal(emb.paddingIdx, 0);
  assert.throws(() => nn.Embedding.fromPretrained(torch.ones([3, 2]), { freze: false } as never), /did you mean 'freeze'/);
  const p = new nn.Parameter(torch.ones([2]));
  p.grad = torch.full([2], 3);
  nn.utils.clipGradNorm_([p], { maxNorm: 1, normType: 2 });
  assert.ok(Math.abs((p.grad.tolist() as number[])[0] - Math.SQRT1_2) < 1e-5);
  assert.throws(() => nn.utils.clipGradNorm_([p], 1, 2, { normType: 1 }), /multiple values for argument 'normType'/);
  nn.utils.clipGradValue_([p], { clipValue: 0.1 });
  assert.deepEqual((p.grad.tolist() as number[]).map((v) => Math.round(v * 1e6) / 1e6), [0.1, 0.1]);
});

test('every public export has a row or an exemption with its reason', () => {
  const missing = (area: string, ns: object, covered: Iterable<string>) => {
    const known = new Set(covered);
    return Object.keys(ns).filter((k) => typeof (ns as Record<string, unknown>)[k] === 'function' && !known.has(k)).map((k) => `${area}.${k}`);
  };
  const notMissing = [
    ...missing('nn', nn, Object.keys(NN)),
    ...missing('nn.functional', F, Object.keys(FUNCTIONAL)),
    ...missing('nn.init', nn.init, Object.keys(INIT)),
    ...missing('nn.utils', nn.utils, Object.keys(UTILS)),
    ...missing('nn.utils.parametrize', nn.utils.parametrize, Object.keys(PARAMETRIZE)),
    ...missing('nn.utils.parametrizations', nn.utils.parametrizations, Object.keys(PARAMETRIZATIONS)),
    ...missing('linalg', torch.linalg, Object.keys(LINALG)),
    ...missing('optim', optim, Object.keys(OPTIM)),
    ...missing('data', data, Object.keys(DATA)),
    // registered unary/binary ops take tensors and scalars only (src/ops/registry.ts)
    ...missing('torch', torch, [...Object.keys(TORCH), ...TORCH_NO_OPTIONS, ...TORCH_CLASSES, ...OPS.filter((o) => o.family !== 'custom').map((o) => o.name)]),
    ...missing('torchlet/peft', peft, Object.keys(PEFT)),
  ];
  assert.deepEqual(notMissing, [], 'add a row (a call with a misspelt option) or an exemption with its reason for each new export');
});
