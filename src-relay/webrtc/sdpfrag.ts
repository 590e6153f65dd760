// RFC 8840 §9 — the "application/trickle-ice-sdpfrag" body a WHIP client PATCHes to its session
// (RFC 9725 §4.3): ICE credentials, and per m-section (named by a=mid) candidates and end-of-candidates.
//
//   a=ice-ufrag:EsAw                      session level: applies to every m-section below
//   a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1
//   m=audio 9 RTP/AVP 0
//   a=mid:0
//   a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host
//   a=end-of-candidates
//
// Parsing only: what the fragment means for a session (new candidates, or an ICE restart) is decided by the
// ingest, which knows the session's credentials.
import { IngestError } from './sdp.js';

export const SDPFRAG_LIMITS = {
  maxBytes: 64 * 1024,
  maxCandidates: 256,
} as const;

export interface FragmentSection {
  mid: string;
  ufrag: string | undefined;
  pwd: string | undefined;
  /** Each `candidate:...` attribute value (without "a="). */
  candidates: string[];
  endOfCandidates: boolean;
}

export interface TrickleFragment {
  ufrag: string | undefined;
  pwd: string | undefined;
  sections: FragmentSection[];
  /** a=end-of-candidates at session level (RFC 8840 §9: for every m-section). */
  endOfCandidates: boolean;
}

const ICE_CHAR = /^[A-Za-z0-9+/]+$/; // RFC 8839 §5.4 ice-char

/** Parses a trickle-ice-sdpfrag body, or throws IngestError naming the line that is wrong. */
export function parseTrickleFragment(body: unknown): TrickleFragment {
  if (typeof body !== 'string') throw new IngestError('the SDP fragment is empty');
  if (Buffer.byteLength(body) > SDPFRAG_LIMITS.maxBytes) throw new IngestError(`the SDP fragment is more than ${SDPFRAG_LIMITS.maxBytes} bytes`);
  const fragment: TrickleFragment = { ufrag: undefined, pwd: undefined, sections: [], endOfCandidates: false };
  let section: (FragmentSection & { midSeen: boolean }) | undefined;
  let candidates = 0;
  const finish = (): void => {
    if (section && !section.midSeen) throw new IngestError('an m= line of the SDP fragment has no a=mid');
  };
  for (const [index, raw] of body.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const where = `line ${index + 1} of the SDP fragment`;
    if (!/^[a-z]=/.test(line)) throw new IngestError(`${where} is not an SDP line: "${line.slice(0, 60)}"`);
    if (line.startsWith('m=')) {
      finish();
      section = { mid: '', ufrag: undefined, pwd: undefined, candidates: [], endOfCandidates: false, midSeen: false };
      fragment.sections.push(section);
      continue;
    }
    const [name, value] = splitAttribute(line);
    const target = section ?? fragment;
    if (name === 'mid' && section) {
      if (!value) throw new IngestError(`${where}: a=mid has no value`);
      section.mid = value;
      section.midSeen = true;
    } else if (name === 'ice-ufrag' || name === 'ice-pwd') {
      if (!value || !ICE_CHAR.test(value) || value.length > 256) throw new IngestError(`${where}: a=${name} "${(value ?? '').slice(0, 60)}" is not ICE characters`);
      if (name === 'ice-ufrag') target.ufrag = value;
      else target.pwd = value;
    } else if (name === 'candidate') {
      if (!section) throw new IngestError(`${where}: a=candidate before any m= line (RFC 8840 §9 puts candidates in an m-section)`);
      if (!value || value.trim().split(/\s+/).length < 8) throw new IngestError(`${where}: a=candidate "${(value ?? '').slice(0, 80)}" is not a candidate (RFC 8839 §5.1)`);
      if (++candidates > SDPFRAG_LIMITS.maxCandidates) throw new IngestError(`the SDP fragment has more than ${SDPFRAG_LIMITS.maxCandidates} candidates`);
      section.candidates.push(`candidate:${value}`);
    } else if (name === 'end-of-candidates') {
      target.endOfCandidates = true;
    }
    // Other lines (a=ice-options, a=group, c=, …) carry nothing a session needs here.
  }
  finish();
  for (const s of fragment.sections) delete (s as Partial<typeof s & { midSeen: boolean }>).midSeen;
  return fragment;
}

function splitAttribute(line: string): [string, string | undefined] {
  if (!line.startsWith('a=')) return ['', undefined];
  const colon = line.indexOf(':');
  return colon < 0 ? [line.slice(2), undefined] : [line.slice(2, colon), line.slice(colon + 1).trim()];
}
