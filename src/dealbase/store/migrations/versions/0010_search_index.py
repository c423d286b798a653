"""the full-text search index (SQLite FTS5; PostgreSQL GIN over to_tsvector), filled from the live records there

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# A frozen copy of what dealbase.domain.search declared when this migration was written.
SEARCHED = {  # table -> (entity code, ((group code, columns), ...), has custom fields)
    'deals': (1, ((1, ('title',)),), True),
    'persons': (2, ((1, ('name',)), (2, ('emails',)), (3, ('phones',))), True),
    'organizations': (3, ((1, ('name',)), (4, ('address',))), True),
    'products': (4, ((1, ('name',)), (5, ('code',))), True),
    'leads': (5, ((1, ('title',)),), True),
    'notes': (6, ((7, ('content',)),), False),
}
CUSTOM_ENTITY = {'deals': 'deal', 'persons': 'person', 'organizations': 'organization',
                 'products': 'product', 'leads': 'deal'}
CUSTOM_TYPES = ('address', 'varchar', 'text', 'varchar_auto', 'double', 'monetary', 'phone')
CUSTOM_GROUP = 6
MAX_TEXT = 8192
BATCH = 2000
_TAGS = re.compile(r'<[^>]*>')
_NOT_WORD = re.compile(r'[^\w]+|_+')


def _words(text: str) -> str:
    folded = unicodedata.normalize('NFKD', text.casefold())
    return _NOT_WORD.sub(' ', ''.join(c for c in folded if not unicodedata.combining(c))).strip()


def _plain(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return ''
    if isinstance(value, str) and value[:1] in '[{':
        try:
            import json
            value = json.loads(value)
        except ValueError:
            pass
    if isinstance(value, list):
        return '\n'.join(_plain(v.get('value') if isinstance(v, dict) else v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    if '<' in text or '&' in text:
        text = html.unescape(_TAGS.sub(' ', text))
    return text


def _text(values: list[Any]) -> str:
    lines = [line for v in values for line in _plain(v).splitlines() if line.strip()]
    return '\n'.join(_words(line) for line in lines)[:MAX_TEXT]


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    if sqlite:
        op.execute("CREATE VIRTUAL TABLE search_index USING fts5(words, company_id UNINDEXED, "
                   "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')")
        insert = sa.text('INSERT INTO search_index (rowid, company_id, words) VALUES (:k, :c, :w)')
    else:
        op.execute('CREATE TABLE search_index (key BIGINT PRIMARY KEY, company_id BIGINT NOT NULL, '
                   'words TEXT NOT NULL)')
        op.execute("CREATE INDEX ix_search_index_words ON search_index USING gin "
                   "(to_tsvector('simple', words))")
        insert = sa.text('INSERT INTO search_index (key, company_id, words) VALUES (:k, :c, :w)')
    custom: dict[tuple[int, str], list[str]] = {}
    for company_id, entity, key in bind.execute(sa.text(
            'SELECT company_id, entity, key FROM custom_fields WHERE NOT is_deleted AND '
            f"field_type IN ({', '.join(repr(t) for t in CUSTOM_TYPES)}) ORDER BY order_nr, id")):
        custom.setdefault((company_id, entity), []).append(key)
    for table, (code, groups, has_custom) in SEARCHED.items():
        columns = sorted({c for _, cs in groups for c in cs})
        extra = ', custom' if has_custom else ''
        after = 0
        while True:
            rows = bind.execute(sa.text(
                f"SELECT id, company_id, {', '.join(columns)}{extra} FROM {table} "
                'WHERE NOT is_deleted AND id > :after ORDER BY id LIMIT :n'),
                {'after': after, 'n': BATCH}).mappings().all()
            if not rows:
                break
            params = []
            for row in rows:
                base = (row['id'] << 8) | (code << 4)
                for group, names in groups:
                    text = _text([row[n] for n in names])
                    if text:
                        params.append({'k': base | group, 'c': row['company_id'], 'w': text})
                if has_custom:
                    values = row['custom']
                    if isinstance(values, str):
                        import json
                        values = json.loads(values)
                    keys = custom.get((row['company_id'], CUSTOM_ENTITY[table]), [])
                    text = _text([(values or {}).get(k) for k in keys])
                    if text:
                        params.append({'k': base | CUSTOM_GROUP, 'c': row['company_id'], 'w': text})
            if params:
                bind.execute(insert, params)
            after = rows[-1]['id']


def downgrade() -> None:
    op.execute('DROP TABLE search_index')
