"""A minimal PEP 517 build backend (standard library only) for this pure-Python package.

pip builds the client with it without downloading setuptools, so `pip install ./clients/python`
works offline. It builds a wheel of the `modellab` package, and an sdist of this folder.
"""
import base64
import csv
import hashlib
import io
import os
import tarfile
import zipfile

NAME = "modellab"
VERSION = "0.1.0"
HERE = os.path.dirname(os.path.abspath(__file__))
TAG = "py3-none-any"


def _metadata():
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {NAME}\n"
        f"Version: {VERSION}\n"
        "Summary: Python client for ModelLab, a self-hosted ML experiment tracker\n"
        "Requires-Python: >=3.8\n"
    )


def _files():
    package = os.path.join(HERE, NAME)
    for root, _dirs, files in os.walk(package):
        for name in sorted(files):
            if name.endswith(".py"):
                full = os.path.join(root, name)
                yield full, os.path.relpath(full, HERE).replace(os.sep, "/")


def _digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    dist_info = f"{NAME}-{VERSION}.dist-info"
    os.makedirs(os.path.join(metadata_directory, dist_info), exist_ok=True)
    with open(os.path.join(metadata_directory, dist_info, "METADATA"), "w") as f:
        f.write(_metadata())
    return dist_info


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    wheel_name = f"{NAME}-{VERSION}-{TAG}.whl"
    dist_info = f"{NAME}-{VERSION}.dist-info"
    records = []
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w", zipfile.ZIP_DEFLATED) as wheel:
        def add(arcname, data):
            wheel.writestr(arcname, data)
            records.append((arcname, _digest(data), str(len(data))))

        for full, arcname in _files():
            with open(full, "rb") as f:
                add(arcname, f.read())
        add(f"{dist_info}/METADATA", _metadata().encode())
        add(f"{dist_info}/WHEEL", f"Wheel-Version: 1.0\nGenerator: modellab-backend\nRoot-Is-Purelib: true\nTag: {TAG}\n".encode())
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerows(records)
        writer.writerow((f"{dist_info}/RECORD", "", ""))
        wheel.writestr(f"{dist_info}/RECORD", out.getvalue())
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    base = f"{NAME}-{VERSION}"
    path = os.path.join(sdist_directory, f"{base}.tar.gz")
    with tarfile.open(path, "w:gz") as tar:
        for name in ("pyproject.toml", "_build_backend.py", "README.md"):
            tar.add(os.path.join(HERE, name), arcname=f"{base}/{name}")
        for full, arcname in _files():
            tar.add(full, arcname=f"{base}/{arcname}")
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        data = _metadata().encode()
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return os.path.basename(path)
