using System;
using System.Globalization;
using System.IO;

namespace TailGuard.Transport.Xdp.Platform;

/// <summary>How many CPUs the kernel may ever bring up (/sys/devices/system/cpu/possible): a per-CPU map has one value for each.</summary>
internal static class PossibleCpus
{
    private static readonly Lazy<int> s_count = new(Read);

    public static int Count => s_count.Value;

    private static int Read()
    {
        try
        {
            // "0-3" or "0,2-5": the highest CPU number plus one.
            var text = File.ReadAllText("/sys/devices/system/cpu/possible").Trim();
            var highest = 0;
            foreach (var range in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var last = range.Split('-')[^1];
                highest = Math.Max(highest, int.Parse(last, CultureInfo.InvariantCulture));
            }

            return highest + 1;
        }
        catch (Exception error) when (error is IOException or FormatException or UnauthorizedAccessException)
        {
            return Environment.ProcessorCount;
        }
    }
}
