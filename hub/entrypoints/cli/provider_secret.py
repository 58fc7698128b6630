"""``interop-hub provider-secret set NAME``: seal a provider's password under the KEK.

The services file names the secret (``auth.secret`` or ``tls.key_secret`` =
``"provider:..."``); this command stores its value in the region's key store,
KEK-wrapped. The value is read from standard input when it is not a terminal
(``printf %s "$PASSWORD" | interop-hub provider-secret set NAME``), else
prompted for without echo. It is never an argument, so it stays out of shell
history and process listings. A running hub reads it at its next start.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from contracts.errors import HubError
from hub.adapters.crypto.keyring import open_keyring
from hub.adapters.providers.secrets import ProviderSecrets
from hub.entrypoints.cli import common as hub_cli

app = typer.Typer(help="Secrets the hub presents to providers, sealed under the KEK.",
                  no_args_is_help=True)



@app.command("set")
def set_secret(
    name: Annotated[str, typer.Argument(help='The reference, e.g. "provider:north/tax/basic"',
                                        show_default=False)],
    data: hub_cli.DataOption = None,
) -> None:
    """Store (or replace) the secret NAME; the value comes from stdin or a hidden prompt."""
    if sys.stdin.isatty():
        value = typer.prompt("value", hide_input=True, confirmation_prompt=True)
    else:
        value = sys.stdin.read().rstrip("\r\n")
    settings = hub_cli.load_settings(data)
    keyring = open_keyring(settings)
    try:
        ProviderSecrets(keyring).store(name, value)
    except HubError as exc:
        hub_cli.out.print(f"error: {exc.message}", highlight=False)
        raise typer.Exit(2) from None
    finally:
        keyring.close()
    hub_cli.out.print(f"stored {name} (sealed under the key-encryption key); "
                      "a running hub uses it from its next start", highlight=False)
