/**
 * @file `models` of torchlet/vision (torchvision.models): the architectures with torchvision's keys and init.
 */
export {
  ResNet, BasicBlock, Bottleneck, resnet18, resnet34, resnet50, resnet101, resnet152,
  type ResNetOpts, type BlockOpts, type BlockClass,
} from './resnet.js';
export {
  MobileNetV3, InvertedResidual, InvertedResidualConfig, mobilenetV3Small, mobilenetV3Large, mobilenetV3Conf,
  type MobileNetV3Opts, type MobileNetV3BuildOpts,
} from './mobilenetv3.js';
export {
  VisionTransformer, Encoder, EncoderBlock, MLPBlock, vitB16, vitB32, vitL16, vitL32, vitH14,
  type VisionTransformerOpts, type LayerNormFactory,
} from './vit.js';
export { builders, type ModelName } from './registry.js';
