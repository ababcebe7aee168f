"""The probe layer: measurements hadeck makes itself, landing in the same ClusterState.

``ping`` (loss and round-trip time from each node to the ping nodes and peers; in
process with an ICMP socket where allowed, else the system ``ping`` through the runner),
``pingd`` (the score the ping agent should be writing, from those probes), ``targets``
(which hosts: the CIB's ping resources, the configuration, corosync's peer addresses)
and ``prober`` (one probe run per poll, remembering since when each host has been
reached). Nothing here is imported by a check plugin that does not probe.
"""
