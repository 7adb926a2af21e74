/**
 * @file The `nn` namespace: `import { nn } from 'torchlet'`. A plain list of re-exports.
 */
export { Module, IncompatibleKeys, type StateDict, type RemovableHandle, type ForwardArgs, type ForwardReturn, type ForwardHook, type ForwardPreHook } from './module.js';
export { optionalParameter, optionalBuffer, optionalModule } from './module-attrs.js';
export { Parameter, Buffer, type BufferOptions } from './parameter.js';
export { Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict } from './containers.js';
import './state-hooks.js'; // adds the state-dict hook methods to Module
export * as modules from './modules-namespace.js';
export type { StateDictPreHook, StateDictPostHook, LoadStateDictPreHook, LoadStateDictPostHook } from './state-hooks.js';
export * as utils from './utils/index.js';
export * as init from './init.js';
export * as functional from './functional/index.js';
export * from './modules/index.js';
export { LazyLinear, LazyConv1d, LazyConv2d, LazyBatchNorm1d, LazyBatchNorm2d, UninitializedParameter, UninitializedBuffer, hasUninitializedParams } from './lazy.js';

