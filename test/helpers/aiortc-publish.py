#!/usr/bin/python3
"""A WHIP publisher built on aiortc (RFC 9725 §4.2, non-trickle): H.264 (libx264) + Opus from ffmpeg lavfi
sources, a test picture at a known frame rate and a sine at a known pitch.

usage: aiortc-publish.py WHIP_URL [--mode default|active|passive|nobundle] [--seconds N] [--fps N] [--tone HZ]
    [--token T]

The offer is aiortc's own, sent after ICE gathering (every candidate in it). --mode changes only the offer
text we send, as other stacks write it: "active"/"passive" put that a=setup in every m-section (aiortc then
takes the role the answer leaves it), "nobundle" removes the a=group:BUNDLE line (aiortc keeps one transport
per m-section). One JSON object per line on stdout: {"event": ..., ...}. SIGTERM ends publishing early (with the
DELETE). Exit status 0 when the connection came up and media was sent, 1 otherwise.
"""
import argparse
import asyncio
import json
import re
import signal
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer


def emit(event, **fields):
    print(json.dumps({"event": event, "t": round(time.monotonic(), 3), **fields}), flush=True)


def munge(sdp, mode):
    if mode in ("active", "passive"):
        return re.sub(r"^a=setup:\w+", "a=setup:" + mode, sdp, flags=re.M)
    if mode == "nobundle":
        return re.sub(r"^a=group:BUNDLE[^\r\n]*\r?\n", "", sdp, flags=re.M)
    return sdp


def http(method, url, body=None, headers=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode()


async def publish(args):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    states = []

    @pc.on("connectionstatechange")
    def on_state():
        states.append(pc.connectionState)
        emit("connection", state=pc.connectionState)

    @pc.on("iceconnectionstatechange")
    def on_ice():
        emit("ice", state=pc.iceConnectionState)

    size = "640x360"
    video = MediaPlayer(f"testsrc2=size={size}:rate={args.fps}", format="lavfi")
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
    location = urllib.parse.urljoin(args.url, response_headers.get("location", ""))
    status, _, _ = http("DELETE", location, headers={"Authorization": "Bearer " + args.token} if args.token else {})
    emit("deleted", status=status)
    await pc.close()
    emit("done", ok=ok, states=states)
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--mode", default="default", choices=["default", "active", "passive", "nobundle"])
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--tone", type=int, default=1000)
    parser.add_argument("--token", default="")
    args = parser.parse_args()
    sys.exit(asyncio.run(publish(args)))


if __name__ == "__main__":
    main()
