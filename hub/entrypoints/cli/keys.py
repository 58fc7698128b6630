"""``interop-hub keys rotate-kek``: re-wrap every secret sealed under the KEK with a new one.

Make the new key first (32 random bytes, base64, mode 0600), e.g.
``python -c "import base64,os; print(base64.b64encode(os.urandom(32)).decode())" > new-kek``,
stop the region's hub, run the command, start the hub again. See
:mod:`hub.adapters.crypto.kek_rotation` for what is re-wrapped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hub.adapters.crypto.kek_rotation import rotate_kek
from hub.entrypoints.cli import common as hub_cli

app = typer.Typer(help="Keys sealed at rest: rotate the key-encryption key.",
                  no_args_is_help=True)



@app.command("rotate-kek")
def rotate(
    new_kek_file: Annotated[Path, typer.Option("--new-kek-file", help="File with the new KEK "
                                               "(base64 of 32 bytes, mode 0600)")],
    data: hub_cli.DataOption = None,
) -> None:
    """Re-wrap subject keys, region keys, the credential key and the hub's NATS seed."""
    settings = hub_cli.load_settings(data)
    rotation = rotate_kek(settings, new_kek_file)
    out = hub_cli.out
    out.print(f"re-wrapped {rotation.store_rows} key store entries and "
              f"{rotation.region_keys} region signing keys", highlight=False)
    if rotation.kek_file is None:
        out.print("HUB_KEK is set: put the new key in it before the hub starts again",
                  highlight=False)
    else:
        out.print(f"the new key-encryption key is now {rotation.kek_file}", highlight=False)
