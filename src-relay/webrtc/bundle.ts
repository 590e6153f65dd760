// RFC 8843 — Negotiating Media Multiplexing Using SDP (BUNDLE), as the answerer applies it to an offer
// before werift reads it.
//
// An offerer may give every m-section of a BUNDLE group its own ICE credentials and candidates (aiortc
// does; RFC 8843 §7.2 even asks for a unique address per bundled m-section in an initial offer, for the
// case the answerer refuses BUNDLE). Once the answer accepts the group, the one transport is the
// offerer-tagged m-section's, with that section's ufrag/pwd and candidates (§7.3.1, §7.4). werift 0.24
// applies each bundled section's ice-ufrag/ice-pwd in turn to the shared transport, so the last section's
// credentials win (and each change counts as an ICE restart): its checks go to the tagged section's
// candidate with another section's ufrag, which the offerer answers with 400 Bad Request. Giving every
// bundled m-section the tagged section's credentials makes werift's loop apply the same parameters every
// time. The other sections' candidates are dropped, whatever their credentials: they are the addresses of
// transports the offerer closes once BUNDLE is accepted (Chromium with bundlePolicy balanced or max-compat
// offers one per media type, under the same ufrag), and a pair nominated on one would die with it.
//
// A bundle-only m-section (§6: GStreamer's webrtcbin offers every section after the tag so) has port 0 in
// the offer and is still used; werift reads port 0 as a rejected section and never reports its track, so
// its m= line is given the discard port 9 that a bundled section carries (§7.2) before werift reads it.
//
// A BUNDLE group that does not cover every m-section we take is refused as a whole (§7.3.3: the answer
// carries no group); each m-section then keeps its own credentials and candidates.

export interface BundleDecision {
  /** The offer as werift should read it. */
  sdp: string;
  /** The accepted group (tag first), or undefined when the offer has none or we refuse it. */
  bundle: { tag: string; mids: string[] } | undefined;
  /** Why a group present in the offer was refused. */
  refused?: string;
  /** m-sections whose credentials were replaced by the tagged section's. */
  aligned: string[];
  /** Candidates dropped from bundled m-sections other than the tag. */
  droppedCandidates: number;
}

interface Section {
  /** Line index of the m= line (session part: -1). */
  start: number;
  end: number;
  mid: string | undefined;
  active: boolean;
  bundleOnly: boolean;
  ufrag: string | undefined;
  pwd: string | undefined;
}

const ATTR = (name: string) => new RegExp(`^a=${name}:(\\S+)\\s*$`);
const MID = ATTR('mid');
const UFRAG = ATTR('ice-ufrag');
const PWD = ATTR('ice-pwd');

function readSection(lines: string[], start: number, end: number): Section {
  const section: Section = { start, end, mid: undefined, active: true, bundleOnly: false, ufrag: undefined, pwd: undefined };
  if (start >= 0) section.active = Number(lines[start].split(' ')[1]) !== 0;
  for (let i = Math.max(start, 0); i < end; i++) {
    const line = lines[i];
    section.mid = MID.exec(line)?.[1] ?? section.mid;
    section.ufrag = UFRAG.exec(line)?.[1] ?? section.ufrag;
    section.pwd = PWD.exec(line)?.[1] ?? section.pwd;
    if (line === 'a=bundle-only') section.bundleOnly = true;
  }
  return section;
}

/** Splits an SDP into its session part and m-sections (line ranges). */
function sectionsOf(lines: string[]): { session: Section; media: Section[] } {
  const starts = lines.flatMap((l, i) => (l.startsWith('m=') ? [i] : []));
  const session = readSection(lines, -1, starts[0] ?? lines.length);
  const media = starts.map((start, k) => readSection(lines, start, starts[k + 1] ?? lines.length));
  for (const m of media) if (m.bundleOnly) m.active = true; // a bundle-only section has port 0 yet is used (§6)
  return { session, media };
}

/** Applies RFC 8843 to an offer: see the file comment. Pure; the SDP's line endings are kept. */
export function applyBundle(offerSdp: string): BundleDecision {
  const eol = offerSdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = offerSdp.split(/\r?\n/);
  const { session, media } = sectionsOf(lines);
  const groupAt = lines.findIndex((l, i) => i < session.end && /^a=group:BUNDLE(\s|$)/.test(l));
  if (groupAt < 0) return { sdp: offerSdp, bundle: undefined, aligned: [], droppedCandidates: 0 };
  const mids = lines[groupAt].slice('a=group:BUNDLE'.length).trim().split(/\s+/).filter(Boolean);

  const refuse = (reason: string): BundleDecision => {
    const kept = lines.filter((l, i) => !(i < session.end && /^a=group:BUNDLE(\s|$)/.test(l)));
    return { sdp: kept.join(eol), bundle: undefined, refused: reason, aligned: [], droppedCandidates: 0 };
  };
  const tag = media.find((m) => m.mid !== undefined && m.mid === mids[0]);
  if (!tag || !tag.active || tag.bundleOnly) return refuse(`the BUNDLE tag "${mids[0] ?? ''}" is not a usable m-section`);
  const outside = media.filter((m) => m.active && (m.mid === undefined || !mids.includes(m.mid)));
  if (outside.length) return refuse(`m-section "${outside[0].mid ?? '(no mid)'}" is outside the BUNDLE group`);

  const tagUfrag = tag.ufrag ?? session.ufrag;
  const tagPwd = tag.pwd ?? session.pwd;
  const aligned: string[] = [];
  let droppedCandidates = 0;
  const out: string[] = [];
  let cursor = 0;
  for (const m of media) {
    out.push(...lines.slice(cursor, m.start));
    cursor = m.end;
    if (m === tag || m.mid === undefined || !mids.includes(m.mid)) {
      out.push(...lines.slice(m.start, m.end));
      continue;
    }
    const differs = tagUfrag !== undefined && tagPwd !== undefined && ((m.ufrag ?? session.ufrag) !== tagUfrag || (m.pwd ?? session.pwd) !== tagPwd);
    const body = lines.slice(m.start, m.end).filter((l) => {
      if (l.startsWith('a=candidate:')) return (droppedCandidates++, false);
      return !(differs && (UFRAG.test(l) || PWD.test(l)));
    });
    if (m.bundleOnly) body[0] = body[0].replace(/^(m=\S+) 0 /, '$1 9 ');
    if (differs) {
      aligned.push(m.mid);
      // Before a trailing empty line (the SDP's final EOL) at the end of the last section.
      const tail = body.length && body[body.length - 1] === '' ? body.splice(body.length - 1) : [];
      body.push(`a=ice-ufrag:${tagUfrag}`, `a=ice-pwd:${tagPwd}`, ...tail);
    }
    out.push(...body);
  }
  out.push(...lines.slice(cursor));
  return { sdp: out.join(eol), bundle: { tag: mids[0], mids }, aligned, droppedCandidates };
}

export interface IceCredentials {
  ufrag: string;
  pwd: string;
}

/** Each m-section's ICE credentials (media-level, else session-level; RFC 8839 §5.4), by mid. */
export function iceCredentialsByMid(sdp: string): Map<string, IceCredentials> {
  const lines = sdp.split(/\r?\n/);
  const { session, media } = sectionsOf(lines);
  const out = new Map<string, IceCredentials>();
  for (const m of media) {
    const ufrag = m.ufrag ?? session.ufrag;
    const pwd = m.pwd ?? session.pwd;
    if (m.mid !== undefined && ufrag !== undefined && pwd !== undefined) out.set(m.mid, { ufrag, pwd });
  }
  return out;
}
