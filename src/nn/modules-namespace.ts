/**
 * @file `nn.modules`: PyTorch's module namespace, for the global hooks at `nn.modules.module.*`.
 */
export * as module from './state-hooks.js';
