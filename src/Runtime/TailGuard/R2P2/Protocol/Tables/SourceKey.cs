namespace TailGuard.R2P2.Protocol;

/// <summary>
/// The host a datagram came from, as the per-source quotas count it (docs/security.md, "Per-source quotas"): an IPv4
/// address, or the /64 prefix of an IPv6 address (a host is routinely given a whole /64), whatever the port (ports
/// cost an attacker nothing).
/// </summary>
/// <param name="High">The IPv6 /64 prefix; 0 for IPv4.</param>
/// <param name="Low">The IPv4 address; all ones for IPv6.</param>
internal readonly record struct SourceKey(ulong High, ulong Low);
