"""The one secrets policy: which names hold a secret, and how each form is redacted.

Every place where something read from the cluster leaves hadeck goes through here:
snapshot bundles (:mod:`hadeck.snapshot`), ``hadeck status --json``
(:mod:`hadeck.report`), the events log (:mod:`hadeck.watch.eventlog`) and, when it
comes, the actions' journal. Nothing else decides what is secret.

The decision is by **name** (:func:`is_secret`): a Pacemaker parameter, a node attribute,
a JSON field, an XML attribute, a ``Name = value`` line. A name is split into words
(``snmp_priv_passwd`` → snmp, priv, passwd; ``bindPw`` → bind, pw) and holds a secret
when a word is or contains one of :data:`SECRET_WORDS` (password, passwd, secret,
community, credential, token, passphrase …), is one of :data:`SECRET_TOKENS` (pw, pwd,
psk, pass, kg …), or ends in ``key`` (key, apikey, access_key, secret_key, and
fence_scsi's reservation ``key``, which is not secret but costs nothing to hide) unless
the key is an identifier (crm_mon's ``op_key``, the CIB's ``transition-key``:
:data:`IDENTIFIER_KEYS`); keepalived's ``auth_data`` too. Decisions taken on the real
parameter lists of Debian's fence-agents and resource-agents (``tests/core/test_redact_corpus.py``):

* A name whose last word says it *points to* a secret (``identity_file``, ``key_file``,
  ``token_file``, ``cookie_file``, ``…_path``, ``…_dir``, ``…_url``) is not redacted: a
  path is not the secret, and it is what an operator checks when fencing fails.
* ``passwd_script`` and ``password_script`` *are* redacted: the value is a command line
  run to print the password, and ``echo hunter2`` is a command line.
* A name whose last word only describes how a secret is used (``snmp_auth_prot``,
  ``check_passwd_use_empty``, ``key_type``) is not: see :data:`DESCRIPTIVE_TAILS`.
* ``login``, ``username``, ``ip``, ``ipaddr``, ``port`` are not secrets: they say which
  account and which device, which the operator needs to see.

Values: a redacted value becomes :data:`MASK`. An empty value stays empty (that nothing is
set is not a secret). A value of Pacemaker's ``cibsecret`` (``lrm://``) stays as it is:
it is a reference that says the secret lives in the node's local secret store
(``/var/lib/pacemaker/lrm/secrets``), which hadeck never reads — not a secret itself.

Forms, each redacted structurally — parsed, redacted by name, written out again — and
returned unchanged (byte for byte) when nothing in it was secret:

* XML (the CIB, crm_mon): an element's attribute whose name is secret; the ``value`` of an
  element whose ``name`` is secret (``<nvpair>``, crm_mon's node ``<attribute>``), whatever
  the attributes' order or quoting; a secret-named element's text; comments as text.
  Parsed as the sources parse XML (the standard library's expat: no external entities).
* JSON (keepalived's dump, ``drbdsetup status --json``, host facts): a secret-named field,
  and ``{"name": …, "value": …}`` pairs.
* Text (keepalived's data dump, stderr, free text): ``Name = value`` and ``Name: value``
  lines, and ``name=value`` words inside a line.
* The model (:func:`redact_state`): primitives' ``params`` and ``meta``, node attributes.

Output that cannot be parsed as the form its name says cannot be redacted structurally:
:func:`redact_output` withholds it (:class:`Withheld`) if any word in it is a secret
name, and keeps it as it is otherwise (garbage from a broken tool is worth a bug report).

Beyond names, :func:`secret_values` collects the values the policy hides in a state, and
:func:`scrub` masks them wherever they appear in free text (an agent's exit reason that
echoes its command line): what a face prints has passed both.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable

from hadeck.model import ClusterState
from hadeck.record import replace

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 15)
if TYPE_CHECKING:  # types only: a check plugin need not load Pacemaker's classes
    import xml.etree.ElementTree as ET
    from typing import Any

    from hadeck.model import NodeAttribute, PacemakerState, PrimitiveConfig

MASK = "***"
"""What a redacted value becomes."""

CIBSECRET_PREFIX = "lrm://"
"""A parameter moved out of the CIB by ``cibsecret`` reads as this reference."""

SECRET_WORDS: tuple[str, ...] = (
    "password", "passwd", "passphrase", "secret", "community", "credential", "token",
)
"""A name holds a secret when one of its words contains one of these."""

SECRET_TOKENS: frozenset[str] = frozenset({"pass", "pw", "pwd", "psk", "kg"})
"""… or when one of its words is one of these (short: only as a whole word)."""

REFERENCE_TAILS: frozenset[str] = frozenset({
    "file", "path", "dir", "directory", "url", "uri", "keytab",
})
"""A name ending in one of these points to where a secret is kept: not the secret."""

DESCRIPTIVE_TAILS: frozenset[str] = frozenset({
    "type", "prot", "protocol", "method", "alg", "algorithm", "len", "length", "size",
    "empty", "backend", "level", "mode", "format", "policy", "expiry", "expires",
})
"""A name ending in one of these describes a secret's kind or use, not its value."""

