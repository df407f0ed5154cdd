using System.Threading;
using System.Threading.Tasks;

namespace TailGuard.Benchmarks;

/// <summary>Waits for a call by spinning (yielding after a while), so the harness itself allocates nothing per call.</summary>
internal static class Spin
{
    /// <summary>Spins until <paramref name="call"/> completes and returns its result (consuming it once).</summary>
    /// <typeparam name="T">The result.</typeparam>
    /// <param name="call">The call.</param>
    /// <returns>The result.</returns>
    public static T Result<T>(ValueTask<T> call)
    {
        int spins = 0;
        while (!call.IsCompleted)
        {
            if (++spins > 100)
            {
                Thread.Yield();
            }
        }

        return call.Result;
    }
}
