"""SF2900 EP_AS5: the gateway's SFTP uploader against the REAL sandbox SFTP server on loopback.

Every test starts an asyncssh server with key authentication only, chrooted into tmp_path, and
uploads through `app.dubu.sftp_upload` exactly as the gateway's delivery will.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import sys
import time
import uuid
from pathlib import Path

import asyncssh
import pytest

from app.dubu.sftp_upload import (
    SftpConfig,
    SftpUploadError,
    document_file_uuid,
    file_extension,
    part_name,
    sagsdokument_name,
    upload_document,
)
from app.sandbox.sftp_server import SandboxSftpServer, SftpServerConfig, write_private_key

USER = "KY_SIMPELSFTP"
DECISION = uuid.UUID("123e4567-e89b-12d3-a456-426655440000")


def _key(path: Path) -> asyncssh.SSHKey:
    key = asyncssh.generate_private_key("ssh-ed25519")
    write_private_key(key, path)
    return key


def _server(tmp_path: Path, client_key: asyncssh.SSHKey) -> SandboxSftpServer:
    pub = client_key.export_public_key().decode()
    return SandboxSftpServer(SftpServerConfig(root=tmp_path / "sftp" / "root", users={USER: [pub]}))


def _config(tmp_path: Path, server: SandboxSftpServer, **kw) -> SftpConfig:
    known = server.write_known_hosts(tmp_path / "known_hosts")
    defaults = {
        "host": "127.0.0.1",
        "port": server.port,
        "username": USER,
        "private_key": tmp_path / "id_ed25519",
        "known_hosts": known,
        "connect_timeout": 5.0,
        "timeout": 20.0,
    }
    defaults.update(kw)
    return SftpConfig(**defaults)


def _doc(tmp_path: Path, data: bytes = b"%PDF-1.7 afgoerelse\n" * 5000) -> Path:
    path = tmp_path / "afgoerelse.pdf"
    path.write_bytes(data)
    return path


def _name() -> str:
    return sagsdokument_name(USER, document_file_uuid(DECISION, 0), file_extension("a.pdf"))


def run(tmp_path: Path, body):
    async def main():
        key = _key(tmp_path / "id_ed25519")
        server = _server(tmp_path, key)
        await server.start()
        try:
            return await body(server, _config(tmp_path, server))
        finally:
            await server.stop()

    return asyncio.run(main())


def test_name_follows_the_spec_convention():
    name = sagsdokument_name("SAPA", "123e4567-e89b-12d3-a456-426655440000", "pdf")
    assert name == "SAPA_SAGSDOKUMENT_123e4567-e89b-12d3-a456-426655440000.PDF"
    assert document_file_uuid(DECISION, 0) == document_file_uuid(str(DECISION), 0)
    assert document_file_uuid(DECISION, 0) != document_file_uuid(DECISION, 1)
    assert file_extension("x", "application/pdf") == "PDF"
    assert file_extension("../../etc/passwd", None) == "BIN"
    with pytest.raises(ValueError):
        sagsdokument_name("../x", DECISION, "PDF")


def test_upload_lands_with_right_size_and_sha256(tmp_path):
    doc = _doc(tmp_path)
    expected = hashlib.sha256(doc.read_bytes()).hexdigest()

    async def body(server: SandboxSftpServer, config: SftpConfig):
        up = await upload_document(config, doc, _name())
        return up, server.uploaded_files(), server.file_info(USER, _name())

    up, files, info = run(tmp_path, body)
    assert up.remote_name == _name()
    assert up.remote_path == f"OUT/{_name()}"
    assert (up.size, up.sha256, up.already_present) == (doc.stat().st_size, expected, False)
    assert [(f.path, f.size, f.sha256) for f in files] == [
        (f"{USER}/OUT/{_name()}", doc.stat().st_size, expected)
    ]
    assert info is not None and info.sha256 == expected


def test_retry_is_idempotent_and_conflict_is_refused(tmp_path):
    doc = _doc(tmp_path)

    async def body(server: SandboxSftpServer, config: SftpConfig):
        first = await upload_document(config, doc, _name())
        second = await upload_document(config, doc, _name())
        other = tmp_path / "other.pdf"
        other.write_bytes(b"other content")
        with pytest.raises(SftpUploadError) as err:
            await upload_document(config, other, _name())
        return first, second, err.value, server.uploaded_files()

    first, second, err, files = run(tmp_path, body)
    assert second.already_present and second.sha256 == first.sha256
    assert err.reason == "conflict" and not err.transient
    assert len(files) == 1 and files[0].sha256 == first.sha256


def test_crash_between_upload_and_rename_leaves_exactly_one_file(tmp_path):
    """A crash after the temp file was written (wholly, or half) but before the rename: the retry
    of the same decision overwrites the leftover and leaves exactly one complete file."""
    doc = _doc(tmp_path)
    data = doc.read_bytes()
    expected = hashlib.sha256(data).hexdigest()

    async def body(server: SandboxSftpServer, config: SftpConfig):
        # What the uploader had done when it was killed: the .part file, no rename.
        leftover = server.user_root(USER) / "OUT" / part_name(_name(), "crashed")
        leftover.write_bytes(data[: len(data) // 2])
        before = [f.path for f in server.uploaded_files()]
        up = await upload_document(config, doc, _name())
        again = await upload_document(config, doc, _name())
        return before, up, again, server.uploaded_files()

    before, up, again, files = run(tmp_path, body)
    assert before == [f"{USER}/OUT/{part_name(_name(), 'crashed')}"]
    assert not up.already_present and again.already_present
    assert [(f.path, f.sha256) for f in files] == [(f"{USER}/OUT/{_name()}", expected)]


def test_password_auth_refused(tmp_path):
    async def body(server: SandboxSftpServer, config: SftpConfig):
        with pytest.raises(asyncssh.PermissionDenied):
            async with asyncssh.connect(
                "127.0.0.1",
                server.port,
                username=USER,
                password="hemmelig",
                client_keys=None,
                known_hosts=str(config.known_hosts),
                agent_path=None,
                config=(),
                preferred_auth="password,keyboard-interactive",
            ):
                pass

    run(tmp_path, body)


def test_unregistered_key_refused(tmp_path):
    async def body(server: SandboxSftpServer, config: SftpConfig):
        _key(tmp_path / "stranger")
        cfg = _config(tmp_path, server, private_key=tmp_path / "stranger")
        with pytest.raises(SftpUploadError) as err:
            await upload_document(cfg, _doc(tmp_path), _name())
        return err.value, server.uploaded_files()

    err, files = run(tmp_path, body)
    assert err.reason == "auth" and not err.transient
    assert files == []


def test_wrong_host_key_refused(tmp_path):
    async def body(server: SandboxSftpServer, config: SftpConfig):
        impostor = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
        known = tmp_path / "known_hosts_wrong"
        known.write_text(f"[127.0.0.1]:{server.port} {impostor}")
        with pytest.raises(SftpUploadError) as err:
            await upload_document(
                _config(tmp_path, server, known_hosts=known), _doc(tmp_path), _name()
            )
        return err.value, server.uploaded_files()

    err, files = run(tmp_path, body)
    assert err.reason == "host_key" and not err.transient
    assert files == []


def test_key_file_readable_by_others_refused(tmp_path):
    async def body(server: SandboxSftpServer, config: SftpConfig):
        os.chmod(config.private_key, 0o644)
        with pytest.raises(SftpUploadError) as err:
            await upload_document(config, _doc(tmp_path), _name())
        return err.value

    err = run(tmp_path, body)
    assert err.reason == "key_file" and "0644" in str(err)


def test_missing_known_hosts_refused(tmp_path):
    async def body(server: SandboxSftpServer, config: SftpConfig):
        cfg = _config(tmp_path, server, known_hosts=tmp_path / "nope")
        with pytest.raises(SftpUploadError) as err:
            await upload_document(cfg, _doc(tmp_path), _name())
        return err.value

    assert run(tmp_path, body).reason == "known_hosts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_down_is_a_clear_transient_error(tmp_path):
    async def body(server: SandboxSftpServer, config: SftpConfig):
        cfg = _config(tmp_path, server, port=_free_port())
        with pytest.raises(SftpUploadError) as err:
            await upload_document(cfg, _doc(tmp_path), _name())
        return err.value

    err = run(tmp_path, body)
    assert err.reason == "unreachable" and err.transient
    assert "SFTP-serveren kan ikke nås" in str(err)


def test_silent_server_times_out_within_the_bound(tmp_path):
    """A peer that accepts TCP but never speaks SSH: a timeout error within the bound."""

    async def body(server: SandboxSftpServer, config: SftpConfig):
        silent = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = silent.sockets[0].getsockname()[1]
        cfg = _config(tmp_path, server, port=port, connect_timeout=1.0, timeout=2.0)
        start = time.monotonic()
        with pytest.raises(SftpUploadError) as err:
            await upload_document(cfg, _doc(tmp_path), _name())
        elapsed = time.monotonic() - start
        silent.close()
        return err.value, elapsed

    err, elapsed = run(tmp_path, body)
    assert err.transient and err.reason == "timeout"
    assert elapsed < 4.0


def test_two_nodes_uploading_the_same_decision_leave_one_file(tmp_path):
    doc = _doc(tmp_path)

    async def body(server: SandboxSftpServer, config: SftpConfig):
        ups = await asyncio.gather(*(upload_document(config, doc, _name()) for _ in range(3)))
        return ups, server.uploaded_files()

    ups, files = run(tmp_path, body)
    assert {u.sha256 for u in ups} == {files[0].sha256}
    assert [f.path for f in files] == [f"{USER}/OUT/{_name()}"]


def test_chroot_holds_and_links_are_refused(tmp_path):
    async def body(server: SandboxSftpServer, config: SftpConfig):
        secret = tmp_path / "outside.txt"
        secret.write_text("outside")
        async with (
            asyncssh.connect(
                "127.0.0.1",
                server.port,
                username=USER,
                client_keys=[str(config.private_key)],
                known_hosts=str(config.known_hosts),
                agent_path=None,
                config=(),
            ) as conn,
            conn.start_sftp_client() as sftp,
        ):
            top = sorted(await sftp.listdir("/"))
            up = sorted(await sftp.listdir("/../../.."))
            with pytest.raises(asyncssh.SFTPError):
                await sftp.symlink(str(secret), "OUT/link")
        return top, up

    top, up = run(tmp_path, body)
    assert [n for n in top if n not in {".", ".."}] == ["IN", "OUT"]
    assert top == up


UPLOADER = """
import asyncio, json, sys
from pathlib import Path
from app.dubu.sftp_upload import SftpConfig, upload_document
args = json.loads(sys.argv[1])
config = SftpConfig(**{**args["config"], "private_key": Path(args["config"]["private_key"]),
                       "known_hosts": Path(args["config"]["known_hosts"])})
