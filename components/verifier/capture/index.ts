export * from './types';
export { readCapture } from './reader';
