/**
 * @file `ops` of torchlet/vision (torchvision.ops): the layers the models are built from.
 */
export {
  Conv2dNormActivation, SqueezeExcitation, MLP, makeDivisible,
  type Conv2dNormActivationOpts, type SqueezeExcitationOpts, type MLPOpts, type NormLayer, type ActivationLayer,
} from './misc.js';
