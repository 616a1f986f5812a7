export { L, LAYER_NAMES, LINKTYPE, LayerStack, MAX_LAYERS } from './layers';
export * from './ports';
export type { DecodeContext, Decoder } from './layers';
export { PacketDecoder, linkTypeLayer } from './decoder';
export type { DecoderOptions } from './decoder';
export { espSpi, espSeq } from './esp';
export { WG_COOKIE_REPLY, WG_INITIATION, WG_INVALID, WG_RESPONSE, WG_TRANSPORT, wgCounter, wgReceiverIndex, wgSenderIndex } from './wireguard';
