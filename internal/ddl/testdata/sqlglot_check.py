"""Parse DDL statements with sqlglot (Debian's python3-sqlglot) as a cheap syntax check.

Input (stdin): JSON {"dialect": "...", "statements": ["...", ...]}. Every CREATE TABLE
statement must parse into a Create expression (sqlglot falls back to an opaque Command
for statements its grammar lacks, which would prove nothing). Other statements (CALL,
MSCK REPAIR, CREATE DATABASE) are only checked not to raise. Prints one line per
statement; exits 1 if any failed.
"""
import json
import sys

import sqlglot

req = json.load(sys.stdin)
failed = 0
for sql in req["statements"]:
    head = sql.splitlines()[0]
    try:
        tree = sqlglot.parse_one(sql, read=req["dialect"], error_level=sqlglot.ErrorLevel.RAISE)
    except Exception as e:  # sqlglot raises ParseError, TokenError
        failed += 1
        print("FAIL", head, "::", str(e).splitlines()[0])
        continue
    kind = type(tree).__name__
    if " TABLE " in head and head.startswith("CREATE") and kind != "Create":
        failed += 1
        print("FAIL", head, ":: parsed as", kind)
        continue
    print("ok", kind, head)
sys.exit(1 if failed else 0)
