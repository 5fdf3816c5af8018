"""Child process that builds a matching index: `python -m service.engine.index_build`.

Reads a msgpack BuildRequest (the lists and their stored entries) on stdin, writes the
encoded index (service.index.bundle) on stdout; exit code 1 and a message on stderr
when it cannot. Started by engine.index_source, so a serving process never spends its
own GIL on a build.
"""

from __future__ import annotations

import sys

import msgspec

from service.index.bundle import ListPart


class BuildRequest(msgspec.Struct, frozen=True):
    lists: tuple[ListPart, ...]
    entry_blobs: tuple[bytes, ...]


def main() -> int:
    import os

    from service.index.bundle import build_bundle, encode_bundle
    from service.store.snapshots import decode_entries

    # Lowest CPU priority: on a busy machine the servers answering calls come first; the
    # previous list versions keep serving until the build is done.
    os.nice(19)
    try:
        request = msgspec.msgpack.decode(sys.stdin.buffer.read(), type=BuildRequest)
        entries = [entry for blob in request.entry_blobs for entry in decode_entries(blob)]
        expected = sum(part.entries for part in request.lists)
        if len(entries) != expected:
            raise ValueError(f"{len(entries)} entries for lists that hold {expected}")
        built = encode_bundle(build_bundle(entries), request.lists)
    except Exception as exc:  # noqa: BLE001 - the parent reports it and keeps serving
        print(f"index build failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(built)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
