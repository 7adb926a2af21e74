/**
 * @file The printed names of torchlet's nn module classes (`Module._getName()`), taken from their export names:
 * a bundler that minifies class names (esbuild, terser) would otherwise make `String(model)` print `Kr(...)`.
 */
import { Module, setModuleClassNames } from './module.js';
import * as containers from './containers.js';
import * as layers from './modules/index.js';
import * as lazy from './lazy.js';

setModuleClassNames([['Module', Module], ...Object.entries(containers), ...Object.entries(layers), ...Object.entries(lazy)]);
