"""``[probes]`` in the configuration file: values, and mistakes named with their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from hadeck.config import ConfigError, load
from hadeck.probes.prober import prober_for


def test_probes_table(tmp_path: Path) -> None:
    path = tmp_path / "hadeck.toml"
    path.write_text('[probes]\nping = true\nhosts = ["192.0.2.254", "gw"]\ncount = 5\n'
                    "timeout = 0.5\nlinks = false\n")
    config = load(str(path))
    assert (config.probe_ping, config.probe_hosts, config.probe_count, config.probe_timeout,
            config.probe_links) == (True, ("192.0.2.254", "gw"), 5, 0.5, False)
    assert config.origins["probes.count"] == f"--config {path}:4"
    prober = prober_for(config)
    assert (prober.settings.count, prober.settings.timeout, prober.hosts, prober.links) == (
        5, 0.5, ("192.0.2.254", "gw"), False)


@pytest.mark.parametrize(("text", "message"), [
    ("[probes]\nping = 'yes'\n", ":2: probes.ping must be true or false, not 'yes'"),
    ("[probes]\ncount = 0\n", ":2: probes.count must be a whole number from 1 to 100, not 0"),
    ("[probes]\ncount = 2.5\n", ":2: probes.count must be a whole number from 1 to 100"),
    ("[probes]\ntimeout = inf\n", ":2: probes.timeout must be a number from 0.001 to 60"),
    ("[probes]\nhosts = '192.0.2.254'\n", ":2: probes.hosts must be a list of strings"),
    ("[probes]\nhost = []\n", ":2: unknown key probes.host (did you mean probes.hosts?)"),
])
def test_mistakes(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "hadeck.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load(str(path))
    assert message in str(caught.value)
