"""check_hadeck_lvs, check_hadeck_corosync and check_hadeck_node on real-format output."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.checks.helpers import host_facts, make_bundle, run_check, sample
from tests.checks.test_plugin_api import installed_script

# --------------------------------------------------------------------------- LVS


def director(tmp_path: Path, table: str, keepalived: str | None = None) -> Path:
    files = {
        # /proc/net/ip_vs only has to exist: it says IPVS is loaded; ipvsadm is read.
        "lvs/proc-net-ip_vs.txt": sample("proc-net-ip_vs", "dr-http-https-persistent.txt"),
        "lvs/ipvsadm-Ln.txt": table,
    }
    if keepalived is not None:
        files["keepalived/keepalived.json"] = keepalived
    return make_bundle(tmp_path / "b", "lvs1", files)


def test_lvs_healthy_services(tmp_path: Path) -> None:
    out = run_check("lvs", "--from", director(
        tmp_path, sample("ipvsadm-Ln", "dr-http-https-persistent.txt")))
    assert out.returncode == 0, out.stdout
    assert out.text.startswith("2 virtual services, 4 real servers")
    weighted = out.perf["TCP_192.168.10.100:443_weighted"]
    assert (weighted.value, weighted.min, weighted.max) == (2, "0", "2")
    assert out.perf["TCP_192.168.10.100:443_active"].value == 408


def test_lvs_quiesced_real_server_is_warning(tmp_path: Path) -> None:
    out = run_check("lvs", "--from", director(
        tmp_path, sample("ipvsadm-Ln", "nat-udp-dns-and-quiesced.txt")))
    assert out.returncode == 1
    assert out.text == ("TCP 10.0.0.25:25@lvs1: 1 of 2 real servers in service, 1 quiesced "
                        "(weight 0)")
    assert out.perf["UDP_10.0.0.53:53_inactive"].value == 914
    assert out.perf["TCP_10.0.0.80:8080_weight"].value == 5


def test_lvs_service_without_real_servers_is_critical(tmp_path: Path) -> None:
    out = run_check("lvs", "--from", director(
        tmp_path, sample("ipvsadm-Ln", "zero-real-servers.txt")))
    assert out.returncode == 2
    assert out.text.startswith("TCP 192.168.30.100:3306@lvs1: no real servers: service is down")


def test_lvs_selected_service_and_thresholds(tmp_path: Path) -> None:
    bundle = director(tmp_path, sample("ipvsadm-Ln", "nat-udp-dns-and-quiesced.txt"))
    out = run_check("lvs", "--from", bundle, "--service", "udp 10.0.0.53:53", "-w", "4:",
                    "-c", "2:")
    assert out.returncode == 1, out.stdout
    assert out.text == ("UDP 10.0.0.53:53@lvs1: 3 real servers in service "
                        "(outside range 4:)")
    assert set(out.perf) == {f"UDP_10.0.0.53:53_{k}"
                             for k in ("rs", "weighted", "weight", "active", "inactive")}
    assert out.perf["UDP_10.0.0.53:53_weighted"].warn == "4:"
    out = run_check("lvs", "--from", bundle, "-s", "TCP 10.0.0.99:80")
    assert out.returncode == 2
    assert out.text == "TCP 10.0.0.99:80: not in the IPVS table"


def test_lvs_vrrp_role(tmp_path: Path) -> None:
    bundle = director(tmp_path, sample("ipvsadm-Ln", "dr-http-https-persistent.txt"),
                      sample("keepalived", "json-dump.txt"))
    out = run_check("lvs", "--from", bundle)
    assert out.returncode == 0, out.stdout
    assert out.text.endswith(" / VRRP VI_WEB MASTER, VI_DB BACKUP")
    out = run_check("lvs", "--from", bundle, "--expect-role", "master")
    assert out.returncode == 1
    assert out.text == "VRRP VI_DB@lvs1: BACKUP, expected MASTER"


def test_lvs_bad_service_option_is_unknown(tmp_path: Path) -> None:
    out = run_check("lvs", "--service", "HTTP example.org")
    assert out.returncode == 3
    assert out.text.startswith("argument -s/--service: invalid service 'HTTP example.org'")


def test_lvs_garbage_table_is_unknown(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "b", "lvs1", {
        "lvs/proc-net-ip_vs.txt": "IP Virtual Server version 1.2.1 (size=4096)\n}{ garbage\n",
        "lvs/ipvsadm-Ln.txt": "}{ garbage\n"})
    out = run_check("lvs", "--from", bundle)
    assert out.returncode == 3
    assert out.text.startswith("lvs@lvs1: ")


# --------------------------------------------------------------------------- corosync


def corosync(tmp_path: Path, cfgtool: str, quorumtool: str) -> Path:
    return make_bundle(tmp_path / "b", "hv-a", {
        "corosync/cfgtool-s.txt": sample("corosync-cfgtool", cfgtool),
        "corosync/quorumtool-s.txt": sample("corosync-quorumtool", quorumtool),
    })


def test_corosync_healthy(tmp_path: Path) -> None:
    out = run_check("corosync", "--from", corosync(
        tmp_path, "3node-knet-all-connected.txt", "3node-one-down-quorate.txt"))
    assert out.returncode == 0, out.stdout
    assert out.text == "1 link to 2 peers, 0 down / quorate, 2 of 3 votes"
    assert (out.perf["votes"].value, out.perf["votes"].max) == (2, "3")
    assert out.perf["links_down"].value == 0


def test_corosync_one_link_down_is_warning(tmp_path: Path) -> None:
    out = run_check("corosync", "--from", corosync(
        tmp_path, "2links-one-peer-link-down.txt", "3node-one-down-quorate.txt"))
    assert out.returncode == 1
    assert "link 1 down, 1 still up" in out.text
    assert out.perf["links_down"].value == 1


def test_corosync_votes_threshold(tmp_path: Path) -> None:
    out = run_check("corosync", "--from", corosync(
        tmp_path, "3node-knet-all-connected.txt", "3node-one-down-quorate.txt"), "-w", "3:")
    assert out.returncode == 1
    assert out.text == "corosync@hv-a: 2 votes (outside range 3:)"


def test_corosync_not_quorate_is_critical(tmp_path: Path) -> None:
    out = run_check("corosync", "--from", corosync(
        tmp_path, "3node-knet-all-connected.txt", "3node-isolated-not-quorate.txt"))
    assert out.returncode == 2
    assert "not quorate, activity blocked (1 of 3 votes)" in out.text


def test_corosync_not_installed_is_unknown(tmp_path: Path) -> None:
    out = run_check("corosync", "--from", make_bundle(tmp_path / "b", "hv-a", {}))
    assert out.returncode == 3
    assert out.text.startswith("corosync@hv-a: ")


# --------------------------------------------------------------------------- node


def node(tmp_path: Path, facts: str, mdstat: str | None = None) -> Path:
    files = {"host/facts.json": facts}
    if mdstat is not None:
        files["host/mdstat.txt"] = mdstat
    return make_bundle(tmp_path / "b", "jupiter1", files)


def test_node_healthy(tmp_path: Path) -> None:
    out = run_check("node", "--from", node(
        tmp_path, host_facts(disks=[("/", 40.0), ("/var/lib/libvirt", 70.0)]),
        sample("proc-mdstat", "raid1-healthy-bitmap.txt")))
    assert out.returncode == 0, out.stdout
    assert out.text.startswith("load 0.50 0.40 0.30, memory 25 %, 2 filesystems, fullest "
                               "/var/lib/libvirt 70 %")
    disk = out.perf["/var/lib/libvirt"]
    assert (disk.value, disk.uom, disk.warn, disk.crit, disk.min, disk.max) == (
        70, "%", "90", "95", "0", "100")
    assert out.perf["load_per_cpu"].value == 0.1
    assert out.perf["load_per_cpu"].warn == "4"
    assert out.perf["memory"].warn == "95"
    assert out.perf["md_degraded"].value == 0


def test_node_degraded_raid_is_critical(tmp_path: Path) -> None:
    out = run_check("node", "--from", node(
        tmp_path, host_facts(), sample("proc-mdstat", "raid1-degraded-failed-disk.txt")))
    assert out.returncode == 2
    assert out.text.startswith("md1@jupiter1: degraded [U_]")
    assert out.perf["md_degraded"].value == 1


def test_node_rebuilding_raid_is_warning(tmp_path: Path) -> None:
    out = run_check("node", "--from", node(
        tmp_path, host_facts(), sample("proc-mdstat", "raid1-recovery-in-progress.txt")))
    assert out.returncode == 1
    assert "recovery 17.4 %" in out.text


def test_node_disk_and_load_thresholds(tmp_path: Path) -> None:
    facts = host_facts(load=(30.0, 20.0, 10.0), disks=[("/", 93.0), ("/srv", 97.0)])
    out = run_check("node", "--from", node(tmp_path, facts), "-v")
    assert out.returncode == 2
    assert out.text == "/srv@jupiter1: 97 % used (outside range 0:95) (+2 more)"
    assert "WARNING: /@jupiter1: 93 % used (outside range 0:90)" in out.long
    assert any(line.startswith("WARNING: load@jupiter1: 5 per CPU") for line in out.long)
    out = run_check("node", "--from", node(tmp_path / "2", facts), "--disk-warning", "99",
                    "--disk-critical", "99", "--load-warning", "10", "-X", "/srv")
    assert out.returncode == 0, out.stdout
    assert "/srv" not in out.perf


def test_node_malformed_facts_is_unknown(tmp_path: Path) -> None:
    out = run_check("node", "--from", node(tmp_path, "{not json"))
    assert out.returncode == 3
    assert out.text.startswith("host@jupiter1: cannot parse")


def test_node_w_c_are_the_load_thresholds(tmp_path: Path) -> None:
    """README: every plugin takes -w/-c; on check_hadeck_node they are the load per CPU
    (5-minute average), as check_load's are the load."""
    facts = host_facts(load=(30.0, 20.0, 10.0))  # 5 per CPU on 4 CPUs
    bundle = node(tmp_path, facts)
    out = run_check("node", "--from", bundle, "-w", "6", "-c", "8")
    assert out.returncode == 0, out.stdout
    assert (out.perf["load_per_cpu"].warn, out.perf["load_per_cpu"].crit) == ("6", "8")
    out = run_check("node", "--from", bundle, "-w", "3", "-c", "4.5")
    assert out.returncode == 2
    assert out.text.startswith("load@jupiter1: 5 per CPU")
    assert "outside range 0:4.5" in out.text
    out = run_check("node", "--from", bundle, "-w", "3")
    assert out.returncode == 1
    assert out.perf["load_per_cpu"].warn == "3"
    # The long names still work, and say the same.
    assert run_check("node", "--from", bundle, "--load-warning", "3").stdout == out.stdout


def test_node_w_c_in_the_installed_script(tmp_path: Path) -> None:
    """One subprocess: the console script Nagios runs reads -w/-c as the in-process call."""
    bundle = node(tmp_path, host_facts(load=(30.0, 20.0, 10.0)))
    args = ("--from", str(bundle), "-w", "2", "-c", "4")
    proc = subprocess.run([installed_script("node"), *args], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout.startswith("HADECK NODE CRITICAL - load@jupiter1: 5 per CPU")
    assert " load_per_cpu=5;2;4;0 " in proc.stdout
