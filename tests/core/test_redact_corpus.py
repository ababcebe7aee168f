"""The secrets policy against the real parameter lists of Debian's fence and resource agents.

Every fence agent (``fence_* -o metadata``) and every OCF agent (``meta-data`` under
/usr/lib/ocf/resource.d/) describes its parameters. Which ones hold a secret is derived
from the metadata's own words — not from a list kept by hand — and each must be redacted
by :func:`hadeck.redact.is_secret`:

* only ``content type="string"`` parameters can hold one (booleans, integers, seconds and
  selects cannot);
* the shortdesc, or the first sentence of the longdesc (``db_passwd``'s shortdesc says
  "Sybase user"), names a password, passphrase, secret, credential, community, token,
  or a key of a secret kind (API, access, secret, private, authentication, encryption,
  Kg, SSL, certificate, shared, SSH);
* "no password", "without password" and "key value pair" do not count, and a parameter
  that points to where a secret is kept (a file, path, directory, cache or URL) is not
  the secret (the policy's decision, see :mod:`hadeck.redact`).

The other way round, parameters that are obviously not secret (:data:`NOT_SECRET`) are
shown as they are in every agent that has them.

Running ~90 fence agents and ~160 OCF agents costs ~15 s of CPU on these machines (the
cloud agents import their SDKs: fence_gce, gcp-* ~1 s each), 8-30 s of wall time on two
busy cores even run in parallel. The module fixture runs them once, and keeps their
metadata in ``~/.cache/hadeck-tests/`` keyed by the two packages' versions, so a later
run on the same machine reads it back in a fraction of a second; new package versions
are run again.
"""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from hadeck.redact import is_secret, redact_xml

OCF_ROOT = Path("/usr/lib/ocf")

SECRET_WORDS = re.compile(
    r"\b(passwords?|passwd|passphrase|secrets?|credentials?|community|token"
    r"|(?:api|access|secret|private|authentication|encryption|kg|ssl|certificate|shared"
    r"|ssh)[ -]key)\b", re.IGNORECASE)
NOT_A_SECRET = re.compile(
    r"\b(?:no|without|empty)\s+(?:an?\s+)?password|key\s*[-=]?\s*value|passwordless",
    re.IGNORECASE)
POINTS_TO = re.compile(r"\b(?:file|files|path|directory|dir|cache|url)\b", re.IGNORECASE)

NOT_SECRET = ("ip", "ipaddr", "port", "ipport", "login", "username", "user", "plug", "nic",
              "cidr_netmask", "action", "method", "hostname", "auth", "identity_file",
              "ssl_insecure", "snmp_auth_prot", "use_sudo")
"""Shown as they are: which device, which account, how — what an operator checks."""


@dataclass(frozen=True)
class Parameter:
    agent: str
    name: str
    type: str
    shortdesc: str
    longdesc: str

    @property
    def description(self) -> str:
        """The shortdesc and the longdesc's first sentence: what the value is."""
        first = re.split(r"(?<=[.!?])\s", self.longdesc, maxsplit=1)[0]
        return f"{self.shortdesc}. {first}"

    def holds_secret(self) -> bool:
        """What the metadata's own words say (see the module docstring)."""
        if self.type != "string":
            return False
        words = NOT_A_SECRET.sub(" ", self.description)
        if not SECRET_WORDS.search(words):
            return False
        what = self.shortdesc or self.description
        return not POINTS_TO.search(what)


def _agents() -> list[tuple[str, list[str], dict[str, str]]]:
    fence = [(Path(p).name, [p, "-o", "metadata"], {})
             for p in sorted(glob.glob("/usr/sbin/fence_*"))]
    env = {"OCF_ROOT": str(OCF_ROOT)}
    ocf = [(f"ocf:{Path(p).parent.name}:{Path(p).name}", [p, "meta-data"], env)
           for p in sorted(glob.glob(str(OCF_ROOT / "resource.d" / "*" / "*")))
           if os.access(p, os.X_OK)]
    return fence + ocf


