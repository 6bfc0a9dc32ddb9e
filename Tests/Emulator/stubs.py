"""Python message classes for Protos/zerobus_service.proto, generated at start-up.

protoc (from grpcio-tools) writes `zerobus_service_pb2.py` into a cache directory keyed by the
SHA-256 of the .proto, so nothing generated is committed and a changed proto is picked up at
once. Generation goes to a private temporary directory that is renamed into place, so several
emulators starting together never see a half-written module.
"""

import hashlib
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PROTO = REPO_ROOT / "Protos" / "zerobus_service.proto"
MODULE_NAME = "zerobus_service_pb2"


def default_cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(tempfile.gettempdir(), f"zerobus-emulator-{os.getuid()}")
    return Path(base) / "zerobus-emulator-stubs"


def _generate(proto: Path, target: Path) -> None:
    import grpc_tools
    from grpc_tools import protoc

    well_known = Path(grpc_tools.__file__).parent / "_proto"
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="stubs-", dir=target.parent))
    try:
        rc = protoc.main(["protoc", f"-I{proto.parent}", f"-I{well_known}", f"--python_out={scratch}", str(proto)])
        if rc != 0:
            raise RuntimeError(f"protoc failed ({rc}) for {proto}")
        try:
            os.rename(scratch, target)
        except OSError:
            if not (target / f"{MODULE_NAME}.py").exists():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def load(proto: Path = DEFAULT_PROTO, cache_root: Path | None = None):
    """Returns the generated `zerobus_service_pb2` module (generating it on first use)."""
    if MODULE_NAME in sys.modules:
        return sys.modules[MODULE_NAME]
    proto = Path(proto).resolve()
    digest = hashlib.sha256(proto.read_bytes()).hexdigest()[:16]
    target = Path(cache_root or default_cache_root()) / digest
    module_file = target / f"{MODULE_NAME}.py"
    if not module_file.exists():
        _generate(proto, target)
    spec = importlib.util.spec_from_file_location(MODULE_NAME, module_file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module
    spec.loader.exec_module(module)
    return module
