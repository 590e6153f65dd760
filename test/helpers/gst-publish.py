#!/usr/bin/python3
"""A WHIP publisher built on GStreamer's webrtcbin (Debian's gstreamer1.0-plugins-bad 1.22, libnice for
ICE): VP8 (libvpx) + Opus, the way GStreamer-based encoders publish. GStreamer 1.22 in Debian has no WHIP
element (whipsink is in gst-plugins-rs), so the WHIP exchange (RFC 9725 §4.2, non-trickle) is done here:
webrtcbin's own offer, sent once ICE gathering is complete, the answer set as it comes.

usage: gst-publish.py WHIP_URL [--seconds N] [--fps N] [--tone HZ] [--gop FRAMES] [--sync]

Without --sync: a live test picture (videotestsrc, 640x360 at --fps) and a sine at --tone Hz.
--sync sends A/V sync marks instead, from two live appsrc elements as a capture device gives them: a dark
picture that is white for one frame at each whole second of running time, and silence with a 100 ms beep at
--tone Hz from the same instant. Each buffer is stamped with its media time and handed over when the
pipeline clock reaches it; the RTP timestamps and sender reports are GStreamer's own.

One JSON object per line on stdout: {"event": ..., ...}. SIGTERM ends publishing early (with the DELETE).
Exit status 0 when the connection came up and media was sent, 1 otherwise.
"""
import argparse
import math
import signal
import struct
import sys
import threading
import time
import urllib.parse

from whip_client import emit, http

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402


VIDEO_RTP = "rtpvp8pay pt=96 picture-id-mode=15-bit ! application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000"
AUDIO_RTP = "rtpopuspay pt=111 ! application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000"


WIDTH, HEIGHT = 640, 360
AUDIO_RATE = 48000
#: 20 ms of 48 kHz stereo s16 per audio buffer.
AUDIO_FRAME = 960
BEEP_SECONDS = 0.1


def pipeline_text(args):
    vp8 = f"vp8enc deadline=1 cpu-used=8 target-bitrate=800000 keyframe-max-dist={args.gop} error-resilient=partitions"
    opus = "opusenc bitrate=64000"
    if args.sync:
        video_caps = f"video/x-raw,format=I420,width={WIDTH},height={HEIGHT},framerate={args.fps}/1"
        audio_caps = f"audio/x-raw,format=S16LE,layout=interleaved,rate={AUDIO_RATE},channels=2"
        return (
            f"webrtcbin name=send bundle-policy=max-bundle "
            f"appsrc name=video is-live=true format=time caps={video_caps} ! queue ! {vp8} ! {VIDEO_RTP} ! send. "
            f"appsrc name=audio is-live=true format=time caps={audio_caps} ! queue ! {opus} ! {AUDIO_RTP} ! send."
        )
    return (
        f"webrtcbin name=send bundle-policy=max-bundle "
        f"videotestsrc is-live=true pattern=smpte ! video/x-raw,width={WIDTH},height={HEIGHT},framerate={args.fps}/1 ! videoconvert ! queue ! {vp8} ! {VIDEO_RTP} ! send. "
        f"audiotestsrc is-live=true wave=sine freq={args.tone} volume=0.5 ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=2 ! queue ! {opus} ! {AUDIO_RTP} ! send."
    )


class MarkSource:
    """Feeds one appsrc from a thread: buffer n carries media time `pts(n)` and is pushed once the pipeline's
    running time reaches it, as a live capture device delivers."""

    def __init__(self, pipeline, appsrc, pts, duration, make):
        self.pipeline, self.appsrc, self.pts, self.duration, self.make = pipeline, appsrc, pts, duration, make
        self.stopped = False
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        n = 0
        while not self.stopped:
            clock = self.pipeline.get_clock()
            if clock is None:
                time.sleep(0.005)
                continue
            due = self.pts(n)
            wait = due - (clock.get_time() - self.pipeline.get_base_time())
            if wait > 0:
                time.sleep(wait / Gst.SECOND)
            buffer = Gst.Buffer.new_wrapped(self.make(n))
            buffer.pts = due
            buffer.duration = self.duration
            if self.appsrc.emit("push-buffer", buffer) != Gst.FlowReturn.OK:
                return
            n += 1