asyncio.run(upload_document(config, Path(args["local"]), args["name"]))
"""


def test_sigkill_during_upload_then_retry_leaves_one_complete_file(tmp_path):
    """A real crash: the uploader process is SIGKILLed while it writes the temp file; the retry
    of the same decision leaves exactly one file, complete, and no temp file."""
    doc = _doc(tmp_path, os.urandom(48 * 1024 * 1024))
    expected = hashlib.sha256(doc.read_bytes()).hexdigest()

    async def body(server: SandboxSftpServer, config: SftpConfig):
        out = server.user_root(USER) / "OUT"
        args = {
            "config": {
                "host": config.host,
                "port": config.port,
                "username": config.username,
                "private_key": str(config.private_key),
                "known_hosts": str(config.known_hosts),
            },
            "local": str(doc),
            "name": _name(),
        }
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", UPLOADER, json.dumps(args), env=env
        )
        deadline = time.monotonic() + 60
        parts: list[Path] = []
        while time.monotonic() < deadline:
            parts = [p for p in out.glob("*.part") if p.stat().st_size > 1024 * 1024]
            if parts or proc.returncode is not None:
                break
            await asyncio.sleep(0.005)
        proc.kill()
        await proc.wait()
        assert parts, "the uploader never got to write its temp file"
        killed_mid_way = not (out / _name()).exists()
        up = await upload_document(config, doc, _name())
        return killed_mid_way, up, server.uploaded_files()

    killed_mid_way, up, files = run(tmp_path, body)
    assert killed_mid_way
    assert (up.sha256, up.already_present) == (expected, False)
    assert [(f.path, f.sha256) for f in files] == [(f"{USER}/OUT/{_name()}", expected)]
