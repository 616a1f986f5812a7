/**
 * HTTP/1.x message start, RFC 9112 section 3 (request line) and section 4 (status line), recognised at the start
 * of a TCP payload. Only the first line's shape is checked; no reassembly, no header parsing.
 *
 *   request-line = method SP request-target SP HTTP-version CRLF     e.g. "GET /nonce HTTP/1.1\r\n"
 *   status-line  = HTTP-version SP status-code SP [ reason-phrase ]  e.g. "HTTP/1.1 200 OK\r\n"
 *
 * Methods recognised: GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH (RFC 9110 section 9 + RFC 5789).
 * Not HTTP: nothing is pushed and decoding stops (the payload stays opaque).
 * `aux` = 1 for a request, 2 for a response.
 */
import { DecodeContext, L, LayerStack } from './layers';

// Method names as byte arrays, each followed by a space (no string comparison per frame).
const METHODS: readonly Uint8Array[] = ['GET ', 'HEAD ', 'POST ', 'PUT ', 'DELETE ', 'CONNECT ', 'OPTIONS ', 'TRACE ', 'PATCH ']
  .map((m) => Uint8Array.from(Buffer.from(m, 'latin1')));
const HTTP1 = Uint8Array.from(Buffer.from('HTTP/1.', 'latin1'));

function startsWith(buf: Buffer, off: number, end: number, pat: Uint8Array): boolean {
  const n = pat.length;
  if (end - off < n) return false;
  for (let i = 0; i < n; i++) if (buf[off + i] !== pat[i]) return false;
  return true;
}

/** 1 = request line, 2 = status line, 0 = not HTTP. */
export function httpKind(buf: Buffer, off: number, end: number): number {
  const c = buf[off];
  if (c === 0x48 /* H */ && startsWith(buf, off, end, HTTP1)) return 2;
  if (c < 0x41 || c > 0x54) return 0; // methods start with C D G H O P T
  for (let i = 0; i < METHODS.length; i++) {
    if (startsWith(buf, off, end, METHODS[i])) {
      const t = off + METHODS[i].length;
      // request-target starts with "/" (origin form), "*" or a letter (absolute/authority form)
      if (t < end && buf[t] > 0x20) return 1;
      return 0;
    }
  }
  return 0;
}

export function decodeHttp(buf: Buffer, off: number, end: number, st: LayerStack, _ctx: DecodeContext): L {
  if (end <= off) return L.NONE;
  const kind = httpKind(buf, off, end);
  if (kind !== 0) st.push(L.HTTP, off, end - off, kind);
  return L.NONE;
}
