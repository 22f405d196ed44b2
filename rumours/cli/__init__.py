"""Command-line commands, one module per area; each lists its COMMANDS."""

from flask import Flask

from . import accounts, backup, catalogue, city, geography


def init_app(app: Flask) -> None:
    for module in (accounts, backup, catalogue, city, geography):
        for command in module.COMMANDS:
            app.cli.add_command(command)
