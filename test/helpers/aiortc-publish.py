#!/usr/bin/python3
"""A WHIP publisher built on aiortc (RFC 9725 §4.2, non-trickle): H.264 (libx264) + Opus from ffmpeg lavfi
sources, a test picture at a known frame rate and a sine at a known pitch.

usage: aiortc-publish.py WHIP_URL [--mode default|active|passive|nobundle|trickle] [--seconds N] [--fps N]
    [--tone HZ] [--gop FRAMES] [--token T] [--sync]

--sync sends A/V sync marks instead (sync_tracks): a dark picture that is white for one frame at each whole
second of media time, and silence with a 100 ms beep at --tone Hz starting at the same media instant.

The offer is aiortc's own, sent after ICE gathering (every candidate in it). --mode changes only the offer
text we send, as other stacks write it: "active"/"passive" put that a=setup in every m-section (aiortc then
takes the role the answer leaves it), "nobundle" removes the a=group:BUNDLE line (aiortc keeps one transport
per m-section), "trickle" sends the offer without candidates and PATCHes the BUNDLE-tag section's candidates
after the 201 (RFC 9725 §4.3; an ICE restart PATCH first, which may be refused).
One JSON object per line on stdout: {"event": ..., ...}. SIGTERM ends publishing early (with the DELETE).
Exit status 0 when the connection came up and media was sent, 1 otherwise.
"""
import argparse
import asyncio
import fractions
import re
import signal
import sys
import time
import urllib.parse

from whip_client import emit, http

import aiortc.codecs.h264 as aiortc_h264
import av
import numpy
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer


def use_gop(frames):
    """A keyframe every `frames` frames, as broadcasters set their encoders (2 s for YouTube). aiortc 1.4's
    H.264 encoder ignores PLI/FIR and leaves libx264 at its default of 250 frames between keyframes. Its
    create_encoder_context opens the codec itself, so this is that function with gop_size set before open."""

    def create_encoder_context(codec_name, width, height, bitrate):
        codec = av.CodecContext.create(codec_name, "w")
        codec.width = width
        codec.height = height
        codec.bit_rate = bitrate
        codec.pix_fmt = "yuv420p"
        codec.framerate = fractions.Fraction(aiortc_h264.MAX_FRAME_RATE, 1)
        codec.time_base = fractions.Fraction(1, aiortc_h264.MAX_FRAME_RATE)
        codec.gop_size = frames
        codec.options = {"profile": "baseline", "level": "31", "tune": "zerolatency"}
        codec.open()
        return codec, codec_name == "h264_omx"

    aiortc_h264.create_encoder_context = create_encoder_context


AUDIO_RATE = 48000
#: aiortc's Opus encoder takes 20 ms frames of 48 kHz s16.
AUDIO_FRAME = 960
BEEP_SECONDS = 0.1


class SyncClock:
    """The one media timeline of both sync tracks: time zero is the first frame either track is asked for.
    Each track stamps a frame with its media time (pts) and hands it over at t0 + media time, so frame n of
    the picture and sample s of the sound that carry the same media time leave their tracks together."""

    def __init__(self):
        self.t0 = None

    async def wait_until(self, media_seconds):
        if self.t0 is None:
            self.t0 = time.monotonic()
        delay = self.t0 + media_seconds - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


