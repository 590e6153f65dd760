"""What the Python WHIP publishers (aiortc-publish.py, gst-publish.py) share: the HTTP exchange and the one
JSON object per line they print for the tests."""
import json
import time
import urllib.error
import urllib.request


def emit(event, **fields):
    """One event on stdout: {"event": ..., "t": monotonic seconds, ...fields}."""
    print(json.dumps({"event": event, "t": round(time.monotonic(), 3), **fields}), flush=True)


def http(method, url, body=None, headers=None):
    """(status, headers with lower-case names, body text); an HTTP error status is an answer, not a raise."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode()
