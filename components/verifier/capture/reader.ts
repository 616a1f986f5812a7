import { CaptureError, CaptureSummary, FrameCallback, ReadCaptureOptions } from './types';

/** Placeholder until the streaming reader lands (same signature). */
export async function readCapture(path: string, _onFrame: FrameCallback,
  _opts?: ReadCaptureOptions): Promise<CaptureSummary> {
  throw new CaptureError(path, 0, 'reader not implemented yet');
}
