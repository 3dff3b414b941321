#!/usr/bin/env python3
"""Uploads FILE to a reelshare tus endpoint with tuspy (an independent tus client), cutting the
connection off again and again, and resuming each time as a client would after a drop.

Each round: a raw PATCH declares the whole remaining length but sends only part of it (between
MIN and MAX bytes) and then closes the socket, as a dropped connection does; then a new tuspy
Uploader for the same URL asks the server for the offset (HEAD) and sends the next piece with
an `Upload-Checksum: sha1 …`. tuspy retries a PATCH refused with 409/423 (the server may still
be recording the cut request) after asking for the offset again. The last byte always goes
through tuspy. Prints one JSON line: the video id from `Reelshare-Video-Id`, the number of
cuts and of tuspy requests, and the bytes sent.

    resume.py ENDPOINT TOKEN FILE MIN MAX [SEED]
"""

import json
import os
import random
import socket
import sys
import urllib.parse

from tusclient import client as tus_client


def cut_patch(url, token, offset, remaining, data, sent):
    """A PATCH at `offset` declaring `remaining` bytes that sends only `sent` of them."""
    parts = urllib.parse.urlsplit(url)
    head = (
        f"PATCH {parts.path} HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\n"
        f"Authorization: Bearer {token}\r\n"
        "Tus-Resumable: 1.0.0\r\n"
        f"Upload-Offset: {offset}\r\n"
        "Content-Type: application/offset+octet-stream\r\n"
        f"Content-Length: {remaining}\r\n\r\n"
    ).encode()
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(head + data[offset : offset + sent])
        # Closed here, mid-body: the server sees the connection end before the declared length.


def main():
    endpoint, token, path, low, high = sys.argv[1:6]
    low, high = int(low), int(high)
    rng = random.Random(int(sys.argv[6]) if len(sys.argv) > 6 else 1)
    data = open(path, "rb").read()
    size = len(data)
    client = tus_client.TusClient(endpoint, headers={"Authorization": f"Bearer {token}"})

    def uploader(url=None, chunk=high):
        return client.uploader(
            file_path=path,
            url=url,
            chunk_size=chunk,
            metadata={"filename": os.path.basename(path)},
            upload_checksum=True,
            retries=20,
            retry_delay=0.05,
            store_url=False,
        )

    first = uploader(chunk=rng.randint(low, high))
    first.upload_chunk()  # creates the upload, then sends the first piece
    url, offset = first.url, first.offset
    cuts, requests, last = 0, 2, first
    while offset < size:
        remaining = size - offset
        if remaining > 1:
            cut_patch(url, token, offset, remaining, data, rng.randint(1, min(high, remaining - 1)))
            cuts += 1
        resumed = uploader(url=url, chunk=rng.randint(low, high))  # HEADs the offset
        resumed.upload_chunk()
        requests += 2
        offset, last = resumed.offset, resumed
    video_id = last.request.response_headers.get("reelshare-video-id")
    print(json.dumps({"video_id": video_id, "cuts": cuts, "tuspy_requests": requests, "bytes": size}))


if __name__ == "__main__":
    main()
