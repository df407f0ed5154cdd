using System;
using System.Globalization;
using System.IO;

namespace TailGuard.Transport.Xdp.Platform;

/// <summary>
/// The calling thread's network namespace, as its inode number (what <c>/proc/thread-self/ns/net</c> links to,
/// "net:[4026531840]"): interface indexes are only unique within one, so attachments are keyed by both.
/// </summary>
internal static class NetworkNamespaceId
{
    public static ulong Current()
    {
        try
        {
            var target = new FileInfo("/proc/thread-self/ns/net").LinkTarget;
            var open = target?.IndexOf('[', StringComparison.Ordinal) ?? -1;
            var close = target?.IndexOf(']', StringComparison.Ordinal) ?? -1;
            if (target is not null && open >= 0 && close > open
                && ulong.TryParse(target.AsSpan(open + 1, close - open - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var inode))
            {
                return inode;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return 0;
    }
}
