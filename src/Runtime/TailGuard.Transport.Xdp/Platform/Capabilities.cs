using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace TailGuard.Transport.Xdp.Platform;

/// <summary>
/// What AF_XDP needs of the calling thread (Linux keeps capabilities per thread), read from
/// /proc/thread-self/status before anything is created, so a refusal names every missing privilege at once.
/// </summary>
internal static class Capabilities
{
    public const int NetAdmin = 12;
    public const int NetRaw = 13;
    public const int IpcLock = 14;
    public const int SysAdmin = 21;
    public const int Bpf = 39;

    /// <summary>The missing capabilities by name (CAP_BPF is satisfied by CAP_SYS_ADMIN, as on kernels before 5.8); empty when all are there or unknown.</summary>
    public static IReadOnlyList<string> Missing()
    {
        var effective = Effective();
        if (effective is not { } caps)
        {
            return [];
        }

        var missing = new List<string>();
        if (!Has(caps, NetAdmin))
        {
            missing.Add("CAP_NET_ADMIN");
        }

        if (!Has(caps, NetRaw))
        {
            missing.Add("CAP_NET_RAW");
        }

        if (!Has(caps, Bpf) && !Has(caps, SysAdmin))
        {
            missing.Add("CAP_BPF");
        }

        return missing;
    }

    /// <summary>The effective capability set of the calling thread, or null when it cannot be read.</summary>
    public static ulong? Effective()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/thread-self/status"))
            {
                if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                {
                    return ulong.Parse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    private static bool Has(ulong caps, int capability) => (caps & (1UL << capability)) != 0;
}
