"""kg.bulk without a server: how isql is called (the password on its standard input, never on its
command line) and how its output is read. A stand-in `isql-vt` on PATH records what it was given."""

from __future__ import annotations

import json
import sys

import pytest

from kg.bulk import Isql
from kg.errors import AuthError, EndpointError, UsageError
from kg.http import Credentials

FAKE = """#!{python}
import json, sys
stdin = sys.stdin.read()
script = ""
for line in stdin.splitlines():
    if line.startswith("LOAD "):
        script = open(line[5:].rstrip(";")).read()
json.dump({{"argv": sys.argv[1:], "stdin": stdin, "script": script}}, open({record!r}, "w"))
print("SQL> " + {answer!r})
"""


@pytest.fixture
def fake_isql(tmp_path, monkeypatch):
    def make(answer: str):
        record = tmp_path / "record.json"
        exe = tmp_path / "bin" / "isql-vt"
        exe.parent.mkdir(exist_ok=True)
        exe.write_text(FAKE.format(python=sys.executable, record=str(record), answer=answer))
        exe.chmod(0o755)
        monkeypatch.setenv("PATH", f"{exe.parent}:/usr/bin:/bin")
        return record

    return make


def test_the_password_goes_to_the_prompt_not_the_command_line(fake_isql):
    record = fake_isql("kg-begin\nSQL> kg-state   2   NULL")
    secret = "s3cret-9d1"
    out = Isql("127.0.0.1:1111", Credentials("loader", secret)).run(["select 1;"], "test")
    got = json.loads(record.read_text())
    assert all(secret not in a for a in got["argv"])
    assert got["argv"][:2] == ["127.0.0.1:1111", "loader"]
    assert got["stdin"].splitlines()[0] == secret  # typed at isql's password prompt
    assert got["stdin"].splitlines()[1].startswith("LOAD ")
    assert got["script"].splitlines() == ["select 'kg-begin';", "select 1;"]
    assert any("kg-state" in ln for ln in out)


def test_isql_errors_after_the_marker_are_reported(fake_isql):
    fake_isql("kg-begin\n*** Error 42000: [Virtuoso Server]SR008: something failed\nat line 3")
    with pytest.raises(EndpointError, match="SR008: something failed"):
        Isql("127.0.0.1:1111", Credentials("dba", "dba")).run(["select 1;"], "test")


def test_a_refused_login_is_an_auth_error_without_the_password(fake_isql):
    fake_isql("*** Error 28000: [Virtuoso Driver]CL034: Bad login")
    with pytest.raises(AuthError) as e:
        Isql("127.0.0.1:1111", Credentials("dba", "wrong-77")).run(["select 1;"], "test")
    assert "refused the isql login of user 'dba'" in str(e.value) and "wrong-77" not in str(e.value)


@pytest.mark.parametrize("password", ["a;b", "a\nb"])
def test_passwords_isql_cannot_take_are_refused_before_it_runs(fake_isql, password):
    record = fake_isql("kg-begin")
    with pytest.raises(AuthError, match="isql cannot take it") as e:
        Isql("127.0.0.1:1111", Credentials("dba", password)).run(["select 1;"], "test")
    assert password not in str(e.value) and not record.exists()


def test_isql_address_and_credentials_are_checked(fake_isql):
    fake_isql("kg-begin")
    with pytest.raises(UsageError, match="HOST:PORT"):
        Isql("127.0.0.1", Credentials("dba", "dba"))
    with pytest.raises(AuthError, match="no credentials"):
        Isql("127.0.0.1:1111", None)