def _metadata(agent: tuple[str, list[str], dict[str, str]]) -> tuple[str, str]:
    name, argv, env = agent
    try:
        run = subprocess.run(argv, capture_output=True, text=True, timeout=30,
                             env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", **env})
    except (OSError, subprocess.TimeoutExpired):
        return name, ""
    return name, run.stdout


def _versions() -> str | None:
    try:
        run = subprocess.run(["dpkg-query", "-W", "-f", "${Version} ", "fence-agents",
                              "resource-agents"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    versions = run.stdout.split()
    return "_".join(versions).replace(":", "-") if run.returncode == 0 and versions else None


def _outputs(agents: list[tuple[str, list[str], dict[str, str]]]) -> dict[str, str]:
    versions = _versions()
    cache = (Path.home() / ".cache" / "hadeck-tests" / f"agent-metadata-{versions}.json"
             if versions else None)
    if cache is not None and cache.is_file():
        kept: dict[str, str] = json.loads(cache.read_text())
        if set(kept) == {a[0] for a in agents}:
            return kept
    with ThreadPoolExecutor(max_workers=2 * (os.cpu_count() or 1)) as pool:
        outputs = dict(pool.map(_metadata, agents))
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(outputs))
        except OSError:
            pass  # a read-only home: run them again next time
    return outputs


@pytest.fixture(scope="module")
def corpus() -> dict[str, list[Parameter]]:
    agents = _agents()
    fence = [a for a in agents if a[0].startswith("fence_")]
    if not fence or len(agents) == len(fence):
        pytest.skip("needs Debian's fence-agents and resource-agents "
                    "(apt-get install fence-agents resource-agents; scripts/setup --test)")
    found: dict[str, list[Parameter]] = {}
    for name, text in _outputs(agents).items():
        try:
            root = ET.fromstring(text)
        except ET.ParseError:
            continue  # fence_ack_manual and a few helpers print no metadata
        found[name] = [
            Parameter(name, p.get("name", ""),
                      (p.find("content").get("type", "string")  # type: ignore[union-attr]
                       if p.find("content") is not None else "string"),
                      " ".join((p.findtext("shortdesc") or "").split()),
                      " ".join((p.findtext("longdesc") or "").split()))
            for p in root.iter("parameter")]
    return found


def test_the_corpus_is_the_real_one(corpus: dict[str, list[Parameter]]) -> None:
    fence = [a for a in corpus if a.startswith("fence_")]
    assert len(fence) >= 50 and len(corpus) - len(fence) >= 50
    names = {p.name for params in corpus.values() for p in params}
    assert {"passwd", "password", "passwd_script", "snmp_priv_passwd", "community",
            "identity_file"} <= names


def test_every_parameter_that_holds_a_secret_is_redacted(
    corpus: dict[str, list[Parameter]],
) -> None:
    secret = [p for params in corpus.values() for p in params if p.holds_secret()]
    # The words find what they should: fence agents' and databases' passwords alike.
    assert {"passwd", "password", "snmp_priv_passwd", "community", "replication_passwd",
            "hexadecimal_kg", "db_passwd", "secret_key"} <= {p.name for p in secret}
    missed = sorted({(p.name, p.agent, p.description[:80]) for p in secret
                     if not is_secret(p.name)})
    assert not missed, missed


def test_obviously_public_parameters_are_shown(corpus: dict[str, list[Parameter]]) -> None:
    present = {p.name for params in corpus.values() for p in params} & set(NOT_SECRET)
    assert {"ip", "ipaddr", "port", "login", "username"} <= present
    assert not [name for name in present if is_secret(name)]


def test_a_cib_of_every_agent_keeps_no_secret(corpus: dict[str, list[Parameter]]) -> None:
    # One primitive per agent with every parameter set, as cibadmin would print it: no
    # value of a secret-holding parameter survives, every public one does.
    nvpairs = []
    for agent, params in sorted(corpus.items()):
        for i, p in enumerate(params):
            value = f"v-{agent}-{i}-{'S' if p.holds_secret() else 'P'}"
            nvpairs.append(f'<nvpair id="{agent}-{i}" name="{p.name}" value="{value}"/>')
    cib = f"<configuration><resources>{''.join(nvpairs)}</resources></configuration>"
    out = redact_xml(cib)
    assert not re.findall(r"v-[\w:.-]+-S\b", out)
    public = [p for params in corpus.values() for p in params
              if p.name in NOT_SECRET]
    assert public and all(f'name="{p.name}" value="v-{p.agent}-' in out for p in public)
