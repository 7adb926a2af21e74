/**
 * @file The model builders by torchvision's names (`resnet18`, `mobilenet_v3_small`, `vit_b_16`, ...), for the
 * command line (`torchlet summary resnet18`) and for code that picks a model from a string.
 */
import type { Module } from '../nn/module.js';
import { resnet18, resnet34, resnet50, resnet101, resnet152 } from './resnet.js';
import { mobilenetV3Small, mobilenetV3Large } from './mobilenetv3.js';
import { vitB16, vitB32, vitL16, vitL32, vitH14 } from './vit.js';

/** A builder taking `{ numClasses, ... }`. */
type Builder = (opts?: { numClasses?: number }) => Module;

/** torchvision's model names -> torchlet builders. */
export const builders: Readonly<Record<string, Builder>> = Object.freeze({
  resnet18, resnet34, resnet50, resnet101, resnet152,
  mobilenet_v3_small: mobilenetV3Small, mobilenet_v3_large: mobilenetV3Large,
  vit_b_16: vitB16, vit_b_32: vitB32, vit_l_16: vitL16, vit_l_32: vitL32, vit_h_14: vitH14,
});

export type ModelName = keyof typeof builders;
