// The SDK example page: publish + republish to an RTMP URL (as WCS's "WebRTC as RTMP" example).
// Query parameters prefill the form: ?streamName=…&rtmpUrl=…&autoplay=1 (used by the e2e test).
import './example.css';
import { createSession, SESSION_STATUS, STREAM_STATUS, type Session, type Stream } from './index.js';

function el<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`example page has no #${id}`);
  return found as T;
}

const params = new URLSearchParams(location.search);
const urlServer = el<HTMLInputElement>('urlServer');
const streamName = el<HTMLInputElement>('streamName');
const rtmpUrl = el<HTMLInputElement>('rtmpUrl');
const publishButton = el<HTMLButtonElement>('publish');
const stopButton = el<HTMLButtonElement>('stop');
urlServer.value = params.get('urlServer') ?? location.origin.replace(/^http/, 'ws');
streamName.value = params.get('streamName') ?? streamName.value;
rtmpUrl.value = params.get('rtmpUrl') ?? '';

let session: Session | undefined;
let stream: Stream | undefined;

function show(id: string, text: string): void {
  el(id).textContent = text;
}

function publish(current: Session): void {
  stream = current.createStream({
    name: streamName.value,
    display: el<HTMLVideoElement>('display'),
    rtmpUrl: rtmpUrl.value || undefined,
    receiveVideo: false,
    receiveAudio: false,
  });
  for (const status of [STREAM_STATUS.PENDING, STREAM_STATUS.PUBLISHING, STREAM_STATUS.UNPUBLISHED, STREAM_STATUS.FAILED] as const) {
    stream.on(status, (s) => {
      show('status', s.getStatus());
      show('info', s.getInfo() ? `(${s.getInfo()}${s.getErrorDetail() ? `: ${s.getErrorDetail()}` : ''})` : '');
      stopButton.disabled = s.getStatus() !== STREAM_STATUS.PUBLISHING;
      publishButton.disabled = s.getStatus() === STREAM_STATUS.PUBLISHING || s.getStatus() === STREAM_STATUS.PENDING;
    });
  }
  void stream.publish();
}

function start(): void {
  if (session?.getStatus() === SESSION_STATUS.ESTABLISHED) {
    publish(session);
    return;
  }
  session = createSession({ urlServer: urlServer.value });
  session
    .on(SESSION_STATUS.ESTABLISHED, (s) => {
      show('session', s.getStatus());
      publish(s);
    })
    .on(SESSION_STATUS.DISCONNECTED, (s) => show('session', s.getStatus()))
    .on(SESSION_STATUS.FAILED, (s) => show('session', s.getStatus()));
}

publishButton.addEventListener('click', start);
stopButton.addEventListener('click', () => stream?.stop());
if (params.get('autoplay') === '1') start();
