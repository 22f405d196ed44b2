"""Command-line commands, one module per area; each lists its COMMANDS."""

from flask import Flask

from . import accounts, backup


def init_app(app: Flask) -> None:
    for module in (accounts, backup):
        for command in module.COMMANDS:
            app.cli.add_command(command)
