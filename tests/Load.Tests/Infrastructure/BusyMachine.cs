using System;
using System.Linq;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace TailGuard.Load.Tests.Infrastructure;

/// <summary>
/// Timing tests on a shared machine: a measurement whose generator missed its own schedule (its lateness check failed)
/// says nothing about the code under test, only about the machine. Such a run is repeated, up to three times; when the
/// machine never lets the generator keep its schedule, the test states that in its output and asserts only what
/// holds whatever the machine does.
/// </summary>
internal static class BusyMachine
{
    public const int Attempts = 3;

    /// <summary>Why a point cannot be trusted for timing (its generator fell behind), or null when it can.</summary>
    public static string? Noise(LoadPointResult point)
    {
        var lateness = point.Checks.FirstOrDefault(c => c.Name == CheckNames.Lateness);
        return lateness is { Status: CheckStatus.Failed } ? $"the machine starved the generator ({lateness.Detail}; load average {LoadEnvironment.ReadLoadAverage()})" : null;
    }

    /// <summary>Runs <paramref name="attempt"/> until <paramref name="noise"/> finds nothing wrong, at most <see cref="Attempts"/> times.</summary>
    /// <returns>The last result, and whether it is clean.</returns>
    public static async Task<(T Result, bool Clean)> MeasureAsync<T>(ITestOutputHelper output, Func<Task<T>> attempt, Func<T, string?> noise)
    {
        T result = default!;
        for (var i = 1; i <= Attempts; i++)
        {
            result = await attempt();
            var reason = noise(result);
            if (reason is null)
            {
                return (result, true);
            }

            output.WriteLine($"attempt {i} of {Attempts} is not a clean measurement: {reason}");
        }

        output.WriteLine($"INCONCLUSIVE on this machine: no clean measurement in {Attempts} attempts; only the machine-independent assertions ran.");
        return (result, false);
    }
}
