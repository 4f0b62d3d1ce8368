"""Names and explanations for what the engine's tables show as codes.

Owns three small lookup tables used by the renderers: IP protocol numbers to
IANA keyword names (6 tcp, 17 udp, ...), Zeek conn_state codes to their meaning
(from Zeek's conn.log documentation), and short notes on common Zeek services.
"""

from __future__ import annotations

from typing import Optional

# IANA "Assigned Internet Protocol Numbers", lower-cased keywords; the ones seen in conn logs.
IP_PROTOCOLS: dict[int, str] = {
    0: "hopopt", 1: "icmp", 2: "igmp", 4: "ipv4", 6: "tcp", 8: "egp", 9: "igp", 17: "udp",
    27: "rdp", 33: "dccp", 41: "ipv6", 43: "ipv6-route", 44: "ipv6-frag", 46: "rsvp",
    47: "gre", 50: "esp", 51: "ah", 55: "mobile", 58: "ipv6-icmp", 59: "ipv6-nonxt",
    60: "ipv6-opts", 88: "eigrp", 89: "ospf", 94: "ipip", 97: "etherip", 103: "pim",
    112: "vrrp", 115: "l2tp", 132: "sctp", 136: "udplite", 137: "mpls-in-ip",
    139: "hip", 142: "rohc", 143: "ethernet",
}

# Zeek's conn_state values (base/protocols/conn/main.zeek).
CONN_STATES: dict[str, str] = {
    "S0": "Connection attempt seen, no reply.",
    "S1": "Connection established, not terminated.",
    "SF": "Normal establishment and termination.",
    "REJ": "Connection attempt rejected.",
    "S2": "Established, and close attempt by originator seen (but no reply from responder).",
    "S3": "Established, and close attempt by responder seen (but no reply from originator).",
    "RSTO": "Established, originator aborted (sent a RST).",
    "RSTR": "Responder sent a RST.",
    "RSTOS0": "Originator sent a SYN followed by a RST, never saw a SYN-ACK from the responder.",
    "RSTRH": "Responder sent a SYN ACK followed by a RST, never saw a SYN from the (purported) originator.",
    "SH": "Originator sent a SYN followed by a FIN, never saw a SYN ACK from the responder (half open).",
    "SHR": "Responder sent a SYN ACK followed by a FIN, never saw a SYN from the originator.",
    "OTH": "No SYN seen, just midstream traffic (one example: a partial connection that was not later closed).",
}

# What the service column's common values are; "-" is Zeek's unset field.
SERVICES: dict[str, str] = {
    "-": "No protocol analyzer recognised the traffic.",
    "dns": "Domain Name System.",
    "http": "Hypertext Transfer Protocol (clear text).",
    "ssl": "TLS/SSL (HTTPS and other encrypted protocols).",
    "ssh": "Secure Shell.",
    "smtp": "Mail transfer.",
    "ftp": "File Transfer Protocol (control channel).",
    "ftp-data": "FTP data channel.",
    "ntp": "Network Time Protocol.",
    "dhcp": "Dynamic Host Configuration Protocol.",
    "snmp": "Simple Network Management Protocol.",
    "smb": "Windows file sharing (SMB).",
    "krb": "Kerberos.",
    "krb_tcp": "Kerberos over TCP.",
    "rdp": "Remote Desktop Protocol.",
    "dce_rpc": "Microsoft DCE/RPC.",
    "ntlm": "NTLM authentication.",
    "quic": "QUIC (HTTP/3 and others over UDP).",
    "irc": "Internet Relay Chat.",
    "mysql": "MySQL database protocol.",
    "radius": "RADIUS authentication.",
    "sip": "Session Initiation Protocol (VoIP).",
    "syslog": "Syslog.",
    "tunnel": "A tunnel (e.g. Teredo, AYIYA).",
    "gtpv1": "GPRS tunnelling.",
    "vxlan": "VXLAN encapsulation.",
    "ayiya": "AYIYA tunnel.",
    "teredo": "Teredo tunnel (IPv6 over UDP).",
    "modbus": "Modbus (industrial control).",
    "dnp3": "DNP3 (industrial control).",
    "ldap": "Lightweight Directory Access Protocol.",
    "imap": "Mail access (IMAP).",
    "pop3": "Mail access (POP3).",
    "socks": "SOCKS proxy.",
    "mqtt": "MQTT messaging.",
    # The engine shortens names in its tables ("icmp-" -> "i-", "netbios" -> "nb").
    "nb-ns": "NetBIOS name service.",
    "nb-dgm": "NetBIOS datagram service.",
    "nb-ssn": "NetBIOS session service.",
}


def protocol_name(number: int) -> Optional[str]:
    """IANA keyword of an IP protocol number, or None when unknown (-1: not recorded)."""
    return IP_PROTOCOLS.get(number)


def protocol_label(number: int) -> str:
    """``"6 tcp"``, ``"47 gre"``; the bare number when unnamed, "unknown" for -1."""
    if number < 0:
        return "unknown"
    name = IP_PROTOCOLS.get(number)
    return f"{number} {name}" if name else str(number)


def state_meaning(state: str) -> Optional[str]:
    return CONN_STATES.get(state)


def service_meaning(service: str) -> Optional[str]:
    """Meaning of a service value; Zeek joins several with commas ("ssl,http")."""
    if service in SERVICES:
        return SERVICES[service]
    parts = [p for p in service.split(",") if p]
    if len(parts) > 1 and all(p in SERVICES for p in parts):
        return "; ".join(f"{p}: {SERVICES[p]}" for p in parts)
    return None
