"""Build the Python gRPC modules from `protos/` (run: `python -m service.api.codegen`).

protoc writes absolute imports (`from screening.v1 import screening_pb2`) that only
work with `protos/`'s layout on sys.path; we rewrite them to package-relative imports
so the generated modules live inside `service.api.gen` (and, the same bytes, inside the client
package's `screening_client.gen`). The staleness test calls
`generate()` into a temporary folder and compares the bytes with the committed files.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PROTO_ROOT = REPO_ROOT / "protos"
PROTO_FILES = ("screening/v1/screening.proto",)
GENERATED_DIR = Path(__file__).resolve().parent / "gen"
# The same modules in the client package for integrators (clients/python), which needs no server code.
CLIENT_GENERATED_DIR = REPO_ROOT / "clients" / "python" / "screening_client" / "gen"
GENERATED_DIRS = (GENERATED_DIR, CLIENT_GENERATED_DIR)
_ABSOLUTE_IMPORT = re.compile(r"^from screening\.v1 import (\w+)", re.MULTILINE)


def generate(out_dir: Path) -> list[Path]:
    """Generate the modules into `out_dir` and return the files written."""
    import grpc_tools
    from grpc_tools import protoc

    well_known = Path(grpc_tools.__file__).parent / "_proto"
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        args = [
            "protoc",
            f"-I{PROTO_ROOT}",
            f"-I{well_known}",
            f"--python_out={scratch}",
            f"--pyi_out={scratch}",
            f"--grpc_python_out={scratch}",
            *[str(PROTO_ROOT / name) for name in PROTO_FILES],
        ]
        if protoc.main(args) != 0:
            raise RuntimeError(f"protoc failed: {' '.join(args)}")
        written = []
        for produced in sorted(Path(scratch).rglob("*.py*")):
            text = _ABSOLUTE_IMPORT.sub(r"from . import \1", produced.read_text())
            target = out_dir / produced.name
            target.write_text(text)
            written.append(target)
    return written


def main() -> int:
    for directory in GENERATED_DIRS:
        for path in generate(directory):
            print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
