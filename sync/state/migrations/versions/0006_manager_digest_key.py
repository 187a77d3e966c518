"""Record the manager's digest under a key that no owner's name folds to.

Before this revision the manager's sent digests were recorded under the
owner "*", which is also the key of an owner cell "*" or "＊". Those rows
move to the new key, so the manager's digest of the day is not sent again
and its items stay marked as sent. Rows of an owner named "*" cannot be told
apart from the manager's, because both digests shared them, so they move too.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

# The values of sync.notify.ledger.MANAGER_LEDGER_KEY before and after this
# revision, written out so that the migration keeps working if it changes.
OLD_MANAGER_KEY = "*"
NEW_MANAGER_KEY = "(manager digest)"

TABLES = ("digests_sent", "digest_items")


def upgrade() -> None:
    """Move the manager's rows from the owner "*" to the new key."""
    _rename_owner(OLD_MANAGER_KEY, NEW_MANAGER_KEY)


def downgrade() -> None:
    """Move the manager's rows back to the owner "*".

    Rows recorded since then for an owner named "*" are deleted first, because
    the unique keys allow one row per owner, channel and day or item.
    """
    for table in _tables():
        op.execute(table.delete().where(table.c.owner == OLD_MANAGER_KEY))
    _rename_owner(NEW_MANAGER_KEY, OLD_MANAGER_KEY)


def _rename_owner(old: str, new: str) -> None:
    for table in _tables():
        op.execute(table.update().where(table.c.owner == old).values(owner=new))


def _tables() -> list[sa.TableClause]:
    return [sa.table(name, sa.column("owner", sa.String)) for name in TABLES]
