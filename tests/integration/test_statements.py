"""Every statement of the product (db_stmt.c's table, printed by
build/tests/stmt_dump) prepares against the migrated schema: a renamed
column or a mistyped parameter fails here, not in front of a user."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def statements():
    exe = os.path.join(ROOT, "build", "tests", "stmt_dump")
    out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    return [line.split("\t", 1) for line in out.splitlines() if "\t" in line]


def test_every_statement_prepares_against_the_schema(stack):
    stmts = statements()
    assert len(stmts) > 50, len(stmts)
    failed = []
    with stack.db() as conn:
        for name, sql in stmts:
            try:
                with conn.transaction():
                    conn.execute("PREPARE jst_check AS " + sql)
                    conn.execute("DEALLOCATE jst_check")
            except Exception as e:  # noqa: BLE001 -- collect every failure
                failed.append("%s: %s" % (name, str(e).splitlines()[0]))
    assert not failed, failed


def test_a_broken_statement_would_be_caught(stack):
    with stack.db() as conn:
        try:
            with conn.transaction():
                conn.execute("PREPARE jst_check AS SELECT no_such_column FROM portals WHERE id = $1")
        except Exception as e:  # noqa: BLE001
            assert "no_such_column" in str(e)
        else:
            raise AssertionError("PREPARE accepted an unknown column")
