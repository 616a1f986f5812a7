export { parseXfrmState, parseXfrmText, XfrmParseError, isWildcardAddress, isRedactedKey } from './xfrm';
export type { XfrmState, XfrmAlgo, XfrmParseResult } from './xfrm';
export { GcmKey, decryptEspGcm } from './esp-gcm';
export type { GcmResult } from './esp-gcm';
export { SaTable, saFromXfrm, NO_USABLE_KEY_REDACTED } from './sa';
export type { SaSpec, KeySpec } from './sa';
export { writeWiresharkConfig, espSaLines } from './wireshark';
export type { WiresharkSa, WiresharkOptions } from './wireshark';