IDENTIFIER_KEYS: frozenset[str] = frozenset({
    "op", "operation", "transition", "rsc", "resource", "sort", "primary", "foreign",
    "lookup", "hash", "map", "index", "partition", "row", "node", "reservation",
})
"""A ``key`` after one of these is an identifier, not a secret: crm_mon's ``op_key``,
the CIB status's ``transition-key``."""

MIN_SCRUB = 4
"""Shorter secret values are not scrubbed from free text: masking every "on" or "1" in a
line would destroy it, and such values are not passwords anyone relies on."""

# Compiled on first use (``re`` caches it), only for a value with ``://`` in it (issue 15).
_URL_PASSWORD = r"(://[^/\s:@]+:)[^/\s@]+@"
_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LOWER_DIGIT = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_ALNUM = _UPPER | _LOWER_DIGIT


class Withheld(ValueError):
    """An output that names a secret but cannot be parsed, so it cannot be redacted."""


# --------------------------------------------------------------------------- names


def words(name: str) -> tuple[str, ...]:
    """A name's words, lower case: ``snmp_priv_passwd`` → snmp, priv, passwd.

    Split at every run of characters other than ASCII letters and digits, and between a
    lower-case letter or digit and an upper-case letter (``authKey`` → auth, key); read
    with str methods, not a pattern (issue 15).
    """
    parts: list[str] = []
    word = ""
    for char in name:
        if char not in _ALNUM:
            if word:
                parts.append(word)
                word = ""
            continue
        if word and char in _UPPER and word[-1] in _LOWER_DIGIT:
            parts.append(word)
            word = ""
        word += char
    if word:
        parts.append(word)
    return tuple(w.lower() for w in parts)


def _mask_url_password(text: str) -> str:
    """``https://admin:pw@keystone/`` → ``https://admin:***@keystone/``."""
    if "://" not in text:
        return text
    return re.sub(_URL_PASSWORD, r"\g<1>" + MASK + "@", text)


@functools.lru_cache(maxsize=4096)  # a cluster's names repeat on every primitive
def is_secret(name: str) -> bool:
    """Whether a parameter, attribute or field of this name holds a secret.

    Args:
        name: the name as the cluster gives it (``passwd``, ``snmp_priv_passwd``,
            ``auth_data``, ``Password``, ``secret_token``).

    Returns:
        True when its value must not leave the cluster.
    """
    parts = words(name)
    if not parts or parts[-1] in REFERENCE_TAILS or parts[-1] in DESCRIPTIVE_TAILS:
        return False
    if "".join(parts[-2:]) == "authdata":
        return True
    for i, part in enumerate(parts):
        if part in SECRET_TOKENS or any(word in part for word in SECRET_WORDS):
            return True
        if part.endswith("key"):
            qualifier = part[:-3] or (parts[i - 1] if i else "")
            if qualifier not in IDENTIFIER_KEYS:
                return True
    return False


