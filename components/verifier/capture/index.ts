export * from './types';
export { readCapture, MAXIMUM_SNAPLEN, MAX_PCAPNG_BLOCK, DEFAULT_BUFFER_SIZE } from './reader';
