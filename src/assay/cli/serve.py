"""`assay serve`: the web dashboard and live arena on a local port."""

from __future__ import annotations

import getpass
import os
from typing import Annotated

import typer

import assay
from assay.cli.options import DbOpt
from assay.core.errors import ConfigError

serve_app = typer.Typer(help="Web dashboard and live arena.", invoke_without_command=True)


@serve_app.callback()
def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to listen on (keep 127.0.0.1 unless behind a proxy).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.", min=1, max=65535)] = 8000,
    models: Annotated[
        str, typer.Option(help="Arena models, comma-separated (built-in names or backend:target).")
    ] = "smollm2-135m,qwen2.5-coder-0.5b",
    max_tokens: Annotated[int, typer.Option(help="Longest arena answer in tokens.", min=1)] = 256,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy", help="Proxy address or network whose X-Forwarded-For is believed. Repeatable."
        ),
    ] = None,
    battle_limit: Annotated[str, typer.Option(help="New battles per session (limits syntax).")] = "10/minute",
    secure_cookies: Annotated[
        bool, typer.Option("--secure-cookies", help="Mark cookies Secure (behind an HTTPS proxy).")
    ] = False,
    db: DbOpt = None,
) -> None:
    """Serve the dashboard; admin actions only when ASSAY_ADMIN_PASSWORD_HASH (argon2) is set."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from assay.web.app import create_app
    from assay.web.security import admin_hash

    # an unknown name fails here with one line, not at the first battle
    names = assay.check_model_names(m.strip() for m in models.split(",") if m.strip())
    if len(set(names)) == 1:
        raise ConfigError("the arena needs two different models (--models a,b)")
    config = assay.ArenaConfig(
        models=names,
        max_tokens=max_tokens,
        trusted_proxies=tuple(trusted_proxy or ()),
        battle_limit=battle_limit,
    )
    stored_hash = admin_hash()
    if stored_hash is not None and not stored_hash.startswith("$argon2"):
        raise ConfigError(
            "ASSAY_ADMIN_PASSWORD_HASH is not an argon2 hash; make one with `assay serve hash-password`"
        )
    store = assay.open_store(db)
    app = create_app(store, config, admin_hash=stored_hash, secure_cookies=secure_cookies)
    typer.echo(
        f"assay: http://{host}:{port}/  (store {store.display_url}; admin {'on' if stored_hash else 'off'})"
    )
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level=os.environ.get("ASSAY_LOG_LEVEL", "warning"),
            proxy_headers=False,
        )  # the arena reads X-Forwarded-For itself, from trusted proxies only
    finally:
        store.close()


@serve_app.command("hash-password")
def hash_password_cmd(
    password_stdin: Annotated[
        bool, typer.Option("--stdin", help="Read the password from standard input instead of prompting.")
    ] = False,
) -> None:
    """Print an argon2 hash for ASSAY_ADMIN_PASSWORD_HASH."""
    import sys

    from assay.web.security import hash_password

    password = sys.stdin.readline().rstrip("\n") if password_stdin else getpass.getpass("admin password: ")
    if len(password) < 8:
        raise ConfigError("use an admin password of at least 8 characters")
    typer.echo(hash_password(password))
