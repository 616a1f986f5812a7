export { L, LAYER_NAMES, LINKTYPE, LayerStack, PortTable, MAX_LAYERS } from './layers';
export type { DecodeContext, Decoder } from './layers';
export { PacketDecoder, linkTypeLayer } from './decoder';
export type { DecoderOptions } from './decoder';
export { espSpi, espSeq } from './esp';