def mark_sources(pipeline, args):
    fps = args.fps
    luma_size, chroma_size = WIDTH * HEIGHT, WIDTH * HEIGHT // 4
    dark = bytes([16]) * luma_size + bytes([128]) * (2 * chroma_size)
    white = bytes([235]) * luma_size + bytes([128]) * (2 * chroma_size)
    beep_samples = int(BEEP_SECONDS * AUDIO_RATE)
    beep = b"".join(struct.pack("<hh", v, v) for v in (int(16000 * math.sin(2 * math.pi * args.tone * i / AUDIO_RATE)) for i in range(beep_samples)))
    silence = bytes(4 * AUDIO_FRAME)

    def audio(k):
        first = k * AUDIO_FRAME
        into_second = first % AUDIO_RATE
        if into_second >= beep_samples:
            return silence
        part = beep[into_second * 4 : (into_second + AUDIO_FRAME) * 4]
        return part + bytes(4 * AUDIO_FRAME - len(part))

    frame_ns = Gst.SECOND // fps
    return [
        MarkSource(pipeline, pipeline.get_by_name("video"), lambda n: n * Gst.SECOND // fps, frame_ns, lambda n: white if n % fps == 0 else dark),
        MarkSource(pipeline, pipeline.get_by_name("audio"), lambda k: k * AUDIO_FRAME * Gst.SECOND // AUDIO_RATE, AUDIO_FRAME * Gst.SECOND // AUDIO_RATE, audio),
    ]


class Publisher:
    def __init__(self, args):
        self.args = args
        self.loop = GLib.MainLoop()
        self.pipeline = Gst.parse_launch(pipeline_text(args))
        self.webrtc = self.pipeline.get_by_name("send")
        self.location = None
        self.ok = False
        self.states = []
        self.sources = mark_sources(self.pipeline, args) if args.sync else []
        self.webrtc.connect("on-negotiation-needed", self.on_negotiation_needed)
        self.webrtc.connect("notify::ice-gathering-state", self.on_gathering)
        self.webrtc.connect("notify::connection-state", self.on_connection)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message::error", self.on_error)
        bus.connect("message::eos", lambda *_: self.finish())

    def on_error(self, _bus, message):
        error, debug = message.parse_error()
        emit("error", message=str(error), debug=str(debug)[-500:])
        self.finish()

    def on_negotiation_needed(self, _element):
        # A WHIP client only sends (RFC 9725 §4.2); webrtcbin's transceivers made from request pads are sendrecv.
        index = 0
        while (transceiver := self.webrtc.emit("get-transceiver", index)) is not None:
            transceiver.set_property("direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
            index += 1
        promise = Gst.Promise.new_with_change_func(self.on_offer, None)
        self.webrtc.emit("create-offer", None, promise)

    def on_offer(self, promise, _data):
        reply = promise.get_reply()
        offer = reply.get_value("offer") if reply else None
        if offer is None:
            emit("error", message=f"webrtcbin made no offer: {reply.to_string() if reply else 'no reply'}")
            self.finish()
            return
        self.webrtc.emit("set-local-description", offer, Gst.Promise.new())

    def on_gathering(self, _element, _spec):
        # Non-trickle WHIP: the offer goes once every candidate is in it.
        if self.webrtc.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE and self.location is None:
            GLib.idle_add(self.send_offer)

    def send_offer(self):
        offer = self.webrtc.get_property("local-description").sdp.as_text()
        emit("offer", sdp=offer)
        status, headers, answer = http("POST", self.args.url, offer.encode(), {"Content-Type": "application/sdp"})
        emit("answer", status=status, location=headers.get("location"), sdp=answer)
        if status != 201:
            self.finish()
            return False
        self.location = urllib.parse.urljoin(self.args.url, headers.get("location", ""))
        _, message = GstSdp.SDPMessage.new_from_text(answer)
        description = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, message)
        self.webrtc.emit("set-remote-description", description, Gst.Promise.new())
        GLib.timeout_add_seconds(20, self.check_connected)
        return False

    def on_connection(self, _element, _spec):
        state = self.webrtc.get_property("connection-state")
        name = state.value_nick
        self.states.append(name)
        emit("connection", state=name)
        if state == GstWebRTC.WebRTCPeerConnectionState.CONNECTED and not self.ok:
            self.ok = True
            emit("publishing", seconds=self.args.seconds)
            GLib.timeout_add(int(self.args.seconds * 1000), self.finish)
        elif state == GstWebRTC.WebRTCPeerConnectionState.FAILED:
            self.finish()

    def check_connected(self):
        if not self.ok:
            emit("timeout", states=self.states)
            self.finish()
        return False

    def finish(self):
        if self.loop.is_running():
            self.loop.quit()
        return False

    def run(self):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, self.finish)
        self.pipeline.set_state(Gst.State.PLAYING)
        self.loop.run()
        for source in self.sources:
            source.stopped = True
        if self.location:
            status, _, _ = http("DELETE", self.location)
            emit("deleted", status=status)
        self.pipeline.set_state(Gst.State.NULL)
        emit("done", ok=self.ok, states=self.states)
        return 0 if self.ok else 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--tone", type=int, default=1000)
    parser.add_argument("--gop", type=int, default=60, help="frames between keyframes (vp8enc keyframe-max-dist)")
    parser.add_argument("--sync", action="store_true", help="send A/V sync marks (a flash and a beep each second)")
    args = parser.parse_args()
    Gst.init(None)
    sys.exit(Publisher(args).run())


if __name__ == "__main__":
    main()