def redact_value(name: str, value: str) -> str:
    """``value`` as it may be shown, given the name it is stored under.

    A value that is not secret by its name still loses a password written into a URL
    (``https://admin:pw@keystone/`` → ``https://admin:***@keystone/``).
    """
    if not value or value.startswith(CIBSECRET_PREFIX):
        return value
    if is_secret(name):
        return MASK
    return _mask_url_password(value)


# --------------------------------------------------------------------------- XML


def redact_xml(text: str) -> str:
    """An XML document with every secret value masked (unchanged if there was none).

    Raises:
        ValueError: the text is not well-formed XML.
    """
    import xml.etree.ElementTree as ET  # only a check that reads XML pays for it

    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True, insert_pis=True))
    try:
        parser.feed(text.strip())
        root = parser.close()
    except ET.ParseError as exc:
        raise ValueError(f"not well-formed XML ({exc})") from None
    if not _redact_tree(root):
        return text
    declaration = '<?xml version="1.0"?>\n' if text.lstrip().startswith("<?xml") else ""
    try:
        return declaration + ET.tostring(root, encoding="unicode") + "\n"
    except RecursionError:  # nested deeper than the serialiser goes
        raise ValueError("XML nested too deeply to write out again") from None


def _redact_tree(root: ET.Element) -> bool:
    changed = False
    for el in root.iter():
        if not isinstance(el.tag, str):  # a comment or processing instruction: text
            comment = el.text or ""
            text = redact_text(comment)
            changed |= text != comment
            el.text = text
            continue
        for attr, value in list(el.attrib.items()):
            hidden = redact_value(attr, value)
            if hidden != value:
                el.set(attr, hidden)
                changed = True
        # <nvpair name= value=>, crm_mon's <attribute name= value=>, a rule's
        # <expression attribute= value=>: whatever order and quoting they came in.
        key, current = el.get("name") or el.get("attribute"), el.get("value")
        if key is not None and current is not None:
            shown = redact_value(key, current)
            if shown != current:
                el.set("value", shown)
                changed = True
        if len(el) == 0 and el.text and el.text.strip() and is_secret(el.tag):
            el.text = MASK
            changed = True
    return changed


# --------------------------------------------------------------------------- JSON


def redact_json(text: str) -> str:
    """A JSON document with every secret value masked (unchanged if there was none).

    Raises:
        ValueError: the text is not JSON.
    """
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, or a 5,000-digit int
        raise ValueError(f"not JSON ({exc})") from None
    hidden = redact_data(data)
    if hidden == data:
        return text
    return json.dumps(hidden, separators=(",", ":"), ensure_ascii=False) + "\n"


