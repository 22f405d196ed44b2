"""Model rules the database itself enforces."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError, StatementError

from rumours.extensions import db
from rumours.models import District, Encounter, Outcome, Setting


def make_encounter(district_id: int, client_uuid: uuid.UUID, **overrides) -> Encounter:
    values = dict(
        client_uuid=client_uuid,
        content_hash="x" * 64,
        occurred_at=datetime.now(UTC),
        district_id=district_id,
        setting=Setting.MARKET,
        people_reached=1,
        outcome=Outcome.DOUBT_SOWN,
    )
    values.update(overrides)
    return Encounter(**values)


@pytest.fixture
def district_id(app):
    with app.app_context():
        district = District(code="1", slug="ciutat-vella", name="Ciutat Vella")
        db.session.add(district)
        db.session.commit()
        return district.id


def test_client_uuid_is_unique(app, district_id):
    key = uuid.uuid4()
    with app.app_context():
        db.session.add(make_encounter(district_id, key))
        db.session.commit()
        db.session.add(make_encounter(district_id, key))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_people_reached_must_be_positive(app, district_id):
    with app.app_context():
        db.session.add(make_encounter(district_id, uuid.uuid4(), people_reached=0))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_timestamps_come_back_in_utc(app, district_id):
    madrid = timezone(timedelta(hours=1))
    local = datetime(2026, 11, 28, 10, 15, tzinfo=madrid)
    with app.app_context():
        encounter = make_encounter(district_id, uuid.uuid4(), occurred_at=local)
        db.session.add(encounter)
        db.session.commit()
        encounter_id = encounter.id
        db.session.expire_all()
        stored = db.session.get(Encounter, encounter_id).occurred_at
        assert stored == local and stored.utcoffset() == timedelta(0)
        with pytest.raises(StatementError):
            db.session.add(
                make_encounter(district_id, uuid.uuid4(), occurred_at=datetime(2026, 1, 1))
            )
            db.session.commit()
        db.session.rollback()


def test_foreign_keys_are_enforced(app):
    with app.app_context():
        db.session.add(make_encounter(9999, uuid.uuid4()))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
