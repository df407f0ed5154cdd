using System;
using System.Collections.Generic;

namespace TailGuard.Hosting;

/// <summary>The bounds of the failure-log settings servers and clients share (<c>FailureLogLimit</c>, <c>FailureLogInterval</c>).</summary>
internal static class FailureLogSettings
{
    public const int DefaultLimit = 10;

    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(10);

    public static void Validate(string owner, int limit, TimeSpan interval, List<string> failures)
    {
        if (limit < 0)
        {
            failures.Add($"{owner}: FailureLogLimit must be zero or more; it is {limit}.");
        }

        if (interval < TimeSpan.FromMilliseconds(100))
        {
            failures.Add($"{owner}: FailureLogInterval must be at least 100 ms; it is {interval}.");
        }
    }
}
