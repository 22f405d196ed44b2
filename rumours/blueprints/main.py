"""The home page each role lands on."""

from flask import Blueprint, render_template
from flask_login import current_user

from .. import reports
from ..models import Role

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    """Anyone: a public welcome, or the logged-in user's home for their role."""
    if not current_user.is_authenticated:
        return render_template("main/welcome.html", catalogue=reports.public_catalogue_summary())
    if current_user.role is Role.COORDINATOR:
        return render_template("main/coordinator.html", summary=reports.network_summary())
    if current_user.role is Role.AGENT:
        return render_template("main/agent.html", summary=reports.agent_summary(current_user))
    return render_template("main/member.html", summaries=reports.member_summaries(current_user))
