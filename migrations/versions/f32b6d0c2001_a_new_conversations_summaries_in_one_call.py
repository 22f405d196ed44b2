"""on PostgreSQL a new conversation's summaries in one call: the function
rumours_add_encounter

Revision ID: f32b6d0c2001
Revises: e31f5a2b1001
Create Date: 2026-12-07 18:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f32b6d0c2001'
down_revision = 'e31f5a2b1001'
branch_labels = None
depends_on = None

# This migration's own copy of the summary tables as they are at this revision, so that
# it writes the same function whatever the models become (a later table change replaces
# the function in its own migration; tests/test_migrations.py checks that the migrated
# function is the one the models make).
MEASURES = (
    'encounters', 'people', 'outcome_open', 'outcome_doubt_sown', 'outcome_unchanged',
    'outcome_hostile', 'setting_street', 'setting_market', 'setting_bar', 'setting_school',
    'setting_workplace', 'setting_transport', 'setting_family', 'setting_online',
    'setting_association', 'setting_other',
)
ENCOUNTER = ('district', 'organisation', 'campaign')
TABLES = (
    ('encounter_stats_month', 'month', ENCOUNTER),
    ('encounter_stats_week', 'week', ENCOUNTER),
    ('encounter_stats_day', 'day', ENCOUNTER),
    ('neighbourhood_totals_month', 'month', ('district', 'neighbourhood', 'campaign')),
    ('neighbourhood_totals_day', 'day', ('district', 'neighbourhood', 'campaign')),
    ('neighbourhood_stats_month', 'month',
     ('district', 'neighbourhood', 'organisation', 'campaign')),
    ('neighbourhood_stats_day', 'day',
     ('district', 'neighbourhood', 'organisation', 'campaign')),
    ('rumour_district_stats_month', 'month', ('district', 'rumour', 'rebuttal')),
    ('rumour_district_stats_day', 'day', ('district', 'rumour', 'rebuttal')),
    ('campaign_rumour_stats_month', 'month', ('campaign', 'district', 'rumour', 'rebuttal')),
    ('campaign_rumour_stats_day', 'day', ('campaign', 'district', 'rumour', 'rebuttal')),
    ('rumour_stats_month', 'month', (*ENCOUNTER, 'rumour', 'rebuttal')),
    ('rumour_stats_day', 'day', (*ENCOUNTER, 'rumour', 'rebuttal')),
    ('rumour_neighbourhood_stats_month', 'month',
     ('district', 'neighbourhood', 'campaign', 'rumour')),
    ('rumour_neighbourhood_stats_day', 'day',
     ('district', 'neighbourhood', 'campaign', 'rumour')),
    ('setting_stats_month', 'month', ('district', 'setting')),
    ('rumour_organisation_stats_month', 'month', ('organisation', 'neighbourhood', 'rumour')),
)
PARAMETERS = {
    'district': 'p_district', 'neighbourhood': 'p_neighbourhood',
    'organisation': 'p_organisation', 'campaign': 'p_campaign', 'setting': 'p_setting',
    'rumour': 'link.rumour', 'rebuttal': 'link.rebuttal',
}
PERIODS = {'day': 'p_day', 'week': 'v_week', 'month': 'v_month'}
SIGNATURE = (
    'rumours_add_encounter(p_day date, p_district integer, p_neighbourhood integer, '
    'p_organisation integer, p_campaign integer, p_setting integer, '
    'p_measures integer[], p_rumours integer[], p_rebuttals integer[])'
)


def body():
    measures = [f'p_measures[{i}]' for i in range(1, len(MEASURES) + 1)]
    upserts = []
    for name, grain, dimensions in TABLES:
        keys = ['period_start', *(f'{d}_id' for d in dimensions)]
        values = [PERIODS[grain], *(PARAMETERS[d] for d in dimensions)]
        rows = (
            f"SELECT {', '.join([*values, *measures])} "
            'FROM unnest(p_rumours, p_rebuttals) AS link(rumour, rebuttal) '
            'ORDER BY link.rumour, link.rebuttal'
            if 'rumour' in dimensions
            else f"VALUES ({', '.join([*values, *measures])})"
        )
        upserts.append(
            f"  INSERT INTO {name} AS t ({', '.join([*keys, *MEASURES])})\n"
            f'  {rows}\n'
            f"  ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
            + ', '.join(f'{m} = t.{m} + excluded.{m}' for m in MEASURES)
            + ';\n'
        )
    return (
        '\nDECLARE\n'
        "  v_week date := CAST(date_trunc('week', p_day) AS date);\n"
        "  v_month date := CAST(date_trunc('month', p_day) AS date);\n"
        'BEGIN\n' + ''.join(upserts) + 'END\n'
    )


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(
        f'CREATE OR REPLACE FUNCTION {SIGNATURE} RETURNS void '
        f'LANGUAGE plpgsql AS $body${body()}$body$'
    )


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('DROP FUNCTION IF EXISTS rumours_add_encounter')
