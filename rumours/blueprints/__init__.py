"""One blueprint per area of the app; `register_all` adds them all to the app."""

from flask import Flask


def register_all(app: Flask) -> None:
    """Register every area's blueprint (one module per area, each exposing `bp`)."""
    from . import (
        accounts,
        agents,
        api,
        api_encounters,
        audit,
        auth,
        campaigns,
        catalogue,
        catalogue_import,
        dashboard,
        encounters,
        exports,
        geography,
        health,
        language,
        main,
        me,
        organisations,
        public_reports,
        registration,
        rumours,
        settings,
        shell,
        trainings,
        triage,
        two_factor,
    )

    for module in (main, auth, api, audit, public_reports, rumours, catalogue, catalogue_import,
                   encounters, api_encounters, registration, agents, me, trainings,
                   organisations, campaigns, dashboard, exports, geography, language, shell,
                   settings, health, triage, two_factor, accounts):
        app.register_blueprint(module.bp)
