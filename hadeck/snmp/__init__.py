"""SNMP: what hadeck reads from agents it polls itself (real servers, nodes without ssh).

- :mod:`hadeck.snmp.agent` — one agent to poll, as configured (secrets kept out of repr);
- :mod:`hadeck.snmp.oids` — the numeric OIDs read (Debian ships no MIB files);
- :mod:`hadeck.snmp.answers` — answers as ``snmpwalk -On`` text, written and read back;
- :mod:`hadeck.snmp.parse` — answers → :class:`hadeck.model.SnmpReading` (pure);
- :mod:`hadeck.snmp.ber` — SNMPv2c messages as bytes, written and read (pure);
- :mod:`hadeck.snmp.poller` — pysnmp 7 over asyncio, many agents at once, in a poller
  kept from one poll to the next.

Nothing here imports pysnmp or asyncio at module level: only a poll does.
"""
