export { parseXfrmState, XfrmParseError, isWildcardAddress } from './xfrm';
export type { XfrmState, XfrmAlgo } from './xfrm';
export { GcmKey, decryptEspGcm } from './esp-gcm';
export type { GcmResult } from './esp-gcm';
export { SaTable, saFromXfrm } from './sa';
export type { SaSpec, KeySpec } from './sa';
export { writeWiresharkConfig, espSaLines } from './wireshark';
export type { WiresharkSa, WiresharkOptions } from './wireshark';
