"""`flask create-user` makes a real account."""

from rumours.extensions import db
from rumours.models import Role, User

from .helpers import login


def test_create_user_makes_a_coordinator_who_can_log_in(app, runner):
    result = runner.invoke(
        args=["create-user", "--email", "Lead@Example.org", "--name", "Lead Coordinator"],
        input="a-long-enough-password\na-long-enough-password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.execute(
            db.select(User).where(User.email == "lead@example.org")
        ).scalar_one()
        assert user.role is Role.COORDINATOR
        assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    client = app.test_client()
    assert login(client, "lead@example.org", "a-long-enough-password").status_code == 302


def test_create_user_refuses_short_passwords_and_duplicates(app, runner, create_user):
    short = runner.invoke(
        args=["create-user", "--email", "a@example.org", "--name", "A"], input="short\nshort\n"
    )
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    existing = create_user(Role.AGENT)
    duplicate = runner.invoke(
        args=["create-user", "--email", existing.email, "--name", "B"],
        input="a-long-enough-password\na-long-enough-password\n",
    )
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