def redact_data(data: Any) -> Any:
    """JSON-like data (dicts, lists, plain values) with every secret value masked."""
    if isinstance(data, list):
        return [redact_data(item) for item in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        if is_secret(str(key)) and value not in (None, "", [], {}):
            if not (isinstance(value, str) and value.startswith(CIBSECRET_PREFIX)):
                value = MASK
        out[key] = redact_data(value)
    name, value = out.get("name"), out.get("value")
    if isinstance(name, str) and isinstance(value, str):
        out["value"] = redact_value(name, value)
    return out


# --------------------------------------------------------------------------- text

# ``Name = value`` / ``Name: value`` as a whole line (keepalived's data dump: "   Password
# = x", " Password : x", "  SSL password:x"); the name may hold spaces.
# The text patterns compile on first use (``re`` caches them): a check plugin redacts
# Pacemaker's state only, never text (issue 15).
_LINE = (r"^(?P<lead>\s*)(?P<name>[A-Za-z][\w .-]*?)(?P<sep>\s*[=:]\s*)"
         r"(?P<value>.*?)(?P<trail>\s*)$")
# ``name=value``, ``--name=value`` and then ``name: value`` inside a line (stderr, an
# agent's exit reason); one pass per separator, so that "error: --passwd=x" is seen.
_WORDS = (
    r"(?P<name>[A-Za-z][\w.-]*)(?P<sep>=)(?P<value>\"[^\"]*\"|'[^']*'|[^\s,;]+)",
    r"(?P<name>[A-Za-z][\w.-]*)(?P<sep>:\s?)(?P<value>\"[^\"]*\"|'[^']*'|[^\s,;]+)",
)


def redact_text(text: str) -> str:
    """Free text with the value of every ``secret-name = value`` masked."""
    return "".join(_redact_line(line) for line in text.splitlines(keepends=True))


def _redact_line(line: str) -> str:
    body = line.rstrip("\r\n")
    end = line[len(body):]
    match = re.match(_LINE, body)
    if match and match["value"] and is_secret(match["name"]):
        return match["lead"] + match["name"] + match["sep"] + MASK + match["trail"] + end

    def hide(word: re.Match[str]) -> str:
        value = word["value"].strip("\"'")
        if is_secret(word["name"]) and value and not value.startswith(CIBSECRET_PREFIX):
            return word["name"] + word["sep"] + MASK
        return word.group(0)

    for pattern in _WORDS:
        body = re.sub(pattern, hide, body)
    return _mask_url_password(body) + end


def names_a_secret(text: str) -> str | None:
    """The first word of ``text`` that is a secret's name, if any."""
    for word in re.findall(r"[A-Za-z][\w-]*", text):
        if is_secret(word):
            return str(word)
    return None


# --------------------------------------------------------------------------- outputs


def redact_output(name: str, text: str) -> str:
    """A command's output, as a bundle may keep it.

    The form follows the output's name (``pacemaker/crm_mon.xml``,
    ``keepalived/keepalived.json``, ``keepalived/keepalived.data``): XML and JSON are
    parsed and redacted by name, anything else as text.

    Raises:
        Withheld: the output should be XML or JSON, is not, and names a secret.
    """
    if name.endswith((".xml", ".json")):
        try:
            return redact_xml(text) if name.endswith(".xml") else redact_json(text)
        except ValueError as exc:
            secret = names_a_secret(text)
            if secret is None:
                return text
            raise Withheld(f"withheld by hadeck: {exc}, and it names a secret "
                           f"({secret!r}), so it cannot be redacted safely") from None
    if name.endswith(".conf"):
        return redact_keywords(redact_text(text))
    return redact_text(text)


_KEYWORD = (r"^(?P<lead>\s*)(?P<name>[A-Za-z][\w-]*)(?P<sep>\s+)(?P<value>\S.*?)"
            r"(?P<trail>\s*)$")


def redact_keywords(text: str) -> str:
    """A ``keyword value`` configuration file (keepalived.conf: ``auth_pass s3cret``)
    with the value of every secret-named keyword masked."""
    out = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        match = re.match(_KEYWORD, body)
        if match and is_secret(match["name"]):
            line = (match["lead"] + match["name"] + match["sep"] + MASK + match["trail"]
                    + line[len(body):])
        out.append(line)
    return "".join(out)


# --------------------------------------------------------------------------- the model


class _Last:
    """The last input and its redaction, by identity: the poll loop hands the very same
    parsed objects back while nothing changed (``LastParses``), and the health memo and
    the event diff rely on getting the same objects out, so a poll with secrets in the
    CIB costs no new objects and no re-judging."""

    def __init__(self) -> None:
        self.pair: tuple[tuple[object, ...], Any] | None = None

    def get(self, *key: object) -> Any:
        pair = self.pair
        if pair is None or len(pair[0]) != len(key):
            return None
        return pair[1] if all(a is b for a, b in zip(pair[0], key, strict=True)) else None

    def put(self, value: Any, *key: object) -> Any:
        self.pair = (key, value)  # one assignment: safe from several poll threads
        return value


_PRIMITIVES, _NODES, _FAILED = _Last(), _Last(), _Last()


def redact_state(state: ClusterState) -> ClusterState:
    """The state with every secret parameter and node attribute value masked, and those
    values scrubbed from failed actions' exit reasons (an agent may echo its command).

    :func:`hadeck.collect.collect` applies it, so no face ever holds a secret; what hides
    nothing comes back as the very same object.
    """
    pcmk = state.pacemaker
    if pcmk is None:
        return state
    hidden = _redact_pacemaker(pcmk)
    return state if hidden is pcmk else replace(state, pacemaker=hidden)


def _redact_pacemaker(pcmk: PacemakerState) -> PacemakerState:
    primitives = _PRIMITIVES.get(pcmk.primitives)
    if primitives is None:
        primitives = _PRIMITIVES.put(_same_if_equal(pcmk.primitives, tuple(
            _redact_primitive(p) for p in pcmk.primitives)), pcmk.primitives)
    nodes = _NODES.get(pcmk.nodes)
    if nodes is None:
        nodes = _NODES.put(_same_if_equal(pcmk.nodes, tuple(
            replace(n, attributes=tuple(_redact_attribute(a)
                                                    for a in n.attributes))
            for n in pcmk.nodes)), pcmk.nodes)
    failed = _FAILED.get(pcmk.failed_actions, pcmk.primitives, pcmk.nodes)
    if failed is None:
        values = secret_values(pcmk)
        failed = _FAILED.put(_same_if_equal(pcmk.failed_actions, tuple(
            replace(f, exit_reason=scrub(f.exit_reason, values))
            for f in pcmk.failed_actions)), pcmk.failed_actions, pcmk.primitives, pcmk.nodes)
    if (primitives is pcmk.primitives and nodes is pcmk.nodes
            and failed is pcmk.failed_actions):
        return pcmk
    return replace(pcmk, primitives=primitives, nodes=nodes,
                               failed_actions=failed)


def _same_if_equal(old: tuple[Any, ...], new: tuple[Any, ...]) -> tuple[Any, ...]:
    return old if new == old else new


def _redact_primitive(prim: PrimitiveConfig) -> PrimitiveConfig:
    params, meta = _redact_map(prim.params), _redact_map(prim.meta)
    if params is prim.params and meta is prim.meta:
        return prim
    return replace(prim, params=params, meta=meta)


def _redact_map(values: dict[str, str]) -> dict[str, str]:
    shown = {k: redact_value(k, v) for k, v in values.items()}
    return values if shown == values else shown


def _redact_attribute(attr: NodeAttribute) -> NodeAttribute:
    value = redact_value(attr.name, attr.value)
    return attr if value == attr.value else replace(attr, value=value)


def secret_values(state: ClusterState | PacemakerState) -> frozenset[str]:
    """Every value the policy hides (long enough to scrub from free text)."""
    pcmk = state.pacemaker if isinstance(state, ClusterState) else state
    if pcmk is None:
        return frozenset()
    pairs: list[tuple[str, str]] = []
    for prim in pcmk.primitives:
        pairs += list(prim.params.items()) + list(prim.meta.items())
    for node in pcmk.nodes:
        pairs += [(a.name, a.value) for a in node.attributes]
    return frozenset(v for k, v in pairs
                     if len(v) >= MIN_SCRUB and redact_value(k, v) == MASK)


def scrub(text: str, values: Iterable[str]) -> str:
    """``text`` with every occurrence of a known secret value masked, and
    ``secret-name = value`` masked too (:func:`redact_text`)."""
    for value in sorted(values, key=len, reverse=True):
        if len(value) >= MIN_SCRUB:
            text = text.replace(value, MASK)
    return redact_text(text)


def scrub_data(data: Any, values: frozenset[str]) -> Any:  # JSON-like in, same shape out
    """JSON-like data with :func:`scrub` applied to every string in it."""
    if isinstance(data, str):
        return scrub(data, values)
    if isinstance(data, list):
        return [scrub_data(item, values) for item in data]
    if isinstance(data, dict):
        return {k: scrub_data(v, values) for k, v in data.items()}
    return data
