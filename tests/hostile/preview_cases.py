"""Hostile cases of class "preview" (issue 10 point 5): messages whose attachments name a file,
a FIFO or a network address for the *preview* to open. The reader and EP_FS1 accept them (the
bytes are the sender's business); tests/hostile/test_preview_reach.py shows each one in the
real preview widget and requires that nothing named was touched (`HostileEnv.touched()`) and
the secret file's text never shows. Registered from `cases.all_cases()`.
"""

from __future__ import annotations

import base64
from typing import Any

from tests.hostile import make_hostile as H
from tests.hostile.cases import HostileCase, HostileEnv, register

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'width="64" height="64"><rect width="64" height="64" fill="#00f"/>{body}</svg>'
)


def _svg(env: HostileEnv) -> dict[str, str]:
    fifo, secret, url = env.fifo.path, env.secret, env.net.url.rsplit("/", 1)[0]
    return {
        "svg_image_fifo": f'<image href="{fifo}" width="9" height="9"/>',
        "svg_image_file_uri": f'<image xlink:href="{secret.as_uri()}" width="9" height="9"/>',
        "svg_image_http": f'<image href="{url}/x.png" width="9" height="9"/>',
        "svg_use_external": f'<use href="{url}/s.svg#a"/><use xlink:href="{fifo}#b"/>',
        "svg_style_import": f"<style>@import url({url}/a.css);</style>",
    }


def _html(env: HostileEnv) -> str:
    fifo, secret, url = env.fifo.path, env.secret, env.net.url.rsplit("/", 1)[0]
    return (
        f'<link rel="stylesheet" href="{url}/s.css"><p>Tekst</p><img src="{fifo}">'
        f'<img src="{secret}"><img src="{url}/p.png"><table background="{fifo}"><tr><td>x'
        "</td></tr></table>"
    )


def _attachment(name: str, mime: str, data: bytes) -> bytes:
    return H.message(filename=name, mime=mime, content_b64=base64.b64encode(data).decode())


def _kept(msg: Any) -> str | None:
    return None if msg.files and msg.files[0].content else "the attachment was not kept"


def register_preview_cases() -> None:
    probe = ("svg_image_fifo", "svg_image_file_uri", "svg_image_http", "svg_use_external")
    for name in (*probe, "svg_style_import"):
        register(
            HostileCase(
                f"preview_{name}",
                "preview",
                lambda env, n=name: _attachment(
                    "tegning.svg", "image/svg+xml", SVG.format(body=_svg(env)[n]).encode()
                ),
                None,
                _kept,
            )
        )
    register(
        HostileCase(
            "preview_svg_labelled_png",
            "preview",
            lambda env: _attachment(
                "foto.png", "image/png", SVG.format(body=_svg(env)["svg_image_fifo"]).encode()
            ),
            None,
            _kept,
        )
    )
    for mime in ("text/html", "application/xhtml+xml"):
        register(
            HostileCase(
                f"preview_html_{mime.split('/')[1].replace('+', '_')}",
                "preview",
                lambda env, m=mime: _attachment("side.html", m, _html(env).encode()),
                None,
                _kept,
            )
        )
    register(
        HostileCase(
            "preview_path_as_image_bytes",
            "preview",
            lambda env: _attachment("sti.png", "image/png", str(env.fifo.path).encode()),
            None,
            _kept,
        )
    )
