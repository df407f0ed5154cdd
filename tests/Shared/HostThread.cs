using System;
using System.Threading;

namespace TailGuard.Testing;

/// <summary>
/// Runs the host's side of a test on a host thread. In the simulated monitor a domain's code runs on the thread that
/// switched into it (which then plays the domain's core), so a hook inside a call that wants to act as the host, as a
/// second host core would, does so here.
/// </summary>
internal static class HostThread
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="action"/> on a new thread and waits for it; its exception is rethrown here.</summary>
    public static void Run(Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception exception)
            {
                failure = exception;
            }
        });
        thread.Start();
        Assert.True(thread.Join(Patience), "the host thread did not finish");
        if (failure is not null)
        {
            throw new InvalidOperationException("The host thread failed: " + failure.Message, failure);
        }
    }
}