class FlashTrack(MediaStreamTrack):
    """Dark (Y 16) frames, a white one (Y 235) at each whole second of media time; pts in 1/90000 s."""

    kind = "video"

    def __init__(self, clock, fps, width, height):
        super().__init__()
        self.clock, self.fps, self.width, self.height = clock, fps, width, height
        self.n = 0

    async def recv(self):
        n, self.n = self.n, self.n + 1
        await self.clock.wait_until(n / self.fps)
        luma = 235 if n % self.fps == 0 else 16
        # yuv420p as one plane of height × 1.5 rows: luma, then neutral chroma.
        picture = numpy.full((self.height * 3 // 2, self.width), 128, dtype=numpy.uint8)
        picture[: self.height] = luma
        frame = av.VideoFrame.from_ndarray(picture, format="yuv420p")
        frame.pts = n * 90000 // self.fps
        frame.time_base = fractions.Fraction(1, 90000)
        return frame


class BeepTrack(MediaStreamTrack):
    """Silence with a beep of BEEP_SECONDS at `tone` Hz from each whole second of media time; 20 ms mono
    s16 frames, pts in samples at 48 kHz."""

    kind = "audio"

    def __init__(self, clock, tone):
        super().__init__()
        self.clock, self.tone = clock, tone
        self.k = 0

    async def recv(self):
        k, self.k = self.k, self.k + 1
        first = k * AUDIO_FRAME
        await self.clock.wait_until(first / AUDIO_RATE)
        s = numpy.arange(first, first + AUDIO_FRAME)
        on = (s % AUDIO_RATE) < BEEP_SECONDS * AUDIO_RATE
        samples = numpy.where(on, 16000 * numpy.sin(2 * numpy.pi * self.tone * s / AUDIO_RATE), 0).astype(numpy.int16)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = first
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        return frame


def sync_tracks(fps, tone, width, height):
    """The --sync source: both tracks on one SyncClock. aiortc 1.4 makes each RTP timestamp from the frame's
    pts alone (H.264: pts rescaled to 90 kHz; Opus: pts in 48 kHz samples, plus each track's random origin),
    so the flash frame and the beep's first sample carry the same media time in their tracks' RTP timestamps.
    Its sender reports pair the RTP time of the last packet *sent* with the report's wallclock: each track's
    report is late by its encode and send time (the picture's x264 encode more than the sound's), which the
    receiver has to live with as it does with any aiortc publisher."""
    clock = SyncClock()
    return FlashTrack(clock, fps, width, height), BeepTrack(clock, tone)


def tag_fragment(sdp):
    """RFC 8840 fragment for the BUNDLE-tag m-section: its credentials, mid, candidates, end-of-candidates."""
    group = re.search(r"^a=group:BUNDLE (\S+)", sdp, flags=re.M).group(1)
    for section in re.split(r"\r\n(?=m=)", sdp)[1:]:
        lines = section.split("\r\n")
        if "a=mid:" + group in lines:
            keep = [l for l in lines if l.startswith(("m=", "a=mid:", "a=ice-ufrag:", "a=ice-pwd:", "a=candidate:", "a=end-of-candidates"))]
            return "\r\n".join(keep) + "\r\n"
    raise ValueError("no BUNDLE tag section")


def munge(sdp, mode):
    if mode == "trickle":
        return re.sub(r"^a=(candidate:[^\r\n]*|end-of-candidates)\r?\n", "", sdp, flags=re.M)
    if mode in ("active", "passive"):
        return re.sub(r"^a=setup:\w+", "a=setup:" + mode, sdp, flags=re.M)
    if mode == "nobundle":
        return re.sub(r"^a=group:BUNDLE[^\r\n]*\r?\n", "", sdp, flags=re.M)
    return sdp


async def publish(args):
    if args.gop:
        use_gop(args.gop)
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    states = []

    @pc.on("connectionstatechange")
    def on_state():
        states.append(pc.connectionState)
        emit("connection", state=pc.connectionState)

    @pc.on("iceconnectionstatechange")
    def on_ice():
        emit("ice", state=pc.iceConnectionState)

    if args.sync:
        for track in sync_tracks(args.fps, args.tone, 640, 360):
            pc.addTrack(track)
    else:
        video = MediaPlayer(f"testsrc2=size=640x360:rate={args.fps}", format="lavfi")
        audio = MediaPlayer(f"sine=frequency={args.tone}:sample_rate=48000", format="lavfi")
        pc.addTrack(video.video)
        pc.addTrack(audio.audio)

    await pc.setLocalDescription(await pc.createOffer())  # aiortc gathers every candidate here
    offer = munge(pc.localDescription.sdp, args.mode)
    emit("offer", mode=args.mode, sdp=offer)
    headers = {"Content-Type": "application/sdp"}
    if args.token:
        headers["Authorization"] = "Bearer " + args.token
    status, response_headers, answer = http("POST", args.url, offer.encode(), headers)
    emit("answer", status=status, location=response_headers.get("location"), etag=response_headers.get("etag"), sdp=answer)
    if status != 201:
        await pc.close()
        return 1
    location = urllib.parse.urljoin(args.url, response_headers.get("location", ""))
    if args.mode == "trickle":
        # RFC 9725 §4.3: first an ICE restart attempt (new credentials, If-Match: *), then the real candidates
        # with the session's entity-tag.
        restart = "a=ice-ufrag:ysXw\r\na=ice-pwd:vw5LmwG4y/e6dPP/zAP9Gp5k\r\n"
        status, _, body = http("PATCH", location, restart.encode(), {**headers, "Content-Type": "application/trickle-ice-sdpfrag", "If-Match": "*"})
        emit("restart", status=status, body=body)
        fragment = tag_fragment(pc.localDescription.sdp)
        etag = response_headers.get("etag", "")
        status, _, body = http("PATCH", location, fragment.encode(), {**headers, "Content-Type": "application/trickle-ice-sdpfrag", "If-Match": etag})
        emit("trickle", status=status, body=body, fragment=fragment)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    deadline = time.monotonic() + 20
    while pc.connectionState != "connected" and time.monotonic() < deadline and pc.connectionState != "failed":
        await asyncio.sleep(0.05)
    ok = pc.connectionState == "connected"
    if ok:
        emit("publishing", seconds=args.seconds)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        try:
            await asyncio.wait_for(stop.wait(), args.seconds)
        except asyncio.TimeoutError:
            pass
    status, _, _ = http("DELETE", location, headers={"Authorization": "Bearer " + args.token} if args.token else {})
    emit("deleted", status=status)
    await pc.close()
    emit("done", ok=ok, states=states)
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--mode", default="default", choices=["default", "active", "passive", "nobundle", "trickle"])
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--tone", type=int, default=1000)
    parser.add_argument("--token", default="")
    parser.add_argument("--gop", type=int, default=0, help="frames between keyframes (0: aiortc's default, 250)")
    parser.add_argument("--sync", action="store_true", help="send A/V sync marks (a flash and a beep each second)")
    args = parser.parse_args()
    sys.exit(asyncio.run(publish(args)))


if __name__ == "__main__":
    main()
