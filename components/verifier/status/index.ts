export { parseEncryptStatus } from './encrypt-status';
export type { EncryptStatus, EncryptionKind, WireguardInterfaceStatus } from './encrypt-status';
