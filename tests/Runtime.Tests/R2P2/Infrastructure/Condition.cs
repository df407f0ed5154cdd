using System;
using System.Threading.Tasks;

namespace TailGuard.Tests.R2P2.Infrastructure;

/// <summary>Waiting for something another thread does (a loop counting, a packet arriving), never timing it.</summary>
internal static class Condition
{
    /// <summary>Polls until <paramref name="condition"/> holds; fails the test if it does not within the generous timeout.</summary>
    public static async Task Eventually(Func<bool> condition, string what = "The condition")
    {
        var deadline = DateTime.UtcNow + Payloads.Generous;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what} did not hold in time.");
            await Task.Delay(5);
        }
    }
}
